"""The provider's dose order: previous doses and tolerance, a calculated preview, then the signature."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.infusions import actions
from ketaclinic.infusions.access import get_visit_for_charting
from ketaclinic.infusions.actions.dose import calculate_for_visit
from ketaclinic.infusions.forms import DoseOrderForm
from ketaclinic.infusions.models import AdverseEvent, DoseOrder, Observation
from ketaclinic.infusions.readiness import latest_checkin
from ketaclinic.infusions.views.common import attach_error, require_clinical_staff, user_by_email

HISTORY = 8


def _history(visit: object) -> list[dict[str, object]]:
    """Previous visits' orders with tolerance (adverse events, peak dissociation and sedation)."""
    orders = list(DoseOrder.objects.current().filter(visit__patient_id=visit.patient_id,  # type: ignore[attr-defined]
                                                     visit__starts_at__lt=visit.starts_at)  # type: ignore[attr-defined]
                  .select_related("visit").order_by("-visit__starts_at")[:HISTORY])
    visit_ids = [o.visit_id for o in orders]
    events: dict[int, list[str]] = {}
    for ae in AdverseEvent.objects.current().filter(visit_id__in=visit_ids):
        events.setdefault(ae.visit_id, []).append(f"{ae.event_type} ({ae.severity})")
    peaks: dict[tuple[int, str], int] = {}
    for obs in Observation.objects.current().filter(visit_id__in=visit_ids, value__isnull=False):
        key = (obs.visit_id, obs.kind)
        if obs.kind == "rass":
            peaks[key] = min(peaks.get(key, 0), obs.value or 0, key=abs) if key in peaks else obs.value or 0
        else:
            peaks[key] = max(peaks.get(key, 0), obs.value or 0)
    return [{"order": o, "events": events.get(o.visit_id, []), "cadss6": peaks.get((o.visit_id, "cadss6")),
             "nausea": peaks.get((o.visit_id, "nausea")), "rass": peaks.get((o.visit_id, "rass"))} for o in orders]


def _response(patient: Any) -> list[dict[str, object]]:
    """PHQ-9 totals so far (oldest first) with the change from the first, for titration decisions."""
    from ketaclinic.outcomes.models import QuestionnaireResponse

    rows = list(QuestionnaireResponse.objects.filter(patient=patient, instrument="phq9", total__isnull=False)
                .order_by("-answered_at")[:HISTORY])[::-1]
    first = rows[0].total if rows else None
    return [{"on": r.answered_at, "total": r.total, "label": r.severity_label,
             "change": round(100 * ((r.total or 0) - first) / first) if first else None} for r in rows]


@login_required
@require_http_methods(["GET", "POST"])
def order(request: HttpRequest, visit_id: int) -> HttpResponse:
    """GET: the order form. POST "calculate": a preview with findings. POST "sign": the order."""
    require_clinical_staff(request)
    visit = get_visit_for_charting(request.user, visit_id)
    require_perm(request.user, visit.clinic, Perm.PRESCRIBE)
    protocol = visit.clinic.protocol()
    history = _history(visit)
    last = history[0]["order"] if history else None
    initial = {
        "dose_mg_per_kg": getattr(last, "dose_mg_per_kg", protocol.dose.mood_dose_mg_per_kg_default),
        "weight_basis": getattr(last, "weight_basis", protocol.dose.dosing_weight_basis),
        "concentration_mg_per_ml": getattr(last, "concentration_mg_per_ml", 10),
        "bag_volume_ml": getattr(last, "bag_volume_ml", protocol.dose.diluent_default_ml),
        "duration_minutes": protocol.dose.mood_infusion_min_default,
    }
    form = DoseOrderForm(request.POST or None, initial=initial)
    calc = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                req = actions.parse_request(
                    dose_mg_per_kg=d["dose_mg_per_kg"], weight_basis=d["weight_basis"],
                    concentration_mg_per_ml=d["concentration_mg_per_ml"], bag_volume_ml=d["bag_volume_ml"],
                    duration_minutes=d["duration_minutes"])
                calc = calculate_for_visit(visit, req)
                if "sign" in request.POST:
                    actions.do_order_dose(
                        request.user, visit, req, acknowledgement_reason=d["acknowledgement_reason"],  # type: ignore[arg-type]
                        cosigner=user_by_email(visit.clinic, d["cosigner_email"]),
                        cosigner_password=d["cosigner_password"], cosign_reason=d["cosign_reason"],
                        amend_reason=d["amend_reason"])
                    messages.success(request, "Dose order signed.")
                    return redirect(f"/infusions/visit/{visit.pk}/#pump")
            except actions.InfusionError as exc:
                attach_error(form, exc)
                status = 400
        else:
            status = 400
    return render(request, "infusions/order.html", {
        "visit": visit, "patient": visit.patient, "form": form, "calc": calc, "history": history,
        "response": _response(visit.patient),
        "checkin": latest_checkin(visit), "current": DoseOrder.objects.current().filter(visit=visit).first(),
    }, status=status)
