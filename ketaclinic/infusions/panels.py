"""Home-screen panels: "call nurse" and the next-day check-in for patients; flagged check-ins for nurses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

from ketaclinic.accounts.roles import Perm, has_perm
from ketaclinic.infusions.access import current_visit_in_chair, latest_discharged_visit
from ketaclinic.infusions.models import FollowUp
from ketaclinic.web.panels import register_panel

FLAGGED_SHOWN = 20
AFTERCARE_SHOWN_FOR = timedelta(days=2)  # the after-care sheet stays on the home screen for two days


@register_panel("patient", order=5)
def patient_in_visit_panel(request: HttpRequest, clinic: Any, patient: Any = None, **_: Any) -> str | None:
    """While the patient is in the chair: a big "call nurse" button. After: tomorrow's check-in."""
    from django.utils import timezone

    if patient is None:
        return None
    now = timezone.now()
    visit = current_visit_in_chair(patient)
    follow_up = (FollowUp.objects.filter(visit__patient=patient, answered_at__isnull=True,
                                         due_at__lte=now).order_by("-due_at").first())
    went_home = latest_discharged_visit(patient, now - AFTERCARE_SHOWN_FOR) if visit is None else None
    if visit is None and follow_up is None and went_home is None:
        return None
    open_call = visit.call_requests.filter(answered_at__isnull=True).first() if visit else None
    return render_to_string("infusions/panels/patient_visit.html",
                            {"visit": visit, "follow_up": follow_up, "open_call": open_call, "clinic": clinic,
                             "went_home": went_home},
                            request=request)


@register_panel("staff", order=15)
def flagged_follow_ups_panel(request: HttpRequest, clinic: Any, **_: Any) -> str | None:
    """Next-day check-ins whose answers need a nurse's call."""
    if not has_perm(request.user, clinic, Perm.VIEW_CLINICAL):
        return None
    items = list(FollowUp.objects.filter(clinic=clinic, flagged=True, reviewed_at__isnull=True)
                 .select_related("visit__patient").order_by("answered_at")[:FLAGGED_SHOWN])
    return render_to_string("infusions/panels/staff_follow_ups.html", {"items": items, "clinic": clinic},
                            request=request)


CHART_VISITS_SHOWN = 10


@register_panel("chart", order=40)
def infusion_records_panel(request: HttpRequest, clinic: Any, patient: Any = None, **_: Any) -> str | None:
    """On the patient's chart: their infusion visits with dose, events and links to the records."""
    from ketaclinic.infusions.models import DoseOrder

    if patient is None or not has_perm(request.user, patient.clinic, Perm.VIEW_CLINICAL):
        return None
    orders = list(DoseOrder.objects.current().filter(visit__patient=patient).select_related("visit")
                  .order_by("-visit__starts_at")[:CHART_VISITS_SHOWN])
    return render_to_string("infusions/panels/chart_infusions.html", {"orders": orders, "patient": patient},
                            request=request)
