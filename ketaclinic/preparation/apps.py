from django.apps import AppConfig


class PreparationConfig(AppConfig):
    name = "ketaclinic.preparation"
    label = "preparation"
