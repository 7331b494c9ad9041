from __future__ import annotations

from django.urls import path

from ketaclinic.interop import views, views_fhir

app_name = "interop"

urlpatterns = [
    path("integrations/api-tokens/", views.api_tokens, name="api_tokens"),
    path("integrations/api-tokens/<int:token_id>/revoke/", views.revoke_api_token, name="revoke_api_token"),
    path("integrations/monitor-inbox/", views.monitor_inbox, name="monitor_inbox"),
    path("integrations/monitor-inbox/<int:message_id>/", views.monitor_message, name="monitor_message"),
    path("fhir/metadata", views_fhir.capability_statement, name="fhir_metadata"),
    path("fhir/Patient/<int:patient_id>/$everything", views_fhir.patient_everything, name="fhir_everything"),
    path("fhir/$export", views_fhir.bulk_export, name="fhir_export"),
    path("fhir/Bundle", views_fhir.import_bundle, name="fhir_import"),
]
