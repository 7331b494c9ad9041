from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "ketaclinic.screening"
    label = "screening"
    verbose_name = "Screening and eligibility"

    def ready(self) -> None:
        from ketaclinic.screening import panels  # noqa: F401  (registers the home panels)
