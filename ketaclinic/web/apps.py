from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ketaclinic.web"
    label = "web"

    def ready(self) -> None:
        from ketaclinic.web import checks  # noqa: F401  (registers system checks)
