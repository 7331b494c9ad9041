from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "ketaclinic.interop"
    label = "interop"
