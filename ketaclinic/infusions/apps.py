from django.apps import AppConfig


class InfusionsConfig(AppConfig):
    name = "ketaclinic.infusions"
    label = "infusions"

    def ready(self) -> None:
        from ketaclinic.infusions import panels  # noqa: F401 — registers the home panels
