"""Front desk: re-plan with booked visits allowed to move (review each move), and move a whole course."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.audit.log import record_event
from ketaclinic.schedule import actions
from ketaclinic.schedule.access import get_course_for_user
from ketaclinic.schedule.models import Chair, Proposal, SlotOffer, Visit
from ketaclinic.schedule.replan import (
    DecisionMade,
    course_visits,
    do_decide_replan_move,
    do_move_course,
    do_replan_schedule,
    move_label,
    propose_course_move,
)
from ketaclinic.schedule.rules import Placement, day_label
from ketaclinic.schedule.views import staff_clinic
from ketaclinic.scheduling.model import ScheduleInputError

MAX_PENALTY = 9  # a course weighs 10 moves; a higher penalty would never move anything


@login_required
@require_POST
def replan_view(request: HttpRequest) -> HttpResponse:
    """Run the optimizer for the waitlist, letting it move booked visits; show the proposal."""
    clinic = staff_clinic(request)
    method = "greedy" if request.POST.get("method") == "greedy" else "cpsat"
    try:
        penalty = min(MAX_PENALTY, max(0, int(request.POST.get("move_penalty", "1") or 1)))
    except ValueError:
        penalty = 1
    offer_id = None
    if request.POST.get("offer"):
        offer = get_object_or_404(SlotOffer, clinic=clinic, pk=request.POST.get("offer") or 0)
        offer_id = offer.pk
    try:
        proposal = do_replan_schedule(request.user, clinic, method=method, move_penalty=penalty,  # type: ignore[arg-type]
                                      offer_id=offer_id)
    except ScheduleInputError as exc:
        messages.error(request, f"The schedule could not be planned: {exc.message}")
        return redirect("schedule:waitlist")
    return redirect("schedule:proposal", proposal.pk)


def replan_moves(proposal: Proposal) -> list[dict[str, Any]]:
    """The proposal's moves with patient, old and new time and chair, and what was decided (3 queries)."""
    moves = proposal.waiting.get("moves", [])
    if not moves:
        return []
    visits = {v.pk: v for v in Visit.objects.filter(pk__in=[m["visit"] for m in moves], clinic=proposal.clinic)
              .select_related("clinic", "patient", "course")}
    chairs = {c.pk: c for c in Chair.objects.filter(clinic=proposal.clinic)}
    decisions = proposal.waiting.get("decisions", {})
    rows = []
    for m in moves:
        visit = visits.get(m["visit"])
        if visit is None:
            continue
        row = move_label(m, visit, chairs)
        row["decision"] = decisions.get(str(visit.pk), {})
        rows.append(row)
    return rows


@login_required
@require_POST
def proposal_move_view(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """Accept or reject one proposed move, or all undecided ones."""
    clinic = staff_clinic(request)
    proposal = get_object_or_404(Proposal, clinic=clinic, pk=proposal_id)
    accept = request.POST.get("answer") == "accept"
    raw = request.POST.get("visit", "all")
    visit_id = None if raw == "all" else int(raw) if raw.isdigit() else -1
    if visit_id == -1 or (visit_id is not None
                          and visit_id not in {m["visit"] for m in proposal.waiting.get("moves", [])}):
        messages.error(request, "That move is not part of this proposal.")
        return redirect("schedule:proposal", proposal.pk)
    try:
        done, problems = do_decide_replan_move(request.user, proposal, visit_id, accept=accept)  # type: ignore[arg-type]
    except DecisionMade as exc:
        messages.error(request, str(exc))
        return redirect("schedule:proposal", proposal.pk)
    if accept:
        if done:
            messages.success(request, f"Moved {done} visit{'s' if done != 1 else ''}; the patients are told.")
        for problem in problems:
            messages.error(request, f"Not moved: {problem}")
    else:
        messages.success(request, f"Kept {done} visit{'s' if done != 1 else ''} where they are.")
    return redirect("schedule:proposal", proposal.pk)


@login_required
@require_http_methods(["GET", "POST"])
def move_course_view(request: HttpRequest, course_id: int) -> HttpResponse:
    """Move every remaining visit of a course from a new first date: propose, review, accept all at once."""
    clinic = staff_clinic(request)
    course = get_course_for_user(request.user, course_id)
    if course.clinic_id != clinic.pk:
        return redirect("schedule:day")
    zone = clinic.zone
    tomorrow = timezone.localdate(timezone=zone) + timedelta(days=1)
    item = course_visits(course, tomorrow)
    error, problem, placements = "", "", []
    raw_date = request.POST.get("new_first") or request.GET.get("new_first") or ""
    new_first: date | None = None
    if raw_date:
        try:
            new_first = date.fromisoformat(raw_date)
        except ValueError:
            error = "Give the new first date as a date."
        else:
            if new_first < tomorrow:
                error = "The new first date must be tomorrow or later."
                new_first = None
    status = 200
    if request.method == "POST" and request.POST.get("action") == "accept":
        chairs = {str(c.pk): c for c in Chair.objects.filter(clinic=clinic, active=True)}
        typed: list[Placement] = []
        for v in item.movable:
            chair = chairs.get(request.POST.get(f"chair_{v.pk}", ""))
            try:
                start = datetime.fromisoformat(request.POST.get(f"start_{v.pk}", "")).astimezone(zone)
            except ValueError:
                chair = None
            if chair is None:
                error = "The proposed times were incomplete. Propose again."
                break
            typed.append(Placement(chair, start, v.pk))
        if not error:
            try:
                moved = do_move_course(request.user, course, typed)  # type: ignore[arg-type]
            except (actions.RuleBroken, actions.SlotTaken) as exc:
                error = str(exc)
            else:
                first = moved[0].starts_at.astimezone(zone)
                messages.success(request, f"Moved {len(moved)} visit{'s' if len(moved) != 1 else ''} of "
                                          f"{course.patient}; the first is on {day_label(first.date())} at "
                                          f"{first:%H:%M}. The patient is told.")
                return redirect("courses:detail", course.pk)
        status = 400
    elif new_first is not None:
        plan = propose_course_move(course, new_first)
        placements, problem = plan.placements, plan.problem
        record_event(request.user, "COURSE_MOVE_PROPOSED", patient=course.patient, obj=course,
                     details={"new_first": new_first.isoformat(), "placed": len(placements), "problem": problem})
    elif error:
        status = 400
    old = {v.pk: v for v in item.movable}
    rows = [{"visit": old[p.visit_id or 0], "chair": p.chair, "start": p.starts_at.astimezone(zone)}
            for p in placements]
    return render(request, "schedule/move_course.html", {
        "clinic": clinic, "course": course, "visits": item.visits, "movable": {v.pk for v in item.movable},
        "new_first": new_first, "rows": rows, "problem": problem, "error": error, "tomorrow": tomorrow,
    }, status=status)

