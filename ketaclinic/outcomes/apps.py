from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "ketaclinic.outcomes"
    label = "outcomes"

    def ready(self) -> None:
        from ketaclinic.outcomes import panels  # noqa: F401 — registers the home and chart panels
