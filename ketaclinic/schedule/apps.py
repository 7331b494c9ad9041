from django.apps import AppConfig


class ScheduleConfig(AppConfig):
    name = "ketaclinic.schedule"
    label = "schedule"
