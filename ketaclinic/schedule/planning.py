"""The bridge to the optimizer: build an instance from the database, run it, read the plan back.

`ketaclinic.scheduling` is pure (no Django). Here we describe one clinic's next weeks as its
instance JSON (docs/scheduling.md): open days from opening hours minus closed days, active
chairs, nurse shifts, the protocol's phases and nurse ratio, every waiting course with the
patient's stated availability, and every visit already booked as a fixed one-visit course
(booked visits of other patients are never moved by a proposal). The plan comes back as
chair ids and local wall-clock starts, which we turn into Placements for the booking rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.courses.models import CourseStatus, TreatmentCourse
from ketaclinic.schedule.models import (
    ACTIVE_STATUSES,
    Availability,
    Chair,
    ClosedDay,
    NurseShift,
    OpeningHours,
    Proposal,
    Visit,
)
from ketaclinic.schedule.rules import Placement, blocking, free_slots, load_boards
from ketaclinic.scheduling.cpsat import Options, solve_cpsat
from ketaclinic.scheduling.greedy import solve_greedy
from ketaclinic.scheduling.model import ScheduleInputError, parse_instance, plan_to_json
from ketaclinic.scheduling.validate import validate

HORIZON_DAYS = 35  # a 21-day window plus two weeks to start in
PROPOSE_SECONDS = 8.0  # the front desk waits for this; the greedy plan is the floor


def chair_key(chair_id: int) -> str:
    return f"C{chair_id}"


def course_key(course_id: int) -> str:
    return f"K{course_id}"


def _hm(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


@dataclass
class BuiltInstance:
    data: dict[str, Any]
    waiting: dict[str, int]  # instance course key -> TreatmentCourse id
    skipped: list[str] = field(default_factory=list)  # booked visits left out, and why


def waiting_courses(clinic: Clinic) -> list[TreatmentCourse]:
    """Courses waiting to be scheduled at `clinic`, oldest request first."""
    return list(TreatmentCourse.objects.filter(clinic=clinic, status=CourseStatus.REQUESTED)
                .select_related("patient").order_by("created_at", "pk"))


def _availability_json(rows: dict[tuple[int, int | None], Availability], course: TreatmentCourse) -> dict[str, Any]:
    """The patient's times, narrowed by the ride's: the visit must END while the ride can pick up.

    With a visit of L minutes, "ends between E1 and E2" is "starts between E1 - L and E2 - L",
    so the intersection is exact in the instance format (whole visit inside from-until).
    """
    row = rows.get((course.patient_id, course.pk)) or rows.get((course.patient_id, None))
    if row is None:
        return {}
    weekdays, start, until = row.weekday_list, _minutes(row.from_time), _minutes(row.until_time)
    if row.has_escort_times and row.escort_from is not None and row.escort_until is not None:
        weekdays = [d for d in weekdays if d in row.escort_weekday_list]
        start = max(start, _minutes(row.escort_from) - course.visit_minutes)
        until = min(until, _minutes(row.escort_until))
    if not weekdays or until - start < course.visit_minutes:
        # Nothing fits: say so with a window too short for any visit (the course waits).
        return {"weekdays": weekdays or row.weekday_list, "from": "00:00", "until": "00:10"}
    return {"weekdays": weekdays, "from": _clock(start), "until": _clock(until)}


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def build_instance(clinic: Clinic, first_day: date, last_day: date, courses: list[TreatmentCourse], *,
                   fixed_first: dict[int, tuple[Chair, datetime]] | None = None,
                   exclude_visits: set[int] | None = None) -> BuiltInstance:
    """The instance JSON for `courses` between `first_day` and `last_day` (clinic-local dates).

    `fixed_first` pins visit 1 of a course to a chair and start (a slot offered after a
    cancellation). Booked visits that the instance format cannot hold (off the slot grid,
    outside today's hours, or already over nurse capacity) are left out and listed in
    `skipped`; the booking rules still check them when anything is accepted.
    `exclude_visits`: booked visits the caller describes itself (a re-plan lets them move).
    """
    zone = clinic.zone
    protocol = clinic.protocol().course
    slot = protocol.slot_minutes
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    hours = {h.weekday: h for h in OpeningHours.objects.filter(clinic=clinic)}
    closed = set(ClosedDay.objects.filter(clinic=clinic, date__range=(first_day, last_day))
                 .values_list("date", flat=True))
    open_days = [{"date": d.isoformat(), "open": _hm(hours[d.weekday()].opens_at),
                  "close": _hm(hours[d.weekday()].closes_at)}
                 for d in days if d.weekday() in hours and d not in closed]
    chairs = list(Chair.objects.filter(clinic=clinic, active=True).order_by("name"))
    start_at = datetime.combine(first_day, time(0), tzinfo=zone)
    end_at = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone)
    nurses: dict[int, list[dict[str, str]]] = {}
    for s in NurseShift.objects.filter(clinic=clinic, starts_at__lt=end_at, ends_at__gt=start_at).order_by("starts_at"):
        a, b = s.starts_at.astimezone(zone), s.ends_at.astimezone(zone)
        end = "24:00" if b.date() != a.date() else _hm(b.time())
        nurses.setdefault(s.nurse_id, []).append({"date": a.date().isoformat(), "start": _hm(a.time()), "end": end})
    ids = [c.pk for c in courses]
    patient_ids = [c.patient_id for c in courses]
    availability = {(a.patient_id, a.course_id): a for a in Availability.objects.filter(patient_id__in=patient_ids)
                    if a.course_id is None or a.course_id in ids}
    built = BuiltInstance(data={}, waiting={})
    course_items: list[dict[str, Any]] = []
    fixed: list[dict[str, Any]] = []
    fixed_first = fixed_first or {}
    for course in courses:
        earliest = max(course.earliest_on, first_day)
        latest = min(course.latest_start_on or last_day, last_day)
        if latest < earliest:
            continue
        key = course_key(course.pk)
        built.waiting[key] = course.pk
        course_items.append({
            "id": key, "visits": course.planned_visits, "window_days": course.window_days,
            "max_per_7_days": course.max_per_7_days, "min_gap_hours": course.min_gap_hours,
            "earliest": earliest.isoformat(), "latest_start": latest.isoformat(), "weight": 1,
            "availability": _availability_json(availability, course),
            "phases": {"checkin": course.checkin_min, "infusion": course.infusion_min,
                       "recovery": course.recovery_min},
        })
        if course.pk in fixed_first:
            chair, start = fixed_first[course.pk]
            fixed.append({"course": key, "visit": 1, "chair": chair_key(chair.pk),
                          "start": start.astimezone(zone).strftime("%Y-%m-%dT%H:%M")})
    # Booked visits hold their chairs and nurses: one fixed single-visit course each.
    boards = load_boards(clinic, days)
    chair_ids = {c.pk for c in chairs}
    placed_so_far: dict[date, list[Visit]] = {}
    for board in boards.values():
        for v in sorted(board.visits, key=lambda v: v.starts_at):
            local = v.starts_at.astimezone(zone)
            if local.date() != board.day or v.status not in ACTIVE_STATUSES or v.pk in (exclude_visits or ()):
                continue
            reason = ""
            if v.chair is None or v.chair_id not in chair_ids:
                reason = "its chair is out of use"
            elif board.opens_at is None or board.closes_at is None:
                reason = "the clinic is closed that day"
            elif v.starts_at < board.opens_at or v.ends_at > board.closes_at:
                reason = "it is outside opening hours"
            elif (board.minute(v.starts_at) - board.minute(board.opens_at)) % slot:
                reason = "it is off the slot grid"
            else:
                earlier = placed_so_far.setdefault(board.day, [])
                ignore = {w.pk for w in board.visits} - {w.pk for w in earlier} | set(exclude_visits or ())
                if blocking([p for p in board.placement_problems(v.course, v.chair, v.starts_at, ignore=ignore | {v.pk})
                             if p.rule == "nurse_capacity"]):
                    reason = "the nurses on shift are already over capacity then"
            if reason:
                built.skipped.append(f"{local:%a %b %d %H:%M} ({v.chair.name if v.chair else 'no chair'}): {reason}")
                continue
            placed_so_far[board.day].append(v)
            key = f"V{v.pk}"
            course_items.append({
                "id": key, "visits": 1, "window_days": 1, "max_per_7_days": 7, "min_gap_hours": 0,
                "earliest": local.date().isoformat(), "latest_start": local.date().isoformat(), "weight": 1,
                "phases": {"checkin": v.course.checkin_min, "infusion": v.course.infusion_min,
                           "recovery": v.course.recovery_min},
            })
            fixed.append({"course": key, "visit": 1, "chair": chair_key(v.chair_id or 0),
                          "start": local.strftime("%Y-%m-%dT%H:%M")})
    built.data = {
        "slot_minutes": slot,
        "open_days": open_days,
        "chairs": [chair_key(c.pk) for c in chairs],
        "nurses": [{"id": f"N{nid}", "shifts": shifts} for nid, shifts in nurses.items()],
        "max_infusions_per_nurse": protocol.nurse_max_chairs,
        "phases": {"checkin": protocol.checkin_min, "infusion": protocol.infusion_min,
                   "recovery": protocol.recovery_min},
        "courses": course_items,
        "fixed": fixed,
        "booked": [],
        "move_penalty": 1,
    }
    return built


def run_plan(data: dict[str, Any], *, method: str, seconds: float) -> dict[str, Any]:
    """Parse, solve and validate. Raises ScheduleInputError for an instance the optimizer rejects."""
    instance = parse_instance(data)
    plan = solve_cpsat(instance, Options(time_limit=seconds, workers=2)) if method == "cpsat" \
        else solve_greedy(instance)
    violations = validate(instance, plan)
    if violations:
        # Never offer a plan the independent validator rejects; fall back to first-fit.
        plan = solve_greedy(instance)
    result = plan_to_json(plan, instance.epoch)
    result["violations"] = [{"rule": v.rule, "detail": v.detail} for v in validate(instance, plan)]
    return result


def placements_from_plan(clinic: Clinic, plan: dict[str, Any], key: str) -> list[Placement]:
    """The plan's visits for course `key`, as Placements (chairs looked up, starts made aware)."""
    zone = clinic.zone
    rows = sorted((a for a in plan.get("assignments", []) if a["course"] == key), key=lambda a: a["start"])
    chairs = {chair_key(c.pk): c for c in Chair.objects.filter(clinic=clinic)}
    return [Placement(chairs[a["chair"]], datetime.fromisoformat(a["start"]).replace(tzinfo=zone)) for a in rows]


@transaction.atomic
def do_propose_schedule(acting_user: User, clinic: Clinic, *, method: str = "cpsat", first_day: date | None = None,
                        days: int = HORIZON_DAYS, seconds: float = PROPOSE_SECONDS,
                        now: datetime | None = None) -> Proposal:
    """Run the optimizer for every waiting course and store its proposal. Nothing is booked.

    Who: staff who may view patients. Raises ScheduleInputError when the clinic's set-up
    cannot be planned (for example no open days in the horizon). Writes: Proposal, AuditEvent.
    """
    require_perm(acting_user, clinic, Perm.VIEW_PATIENTS)
    now = now or timezone.now()
    first = first_day or timezone.localdate(now, timezone=clinic.zone) + timedelta(days=1)
    last = first + timedelta(days=days - 1)
    built = build_instance(clinic, first, last, waiting_courses(clinic))
    if not built.data["open_days"]:
        raise ScheduleInputError("open_days", "The clinic has no open days in the next weeks. "
                                              "Set opening hours first.")
    plan = run_plan(built.data, method=method, seconds=seconds)
    proposal = Proposal.objects.create(
        clinic=clinic, first_day=first, last_day=last, method=method, instance=built.data, plan=plan,
        waiting={"courses": built.waiting, "skipped": built.skipped},
        solve_seconds=float(plan.get("solve_seconds", 0)), created_at=now, created_by=acting_user)
    placed = sum(1 for k in built.waiting if any(a["course"] == k for a in plan["assignments"]))
    record_event(acting_user, "SCHEDULE_PROPOSED", clinic=clinic, obj=proposal,
                 details={"method": method, "waiting": len(built.waiting), "placed": placed,
                          "status": plan["status"], "bound": plan["bound"]})
    return proposal


def plan_course_around(course: TreatmentCourse, chair: Chair, start: datetime, *,
                       days: int = HORIZON_DAYS) -> list[Placement] | None:
    """A whole plan for `course` whose first visit is (chair, start), or None (first-fit, fast).

    Used when a freed slot is offered to a waiting course: accepting it books the whole course.
    """
    clinic = course.clinic
    first = start.astimezone(clinic.zone).date()
    built = build_instance(clinic, first, first + timedelta(days=days - 1), [course],
                           fixed_first={course.pk: (chair, start)})
    key = course_key(course.pk)
    if key not in built.waiting:
        return None
    try:
        plan = run_plan(built.data, method="greedy", seconds=1)
    except ScheduleInputError:
        return None
    placements = placements_from_plan(clinic, plan, key)
    return placements if len(placements) == course.planned_visits else None


def do_book_waiting_boosters(acting_user: User, patient: Any, *, now: datetime | None = None
                             ) -> tuple[list[Visit], list[TreatmentCourse]]:
    """Book each waiting maintenance booster of `patient` at the first slot in its date range.

    Slots respect the patient's availability and every booking rule (do_book_course checks
    them again). Who: staff who may view patients. Returns (booked visits, boosters that did
    not fit). Each booster is its own transaction, so one that does not fit leaves the others booked.
    """
    from ketaclinic.courses.models import CourseKind
    from ketaclinic.schedule.actions import RuleBroken, SlotTaken, do_book_course

    require_perm(acting_user, patient.clinic, Perm.VIEW_PATIENTS)
    now = now or timezone.now()
    tomorrow = timezone.localdate(now, timezone=patient.clinic.zone) + timedelta(days=1)
    chairs = list(Chair.objects.filter(clinic=patient.clinic, active=True).order_by("name"))
    booked: list[Visit] = []
    missed: list[TreatmentCourse] = []
    boosters = TreatmentCourse.objects.filter(patient=patient, kind=CourseKind.MAINTENANCE,
                                              status=CourseStatus.REQUESTED).select_related("clinic", "patient")
    for course in boosters.order_by("earliest_on", "pk"):
        first = max(course.earliest_on, tomorrow)
        last = course.latest_start_on or first + timedelta(days=14)
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        slots = free_slots(course, days, chairs, limit_per_day=1) if days else {}
        placed = False
        for day in sorted(slots):
            start, chair = slots[day][0]
            try:
                booked.extend(do_book_course(acting_user, course, [Placement(chair, start)], source="boosters",
                                             now=now))
            except (RuleBroken, SlotTaken):
                continue
            placed = True
            break
        if not placed:
            missed.append(course)
    return booked, missed
