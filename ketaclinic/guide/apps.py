from django.apps import AppConfig


class GuideConfig(AppConfig):
    name = "ketaclinic.guide"
    label = "guide"

    def ready(self) -> None:
        from ketaclinic.guide import panels  # noqa: F401  (registers the home and chart panels)
