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
    """'Please read and sign your consent' while the patient has no valid consent; then a link to the copy."""
    status = consent_status(patient)
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


UPCOMING_DAYS = 7


@register_panel("staff", order=12)
def staff_unsigned_panel(request: HttpRequest, clinic: Any, **_: Any) -> str | None:
    """Patients with a visit in the next week who have no valid consent: sign them in on the tablet."""
    from datetime import timedelta

    from django.utils import timezone

    from ketaclinic.consent.access import consent_statuses
    from ketaclinic.schedule.models import Visit, VisitStatus

    can_edit_form = has_perm(request.user, clinic, Perm.EDIT_PROTOCOL)
    if not has_perm(request.user, clinic, Perm.VIEW_PATIENTS):
        return None
    now = timezone.now()
    upcoming = (Visit.objects.filter(clinic=clinic, starts_at__gte=now - timedelta(hours=12),
                                     starts_at__lt=now + timedelta(days=UPCOMING_DAYS),
                                     status__in=[VisitStatus.BOOKED, VisitStatus.CONFIRMED, VisitStatus.ARRIVED])
                .select_related("patient", "patient__clinic").order_by("starts_at"))
    first_visit: dict[int, Any] = {}
    for visit in upcoming:
        first_visit.setdefault(visit.patient_id, visit)
    statuses = consent_statuses([v.patient for v in first_visit.values()])
    rows = [(v, statuses[pid]) for pid, v in first_visit.items() if not statuses[pid].valid]
    from ketaclinic.consent.access import current_or_default_template

    return render_to_string("consent/partials/staff_panel.html", {
        "rows": rows, "days": UPCOMING_DAYS, "can_edit_form": can_edit_form,
        "form_version": current_or_default_template(clinic).version if can_edit_form else None,
    }, request=request)
