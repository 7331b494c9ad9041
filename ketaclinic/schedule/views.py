"""Front desk views: day sheet by chair with nurse load, week view, booking, moving, cancelling.

Every read goes through schedule.access (or clinic-scoped querysets of the staff member's
current clinic); every write through an action, whose rule problems are shown as they are.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.roles import Perm, staff_clinic_ids
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.courses.models import CourseStatus
from ketaclinic.schedule import actions
from ketaclinic.schedule.access import courses_visible_to, get_visit_for_user, visits_visible_to
from ketaclinic.schedule.forms import BookForm, CancelForm, SlotForm, aware, week_start
from ketaclinic.schedule.models import ACTIVE_STATUSES, Chair, NurseShift
from ketaclinic.schedule.nurses import (
    NurseNotAvailable,
    can_assign_nurses,
    clinic_nurses,
    do_assign_nurse,
    nurse_day_load,
)
from ketaclinic.schedule.rules import Placement, Problem, day_label, free_slots, load_boards
from ketaclinic.web.clinic import current_clinic

MIDNIGHT = time(0)


def staff_clinic(request: HttpRequest) -> Clinic:
    """The current clinic of a staff member who may see the schedule; 404 for anyone else."""
    if not staff_clinic_ids(request.user, Perm.VIEW_PATIENTS):
        raise Http404
    clinic = current_clinic(request)
    if clinic.pk not in staff_clinic_ids(request.user, Perm.VIEW_PATIENTS):
        raise Http404
    return clinic


def _day_param(request: HttpRequest, clinic: Clinic, name: str = "date") -> date:
    try:
        return date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return timezone.localdate(timezone=clinic.zone)


def _load_rows(board: Any) -> list[dict[str, Any]]:
    """Nurse load in half-hour rows: most infusions running vs. capacity (nurses × max per nurse)."""
    rows: list[dict[str, Any]] = []
    for start, running, capacity in board.nurse_load():
        if rows and (start - rows[-1]["start"]) < timedelta(minutes=30):
            rows[-1]["running"] = max(rows[-1]["running"], running)
            rows[-1]["capacity"] = min(rows[-1]["capacity"], capacity)
            continue
        rows.append({"start": start, "running": running, "capacity": capacity})
    for row in rows:
        row["over"] = row["running"] > row["capacity"]
        row["full"] = row["running"] == row["capacity"] and row["capacity"] > 0
    return rows


@login_required
def day_view(request: HttpRequest) -> HttpResponse:
    """The day sheet: each chair's visits in time order, nurse load, nurses on shift."""
    clinic = staff_clinic(request)
    day = _day_param(request, clinic)
    board = load_boards(clinic, [day])[day]
    visits = list(visits_visible_to(request.user).filter(
        clinic=clinic, starts_at__gte=aware(day, MIDNIGHT, clinic.zone),
        starts_at__lt=aware(day + timedelta(days=1), MIDNIGHT, clinic.zone))
        .select_related("patient", "course", "chair", "nurse").order_by("starts_at"))
    chairs = list(Chair.objects.filter(clinic=clinic).order_by("name"))
    by_chair = [{"chair": c, "visits": [v for v in visits if v.chair_id == c.pk]} for c in chairs
                if c.active or any(v.chair_id == c.pk for v in visits)]
    shifts = list(NurseShift.objects.filter(clinic=clinic, starts_at__lt=aware(day + timedelta(days=1), MIDNIGHT,
                                                                                  clinic.zone),
                                            ends_at__gt=aware(day, MIDNIGHT, clinic.zone))
                  .select_related("nurse").order_by("starts_at"))
    record_event(request.user, "SCHEDULE_VIEWED", clinic=clinic, details={"day": day.isoformat()})
    on_shift = {s.nurse_id: s.nurse for s in shifts}
    return render(request, "schedule/day.html", {
        "nurse_rows": nurse_day_load(clinic, visits, shifts), "nurse_choices": list(on_shift.values()),
        "can_assign": can_assign_nurses(request.user, clinic),
        "unassigned": sum(1 for v in visits if v.nurse_id is None and v.status in ACTIVE_STATUSES
                          and v.status != "discharged"),
        "clinic": clinic, "day": day, "day_label": day_label(day), "board": board, "by_chair": by_chair,
        "load": _load_rows(board), "shifts": shifts, "prev": day - timedelta(days=1), "next": day + timedelta(days=1),
        "cancelled": [v for v in visits if v.status not in ACTIVE_STATUSES],
        "now": timezone.now(),
    })


@login_required
def week_view(request: HttpRequest) -> HttpResponse:
    """Seven days side by side: each day's visits in time order with chair and status."""
    clinic = staff_clinic(request)
    first = week_start(_day_param(request, clinic, "start"))
    days = [first + timedelta(days=i) for i in range(7)]
    boards = load_boards(clinic, days)
    visits = list(visits_visible_to(request.user).filter(
        clinic=clinic, status__in=ACTIVE_STATUSES, starts_at__gte=aware(first, MIDNIGHT, clinic.zone),
        starts_at__lt=aware(first + timedelta(days=7), MIDNIGHT, clinic.zone))
        .select_related("patient", "chair").order_by("starts_at"))
    zone = clinic.zone
    chair_count = Chair.objects.filter(clinic=clinic, active=True).count()
    columns = []
    for d in days:
        mine = [v for v in visits if v.starts_at.astimezone(zone).date() == d]
        board = boards[d]
        over = any(r["over"] for r in _load_rows(board))
        used = None
        if board.opens_at and board.closes_at and chair_count:
            # chair-minutes booked out of chair-minutes open: how full the day is
            open_minutes = (board.closes_at - board.opens_at).total_seconds() / 60 * chair_count
            booked = sum((v.ends_at - v.starts_at).total_seconds() / 60 for v in mine)
            used = round(100 * booked / open_minutes)
        columns.append({"day": d, "board": board, "visits": mine, "over": over, "used": used})
    record_event(request.user, "SCHEDULE_VIEWED", clinic=clinic, details={"week": first.isoformat()})
    return render(request, "schedule/week.html", {
        "clinic": clinic, "columns": columns, "first": first, "prev": first - timedelta(days=7),
        "next": first + timedelta(days=7),
    })


def _bookable_courses(request: HttpRequest, clinic: Clinic) -> Any:
    return (courses_visible_to(request.user).filter(clinic=clinic, status__in=[
        CourseStatus.REQUESTED, CourseStatus.SCHEDULED, CourseStatus.ACTIVE]).select_related("patient")
        .order_by("patient__last_name", "patient__first_name", "pk"))


def _show_problems(form: Any, problems: list[Problem]) -> None:
    for p in problems:
        form.add_error(None, p.message)


@login_required
@require_http_methods(["GET", "POST"])
def book_view(request: HttpRequest) -> HttpResponse:
    """Book one visit of a course by hand. Every rule is checked; the page says why a slot is not allowed."""
    clinic = staff_clinic(request)
    chairs = Chair.objects.filter(clinic=clinic, active=True).order_by("name")
    initial: dict[str, Any] = {"day": _day_param(request, clinic)}
    if request.GET.get("chair"):
        initial["chair"] = request.GET["chair"]
    if request.GET.get("course"):
        initial["course"] = request.GET["course"]
    form = BookForm(request.POST or None, chairs=chairs, courses=_bookable_courses(request, clinic), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        start = aware(data["day"], data["start"], clinic.zone)
        try:
            visits = actions.do_book_course(request.user, data["course"],  # type: ignore[arg-type]
                                            [Placement(data["chair"], start)])
        except actions.RuleBroken as exc:
            _show_problems(form, exc.problems)
        except actions.SlotTaken as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Booked {visits[0].patient} in {visits[0].chair} on "
                                      f"{day_label(data['day'])} at {data['start']:%H:%M}.")
            return redirect(f"{_day_url()}?date={data['day'].isoformat()}")
    return render(request, "schedule/book.html", {"clinic": clinic, "form": form})


def _day_url() -> str:
    return reverse("schedule:day")


@login_required
@require_http_methods(["GET", "POST"])
def move_view(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Move a visit to another chair or time; suggests free slots that keep the course valid."""
    staff_clinic(request)
    visit = get_visit_for_user(request.user, visit_id)
    clinic = visit.clinic
    zone = clinic.zone
    local = visit.starts_at.astimezone(zone)
    chairs = Chair.objects.filter(clinic=clinic, active=True).order_by("name")
    form = SlotForm(request.POST or None, chairs=chairs,
                    initial={"chair": visit.chair_id, "day": local.date(), "start": local.time()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_move_visit(request.user, visit, data["chair"],  # type: ignore[arg-type]
                                  aware(data["day"], data["start"], zone), reason=data["reason"])
        except actions.RuleBroken as exc:
            _show_problems(form, exc.problems)
        except actions.SlotTaken as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Moved visit to {day_label(data['day'])} at {data['start']:%H:%M}.")
            return redirect(f"{_day_url()}?date={data['day'].isoformat()}")
    pick = form.cleaned_data.get("day") if form.is_bound and hasattr(form, "cleaned_data") else None
    around = pick or local.date()
    days = [around + timedelta(days=i) for i in range(-1, 3) if around + timedelta(days=i) >= timezone.localdate()]
    suggestions = free_slots(visit.course, days, list(chairs), moving=visit, respect_availability=False,
                             limit_per_day=12)
    return render(request, "schedule/move.html", {
        "clinic": clinic, "visit": visit, "form": form, "suggestions": sorted(suggestions.items()),
    })


@login_required
@require_http_methods(["GET", "POST"])
def cancel_view(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Cancel a visit (staff, any time, with a reason). The freed slot is offered to the waitlist."""
    staff_clinic(request)
    visit = get_visit_for_user(request.user, visit_id)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_cancel_visit(request.user, visit, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
        except actions.RuleBroken as exc:
            _show_problems(form, exc.problems)
        else:
            messages.success(request, "Visit cancelled. If someone on the waitlist fits, they have been offered it.")
            return redirect(f"{_day_url()}?date={visit.starts_at.astimezone(visit.clinic.zone).date().isoformat()}")
    return render(request, "schedule/cancel.html", {"clinic": visit.clinic, "visit": visit, "form": form})


@login_required
@require_POST
def no_show_view(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Record that the patient did not come (only after the visit's start)."""
    staff_clinic(request)
    visit = get_visit_for_user(request.user, visit_id)
    try:
        actions.do_record_no_show(request.user, visit)  # type: ignore[arg-type]
    except actions.RuleBroken as exc:
        messages.error(request, " ".join(p.message for p in exc.problems))
    else:
        messages.success(request, f"Recorded that {visit.patient} did not come.")
    return redirect(f"{_day_url()}?date={visit.starts_at.astimezone(visit.clinic.zone).date().isoformat()}")


@login_required
@require_POST
def assign_nurse_view(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Set the nurse who watches a visit's infusion (front desk or a nurse, the charge nurse)."""
    staff_clinic(request)
    visit = get_visit_for_user(request.user, visit_id)
    raw = request.POST.get("nurse", "")
    nurse = clinic_nurses(visit.clinic).filter(pk=raw).first() if raw.isdigit() else None
    back = f"{_day_url()}?date={visit.starts_at.astimezone(visit.clinic.zone).date().isoformat()}"
    if raw and nurse is None:
        messages.error(request, "Pick one of the clinic's nurses.")
        return redirect(back)
    try:
        do_assign_nurse(request.user, visit, nurse)  # type: ignore[arg-type]
    except NurseNotAvailable as exc:
        messages.error(request, str(exc))
    else:
        who = (nurse.full_name or nurse.email) if nurse else "no nurse"
        messages.success(request, f"{visit.patient}: {who} watches the infusion.")
    return redirect(back)
