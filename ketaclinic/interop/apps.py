from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "ketaclinic.interop"
    label = "interop"

    def ready(self) -> None:
        from ketaclinic.interop import panels  # noqa: F401 — registers the home panels
