"""The floor board: every chair, live (htmx polls the rows every 10 s), and front-desk arrival."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketaclinic.accounts.roles import Perm, has_perm, require_perm, staff_clinic_ids
from ketaclinic.audit.log import record_event
from ketaclinic.infusions import actions
from ketaclinic.infusions.access import get_call_for_charting, get_visit_for_charting, get_visit_for_front_desk
from ketaclinic.infusions.models import PumpEventKind
from ketaclinic.infusions.records import VitalsDue, board_visits, next_vitals_due, pump_course
from ketaclinic.protocol.discharge import assess_discharge, required_scores
from ketaclinic.schedule.models import Chair, Visit, VisitStatus
from ketaclinic.web.clinic import current_clinic

# Minutes past the programmed duration before the board and chart ask the nurse to check the pump.
OVERRUN_GRACE_MIN = 5
PHASES: dict[str, str] = {
    VisitStatus.BOOKED: "Expected", VisitStatus.CONFIRMED: "Expected", VisitStatus.ARRIVED: "Arrived",
    VisitStatus.IN_CHAIR: "Pre-checks", VisitStatus.INFUSING: "Infusing", VisitStatus.RECOVERING: "Recovering",
}


@dataclass
class BoardRow:
    visit: Visit
    phase: str
    phase_key: str
    minutes_in_phase: int | None
    due: VitalsDue
    due_text: str
    overdue: bool
    alerts: list[Any]
    calls: list[Any]
    overrun: bool = False


def _ready(visit: Visit, protocol: Any, now: datetime) -> bool:
    stop = next((e.at for e in visit.board_pump if e.kind == PumpEventKind.STOP), None)  # type: ignore[attr-defined]
    if stop is None or visit.board_alerts:  # type: ignore[attr-defined]
        return False
    minutes = (now - stop).total_seconds() / 60
    latest = {s.score: s for s in sorted(visit.board_scores, key=lambda s: (s.scored_at, s.pk))}  # type: ignore[attr-defined]
    names = required_scores(protocol)
    return all(n in latest and assess_discharge(n, latest[n].components, minutes, protocol).ready for n in names)


def board_rows(clinic: Any, now: datetime) -> list[BoardRow]:
    local = timezone.localtime(now, clinic.zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    protocol = clinic.protocol()
    rows = []
    for visit in board_visits(clinic.pk, start, start + timedelta(days=1)):
        due = next_vitals_due(visit, visit.board_vitals, visit.board_pump, protocol)  # type: ignore[attr-defined]
        key = visit.status
        phase = PHASES.get(visit.status, visit.get_status_display())
        if visit.status == VisitStatus.RECOVERING and _ready(visit, protocol, now):
            key, phase = "ready", "Ready for discharge"
        minutes = int((now - visit.status_changed_at).total_seconds() // 60) \
            if visit.status_changed_at and visit.status not in (VisitStatus.BOOKED, VisitStatus.CONFIRMED) else None
        left = due.minutes_left(now)
        if due.due_at is None:
            text = "—"
        elif left is not None and left < 0:
            text = f"OVERDUE {-left} min ({due.label})"
        elif left == 0:
            text = f"Due now ({due.label})"
        else:
            text = f"in {left} min ({due.label})"
        orders = visit.board_orders  # type: ignore[attr-defined]
        course = pump_course(orders[0] if orders else None, visit.board_pump, now)  # type: ignore[attr-defined]
        overrun = bool(orders) and visit.status == VisitStatus.INFUSING and \
            course.actual_minutes > float(orders[0].duration_minutes) + OVERRUN_GRACE_MIN
        rows.append(BoardRow(visit, phase, key, minutes, due, text, due.overdue(now),
                             visit.board_alerts, visit.board_calls, overrun))  # type: ignore[attr-defined]
    return rows


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """The floor board. Staff who see patients; clinical columns only for clinical staff."""
    if not staff_clinic_ids(request.user, Perm.VIEW_PATIENTS):
        raise Http404
    clinic = current_clinic(request)
    require_perm(request.user, clinic, Perm.VIEW_PATIENTS)
    now = timezone.now()
    clinical = has_perm(request.user, clinic, Perm.VIEW_CLINICAL)
    context = {"clinic": clinic, "rows": board_rows(clinic, now), "now": now, "clinical": clinical,
               "chairs": list(Chair.objects.filter(clinic=clinic, active=True)) if clinical else []}
    if getattr(request, "htmx", False):
        return render(request, "infusions/partials/board_rows.html", context)
    record_event(request.user, "FLOOR_BOARD_VIEWED", clinic=clinic)
    return render(request, "infusions/board.html", context)


@login_required
@require_POST
def arrive(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = get_visit_for_front_desk(request.user, visit_id)
    try:
        actions.do_mark_arrived(request.user, visit)  # type: ignore[arg-type]
    except actions.InfusionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{visit.patient} has arrived.")
    return redirect("infusions:board")


@login_required
@require_POST
def take(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = get_visit_for_charting(request.user, visit_id)
    chair = get_object_or_404(Chair, pk=request.POST.get("chair") or 0, clinic=visit.clinic)
    try:
        actions.do_take_patient(request.user, visit, chair)  # type: ignore[arg-type]
    except actions.InfusionError as exc:
        messages.error(request, exc.message)
        return redirect("infusions:board")
    return redirect("infusions:visit", visit.pk)


@login_required
@require_POST
def answer_call(request: HttpRequest, call_id: int) -> HttpResponse:
    call = get_call_for_charting(request.user, call_id)
    actions.do_answer_call(request.user, call)  # type: ignore[arg-type]
    if request.POST.get("next") == "visit":
        return redirect("infusions:visit", call.visit_id)
    return redirect("infusions:board")
