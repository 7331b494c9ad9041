from django.apps import AppConfig


class PreparationConfig(AppConfig):
    name = "ketaclinic.preparation"
    label = "preparation"

    def ready(self) -> None:
        from ketaclinic.preparation import panels  # noqa: F401  (registers the home and chart panels)
