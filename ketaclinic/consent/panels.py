"""Panels the consent stage adds to the patient's home and to the staff chart."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

from ketaclinic.accounts.roles import Perm, has_perm
from ketaclinic.consent.access import consent_status
from ketaclinic.consent.models import ConsentSignature
from ketaclinic.patients.models import Patient
from ketaclinic.web.panels import register_panel


@register_panel("patient", order=5)
def patient_consent_panel(request: HttpRequest, clinic: Any, *, patient: Patient, **_: Any) -> str | None:
    """'Please read and sign your consent', only while the patient has no valid consent."""
    status = consent_status(patient)
    if status.valid:
        return None
    return render_to_string("consent/partials/patient_panel.html", {"status": status}, request=request)


@register_panel("chart", order=15)
def chart_consent_panel(request: HttpRequest, clinic: Any, *, patient: Patient, **_: Any) -> str | None:
    status = consent_status(patient)
    signatures = (ConsentSignature.objects.filter(patient=patient).select_related("witness")
                  .defer("document_html", "text_snapshot").order_by("-signed_at"))
    return render_to_string("consent/partials/chart_panel.html", {
        "status": status, "patient": patient, "signatures": signatures,
        "can_withdraw": has_perm(request.user, patient.clinic, Perm.CHART),
    }, request=request)
