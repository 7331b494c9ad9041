from django.urls import path

from ketaclinic.notifications import views

app_name = "notifications"

urlpatterns = [
    path("preferences/", views.preferences, name="preferences"),
    path("failed/", views.failed_messages, name="failed"),
    path("message/<int:message_id>/retry/", views.retry, name="retry"),
    path("message/<int:message_id>/dismiss/", views.dismiss, name="dismiss"),
]
