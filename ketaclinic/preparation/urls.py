from django.urls import path

from ketaclinic.preparation import staff_views, views

app_name = "preparation"

urlpatterns = [
    path("visit/<int:visit_id>/", views.visit_plan, name="visit"),
    path("visit/<int:visit_id>/calendar.ics", views.visit_ics, name="visit_ics"),
    path("visit/<int:visit_id>/ride/", views.ride, name="ride"),
    path("visit/<int:visit_id>/health-update/", views.health_update, name="health_update"),
    path("visit/<int:visit_id>/day-of/", views.attest, name="attest"),
    path("visit/<int:visit_id>/intentions/", views.intentions, name="intentions"),
    path("visit/<int:visit_id>/review/", staff_views.clear_review, name="clear_review"),
    path("breathing/", views.breathing, name="breathing"),
    path("readiness/", staff_views.readiness, name="readiness"),
    path("task/<int:task_id>/close/", staff_views.close_task, name="close_task"),
    path("patient/<int:patient_id>/medications/", staff_views.medications, name="medications"),
    path("medication/<int:record_id>/end/", staff_views.end_medication, name="end_medication"),
]
