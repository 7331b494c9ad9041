from django.urls import path

from ketaclinic.clinics import views

app_name = "clinics"

urlpatterns = [
    path("protocol/", views.protocol_settings, name="protocol_settings"),
]
