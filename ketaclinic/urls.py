"""Top-level URLs. Each stage app owns its own urls.py."""

from django.urls import include, path

from ketaclinic.interop.api import api
from ketaclinic.web import views as web_views

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("accounts/", include("ketaclinic.accounts.urls")),
    path("patients/", include("ketaclinic.patients.urls")),
    path("clinic/", include("ketaclinic.clinics.urls")),
    path("clinic/audit/", include("ketaclinic.audit.urls")),
    path("screening/", include("ketaclinic.screening.urls")),
    path("courses/", include("ketaclinic.courses.urls")),
    path("schedule/", include("ketaclinic.schedule.urls")),
    path("notifications/", include("ketaclinic.notifications.urls")),
    path("preparation/", include("ketaclinic.preparation.urls")),
    path("infusions/", include("ketaclinic.infusions.urls")),
    path("outcomes/", include("ketaclinic.outcomes.urls")),
    path("messages/", include("ketaclinic.messaging.urls")),
    path("consent/", include("ketaclinic.consent.urls")),
    path("guide/", include("ketaclinic.guide.urls")),
    path("api/", api.urls),
    path("", include("ketaclinic.interop.urls")),  # /fhir/… and token pages
    path("", include("ketaclinic.web.urls")),
]
