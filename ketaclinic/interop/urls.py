from __future__ import annotations

from django.urls import path

from ketaclinic.interop import views
from ketaclinic.interop import views_fhir as fhir

app_name = "interop"

urlpatterns = [
    path("integrations/api-tokens/", views.api_tokens, name="api_tokens"),
    path("integrations/api-tokens/<int:token_id>/revoke/", views.revoke_api_token, name="revoke_api_token"),
    path("integrations/monitor-inbox/", views.monitor_inbox, name="monitor_inbox"),
    path("integrations/monitor-inbox/<int:message_id>/", views.monitor_message, name="monitor_message"),
    path("fhir/metadata", fhir.capability_statement, name="fhir_metadata"),
    path("fhir/Patient/<int:patient_id>/$everything", fhir.patient_everything, name="fhir_everything"),
    path("fhir/$export", fhir.bulk_export, name="fhir_export"),
    path("fhir/Bundle", fhir.import_bundle, name="fhir_import"),
]
