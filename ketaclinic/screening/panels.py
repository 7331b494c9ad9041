"""Home-screen panels: the patient's screening status and the staff screening queue count."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

from ketaclinic.accounts.roles import Perm, has_perm
from ketaclinic.screening.access import current_case, latest_assessment, open_review_flags
from ketaclinic.screening.models import CaseStatus, ReviewFlag, ScreeningCase, ScreeningDecision, SelfReferral
from ketaclinic.screening.status import patient_status
from ketaclinic.web.panels import register_panel


@register_panel("patient", order=10)
def patient_screening_panel(request: HttpRequest, clinic: Any, patient: Any = None, **_: Any) -> str | None:
    """Your screening: status and next step (hidden once a course is under way with nothing to do)."""
    if patient is None or patient.stage not in ("referred", "screening", "approved", "declined"):
        return None  # in treatment: the later stages' panels take over
    case = current_case(patient)
    decision = ScreeningDecision.objects.filter(case=case).first() if case else None
    status = patient_status(case, decision, clinic.phone)
    return render_to_string("screening/partials/patient_panel.html",
                            {"status": status, "case": case, "clinic": clinic}, request=request)


@register_panel("staff", order=20)
def staff_screening_panel(request: HttpRequest, clinic: Any, **_: Any) -> str | None:
    """Screening queue: N waiting for review (staff who see patients)."""
    if not has_perm(request.user, clinic, Perm.VIEW_PATIENTS):
        return None
    waiting = ScreeningCase.objects.filter(clinic=clinic, status=CaseStatus.READY).count()
    clearance = ScreeningCase.objects.filter(clinic=clinic, status=CaseStatus.CLEARANCE).count()
    self_referrals = SelfReferral.objects.filter(clinic=clinic, status=SelfReferral.Status.NEW).count()
    flags = ReviewFlag.objects.filter(clinic=clinic, resolved_at__isnull=True).values("patient").distinct().count()
    return render_to_string("screening/partials/staff_panel.html", {
        "waiting": waiting, "clearance": clearance, "self_referrals": self_referrals, "flags": flags,
    }, request=request)


@register_panel("chart", order=20)
def chart_screening_panel(request: HttpRequest, clinic: Any, patient: Any = None, **_: Any) -> str | None:
    """On the patient chart (clinical staff): screening status, rules result, open flags, link to the review."""
    if patient is None:
        return None
    return render_to_string("screening/partials/chart_panel.html", {
        "patient": patient, "case": current_case(patient), "latest": latest_assessment(patient),
        "flags": list(open_review_flags(patient)),
    }, request=request)


__all__ = ["chart_screening_panel", "open_review_flags", "patient_screening_panel", "staff_screening_panel"]
