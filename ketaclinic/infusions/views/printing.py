"""Printable pages: the one-page infusion record (with an SVG vitals chart) and the after-care sheet."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketaclinic.audit.log import record_event
from ketaclinic.infusions.access import get_visit_for_charting
from ketaclinic.infusions.messages import aftercare_sections
from ketaclinic.infusions.models import VitalSign
from ketaclinic.infusions.views.common import require_clinical_staff
from ketaclinic.infusions.views.visit import visit_context

CHART_W, CHART_H, PAD = 640, 200, 30
SERIES = (("systolic", "Systolic", "#b3261e"), ("diastolic", "Diastolic", "#e8885a"),
          ("heart_rate", "Heart rate", "#1d4ed8"), ("spo2", "SpO2", "#15803d"))


def vitals_chart(vitals: list[VitalSign], zone: Any) -> dict[str, Any]:
    """Polyline points for an inline SVG (no script): x = time, y = 40..200 scale."""
    points = [v for v in vitals if v.taken_at]
    if len(points) < 1:
        return {"series": [], "ticks": []}
    t0 = points[0].taken_at
    span = max((points[-1].taken_at - t0).total_seconds(), 60)
    lo, hi = 40, 200

    def xy(v: VitalSign, value: float) -> str:
        x = PAD + (v.taken_at - t0).total_seconds() / span * (CHART_W - 2 * PAD)
        y = CHART_H - PAD - (min(max(value, lo), hi) - lo) / (hi - lo) * (CHART_H - 2 * PAD)
        return f"{x:.1f},{y:.1f}"

    series = []
    for field, label, colour in SERIES:
        pts = [xy(v, getattr(v, field)) for v in points if getattr(v, field) is not None]
        if pts:
            series.append({"label": label, "colour": colour, "points": " ".join(pts)})
    ticks = [{"x": f"{PAD + (v.taken_at - t0).total_seconds() / span * (CHART_W - 2 * PAD):.1f}",
              "label": timezone.localtime(v.taken_at, zone).strftime("%H:%M")}
             for v in points[:: max(1, len(points) // 8)]]
    grid = [{"y": f"{CHART_H - PAD - (g - lo) / (hi - lo) * (CHART_H - 2 * PAD):.1f}", "label": g}
            for g in (60, 100, 140, 180)]
    return {"series": series, "ticks": ticks, "grid": grid, "w": CHART_W, "h": CHART_H}


@login_required
def record(request: HttpRequest, visit_id: int) -> HttpResponse:
    require_clinical_staff(request)
    visit = get_visit_for_charting(request.user, visit_id)
    context = visit_context(request, visit)
    context["chart"] = vitals_chart(context["current_vitals"], visit.clinic.zone)
    record_event(request.user, "INFUSION_RECORD_PRINTED", patient=visit.patient, obj=visit)
    return render(request, "infusions/record.html", context)


@login_required
def aftercare(request: HttpRequest, visit_id: int) -> HttpResponse:
    require_clinical_staff(request)
    visit = get_visit_for_charting(request.user, visit_id)
    return render(request, "infusions/aftercare.html", {"visit": visit, "patient": visit.patient,
                                                        "clinic": visit.clinic,
                                                        "sections": aftercare_sections(visit.clinic)})
