"""Waitlist, the optimizer's proposals (review, adjust, accept) and patient availability (staff side)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.patients.access import get_patient_for_user
from ketaclinic.schedule import actions
from ketaclinic.schedule.access import get_course_for_user
from ketaclinic.schedule.forms import AvailabilityForm, availability_args, availability_initial
from ketaclinic.schedule.models import Availability, Chair, OfferStatus, Proposal, SlotOffer
from ketaclinic.schedule.offers import do_withdraw_offer
from ketaclinic.schedule.planning import (
    do_propose_schedule,
    placements_from_plan,
    waiting_courses,
)
from ketaclinic.schedule.rules import Placement, check_course_plan
from ketaclinic.schedule.views import staff_clinic
from ketaclinic.scheduling.model import ScheduleInputError


@login_required
def waitlist_view(request: HttpRequest) -> HttpResponse:
    """Courses waiting to be scheduled (oldest first), their availability, open offers, recent proposals."""
    clinic = staff_clinic(request)
    courses = waiting_courses(clinic)
    patient_ids = [c.patient_id for c in courses]
    rows = {(a.patient_id, a.course_id): a for a in Availability.objects.filter(patient_id__in=patient_ids)}
    items = [{"course": c, "availability": rows.get((c.patient_id, c.pk)) or rows.get((c.patient_id, None))}
             for c in courses]
    offers = (SlotOffer.objects.filter(clinic=clinic, status=OfferStatus.OPEN, starts_at__gt=timezone.now())
              .select_related("chair").prefetch_related("recipients__patient").order_by("starts_at"))
    proposals = Proposal.objects.filter(clinic=clinic).select_related("created_by")[:5]
    record_event(request.user, "WAITLIST_VIEWED", clinic=clinic)
    return render(request, "schedule/waitlist.html", {
        "clinic": clinic, "items": items, "offers": offers, "proposals": proposals,
    })


@login_required
@require_POST
def propose_view(request: HttpRequest) -> HttpResponse:
    """Run the optimizer for the waitlist and show its proposal. Nothing is booked yet."""
    clinic = staff_clinic(request)
    method = "greedy" if request.POST.get("method") == "greedy" else "cpsat"
    try:
        proposal = do_propose_schedule(request.user, clinic, method=method)  # type: ignore[arg-type]
    except ScheduleInputError as exc:
        messages.error(request, f"The schedule could not be planned: {exc.message}")
        return redirect("schedule:waitlist")
    return redirect("schedule:proposal", proposal.pk)


def _proposal_items(proposal: Proposal, clinic: Any) -> list[dict[str, Any]]:
    keys: dict[str, int] = proposal.waiting.get("courses", {})
    courses = {c.pk: c for c in waiting_courses(clinic)}
    items = []
    for key, course_id in keys.items():
        course = courses.get(course_id)
        if course is None:
            continue  # booked or cancelled since the proposal was made
        placements = placements_from_plan(clinic, proposal.plan, key)
        problems = check_course_plan(course, placements) if placements else []
        items.append({"course": course, "key": key, "placements": placements, "problems": problems})
    return items


@login_required
@require_http_methods(["GET", "POST"])
def proposal_view(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """Review a proposal course by course; adjust any visit's chair or time; book a course whole."""
    clinic = staff_clinic(request)
    proposal = get_object_or_404(Proposal, clinic=clinic, pk=proposal_id)
    chairs = list(Chair.objects.filter(clinic=clinic, active=True).order_by("name"))
    errors: dict[int, list[str]] = {}
    typed: dict[int, list[dict[str, Any]]] = {}
    if request.method == "POST":
        course = get_course_for_user(request.user, int(request.POST.get("course", 0) or 0))
        placements, bad = _typed_placements(request, course, chairs, clinic.zone)
        typed[course.pk] = [{"chair": request.POST.get(f"chair_{i}", ""), "day": request.POST.get(f"day_{i}", ""),
                             "start": request.POST.get(f"start_{i}", "")} for i in range(course.planned_visits)]
        if bad:
            errors[course.pk] = bad
        else:
            try:
                actions.do_book_course(request.user, course, placements,  # type: ignore[arg-type]
                                       source=f"proposal {proposal.pk}")
            except actions.RuleBroken as exc:
                errors[course.pk] = [p.message for p in exc.problems]
            except actions.SlotTaken as exc:
                errors[course.pk] = [str(exc)]
            else:
                messages.success(request, f"Booked {course.planned_visits} visit(s) for {course.patient}.")
                return redirect("schedule:proposal", proposal.pk)
    items = _proposal_items(proposal, clinic)
    zone = clinic.zone
    for item in items:
        item["errors"] = errors.get(item["course"].pk, [])
        item["rows"] = typed.get(item["course"].pk) or [
            {"day": p.starts_at.astimezone(zone).strftime("%Y-%m-%d"),
             "start": p.starts_at.astimezone(zone).strftime("%H:%M"), "chair": str(p.chair.pk)}
            for p in item["placements"]]
    placed = [i for i in items if i["placements"]]
    # The optimizer's bound counts booked visits too (each is a fixed one-visit course).
    occupants = sum(1 for c in proposal.instance.get("courses", []) if str(c.get("id", "")).startswith("V"))
    keys = proposal.waiting.get("courses", {})
    from ketaclinic.schedule.views_replan import replan_moves

    moves = replan_moves(proposal)
    return render(request, "schedule/proposal.html", {
        "replan": proposal.waiting.get("kind") == "replan", "moves": moves,
        "undecided": sum(1 for m in moves if m["decision"].get("status") not in ("accepted", "rejected")),
        "clinic": clinic, "proposal": proposal, "placed": placed, "waiting_count": len(keys),
        "placed_count": sum(1 for k in keys if any(a["course"] == k for a in proposal.plan.get("assignments", []))),
        "bound": max(0, int(proposal.plan.get("bound", 0)) - occupants),
        "unplaced": [i for i in items if not i["placements"]], "chairs": chairs,
        "skipped": proposal.waiting.get("skipped", []),
        "status_code": 400 if errors else 200,
    }, status=400 if errors else 200)


def _typed_placements(request: HttpRequest, course: Any, chairs: list[Chair],
                      zone: Any) -> tuple[list[Placement], list[str]]:
    by_id = {str(c.pk): c for c in chairs}
    placements: list[Placement] = []
    bad: list[str] = []
    for i in range(course.planned_visits):
        chair = by_id.get(request.POST.get(f"chair_{i}", ""))
        try:
            start = datetime.fromisoformat(f"{request.POST.get(f'day_{i}', '')}T{request.POST.get(f'start_{i}', '')}")
        except ValueError:
            bad.append(f"Visit {i + 1}: give a date and a start time.")
            continue
        if chair is None:
            bad.append(f"Visit {i + 1}: pick a chair.")
            continue
        placements.append(Placement(chair, start.replace(tzinfo=zone)))
    return placements, bad


@login_required
@require_POST
def proposal_close_view(request: HttpRequest, proposal_id: int) -> HttpResponse:
    clinic = staff_clinic(request)
    proposal = get_object_or_404(Proposal, clinic=clinic, pk=proposal_id)
    actions.do_close_proposal(request.user, proposal)  # type: ignore[arg-type]
    return redirect("schedule:waitlist")


@login_required
@require_POST
def offer_withdraw_view(request: HttpRequest, offer_id: int) -> HttpResponse:
    clinic = staff_clinic(request)
    offer = get_object_or_404(SlotOffer, clinic=clinic, pk=offer_id)
    do_withdraw_offer(request.user, offer)  # type: ignore[arg-type]
    messages.success(request, "Offer withdrawn.")
    return redirect("schedule:waitlist")


@login_required
@require_http_methods(["GET", "POST"])
def availability_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Staff record when a patient and their ride can come (for example after a phone call)."""
    staff_clinic(request)
    patient = get_patient_for_user(request.user, patient_id)
    require_perm(request.user, patient.clinic, Perm.VIEW_PATIENTS)
    current = Availability.objects.filter(patient=patient, course__isnull=True).first()
    initial = availability_initial(current)
    form = AvailabilityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        actions.do_set_availability(request.user, patient, **availability_args(d))  # type: ignore[arg-type]
        messages.success(request, f"Availability saved for {patient}.")
        return redirect("schedule:waitlist")
    return render(request, "schedule/availability.html", {"clinic": patient.clinic, "patient": patient,
                                                          "form": form, "staff": True})


