from __future__ import annotations

from django.urls import URLPattern, path

from ketaclinic.consent import views

app_name = "consent"

urlpatterns: list[URLPattern] = [
    path("", views.my_consent, name="mine"),
    path("signed/<int:signature_id>/", views.signature_detail, name="signature"),
    path("signed/<int:signature_id>/download/", views.signature_download, name="download"),
    path("patient/<int:patient_id>/tablet/", views.tablet_sign, name="tablet"),
    path("patient/<int:patient_id>/withdraw/", views.withdraw, name="withdraw"),
    path("forms/", views.template_list, name="template_list"),
    path("forms/new/", views.template_new, name="template_new"),
    path("forms/<int:version>/", views.template_detail, name="template_detail"),
]
