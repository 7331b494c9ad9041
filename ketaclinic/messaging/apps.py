from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "ketaclinic.messaging"
    label = "messaging"

    def ready(self) -> None:
        from ketaclinic.messaging import panels  # noqa: F401  (registers home and chart panels)
