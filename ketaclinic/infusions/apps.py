from django.apps import AppConfig


class InfusionsConfig(AppConfig):
    name = "ketaclinic.infusions"
    label = "infusions"
