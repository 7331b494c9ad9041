from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "ketaclinic.consent"
    label = "consent"

    def ready(self) -> None:
        from ketaclinic.consent import panels  # noqa: F401  (registers home and chart panels)
