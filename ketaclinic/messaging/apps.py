from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "ketaclinic.messaging"
    label = "messaging"
