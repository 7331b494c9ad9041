"""Writes for chairs, hours, shifts and visits.

Double booking is prevented by the database where it can be (PostgreSQL exclusion
constraints, added by the scheduling work) and, on every database, by a locked check inside
the booking transaction (SQLite's IMMEDIATE transactions serialise writers).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, has_perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.courses.models import CourseStatus, TreatmentCourse
from ketaclinic.patients.models import Patient
from ketaclinic.schedule.models import (
    ACTIVE_STATUSES,
    Availability,
    Chair,
    ClosedDay,
    NurseShift,
    OpeningHours,
    Visit,
    VisitStatus,
)
from ketaclinic.schedule.notify import queue_visit_moved_message
from ketaclinic.schedule.nurses import assign_on_booking
from ketaclinic.schedule.rules import Placement, Problem, blocking, check_course_plan, load_boards

# Set only by the infusion-day actions (readiness gate, discharge score).
CHAIR_STATUSES = frozenset({VisitStatus.IN_CHAIR, VisitStatus.INFUSING, VisitStatus.RECOVERING, VisitStatus.DISCHARGED})


class SlotTaken(ValueError):
    """The chair or the patient is already booked at that time."""


SLOT_TAKEN = "This slot was just taken. Please pick another time."


def _slot_taken(exc: IntegrityError) -> SlotTaken:
    """Translate the PostgreSQL exclusion constraints into the booking error people see."""
    if "visit_no_patient_overlap" in str(exc):
        return SlotTaken("This patient already has a visit at that time.")
    return SlotTaken(SLOT_TAKEN)


def _require_setup(acting_user: User, clinic: Clinic) -> None:
    """Clinic set-up (hours, chairs, holidays, shifts): front desk, providers and the medical director."""
    if not (has_perm(acting_user, clinic, Perm.REGISTER_PATIENTS) or has_perm(acting_user, clinic, Perm.EDIT_PROTOCOL)):
        raise PermissionDenied("Your role at this clinic does not allow changing the clinic set-up.")


@transaction.atomic
def do_create_chair(acting_user: User | None, clinic: Clinic, name: str, *, monitor_device_id: str = "") -> Chair:
    """Add a chair. Who: front desk, providers, medical director (the seeder bootstraps with None).

    Writes: Chair, AuditEvent.
    """
    if acting_user is not None:
        _require_setup(acting_user, clinic)
    monitor_device_id = monitor_device_id.strip()
    if monitor_device_id and Chair.objects.filter(clinic=clinic, active=True,
                                                  monitor_device_id=monitor_device_id).exists():
        raise ChairSettingsInvalid("monitor_device_id", f"Monitor {monitor_device_id} is already set on another "
                                                        "chair in use.")
    chair = Chair.objects.create(clinic=clinic, name=name, monitor_device_id=monitor_device_id)
    record_event(acting_user, "CHAIR_CREATED", clinic=clinic, obj=chair, details={"name": name})
    return chair


@transaction.atomic
def do_set_opening_hours(acting_user: User | None, clinic: Clinic, weekday: int, opens_at: time,
                         closes_at: time) -> OpeningHours:
    """Set the regular hours of one weekday (0 = Monday). Who: as for chairs. Writes: OpeningHours, AuditEvent."""
    if acting_user is not None:
        _require_setup(acting_user, clinic)
    hours, _ = OpeningHours.objects.update_or_create(clinic=clinic, weekday=weekday,
                                                     defaults={"opens_at": opens_at, "closes_at": closes_at})
    record_event(acting_user, "HOURS_SET", clinic=clinic, obj=hours,
                 details={"weekday": weekday, "opens": opens_at.isoformat(), "closes": closes_at.isoformat()})
    return hours


@transaction.atomic
def do_add_nurse_shift(acting_user: User | None, clinic: Clinic, nurse: User, starts_at: datetime,
                       ends_at: datetime) -> NurseShift:
    """Put a nurse on shift. Who: front desk and up.

    The same shift twice returns the first; a shift overlapping another of the nurse's raises
    ValueError, as does an empty one.

    Writes: NurseShift, AuditEvent.
    """
    if ends_at <= starts_at:
        raise ValueError("A shift must end after it starts.")
    if acting_user is not None:
        require_perm(acting_user, clinic, Perm.REGISTER_PATIENTS)
    same = NurseShift.objects.filter(clinic=clinic, nurse=nurse, starts_at=starts_at, ends_at=ends_at).first()
    if same is not None:
        return same  # a double submit adds nothing
    if NurseShift.objects.filter(nurse=nurse, starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
        raise ValueError("This nurse already has a shift that overlaps these hours.")
    shift = NurseShift.objects.create(clinic=clinic, nurse=nurse, starts_at=starts_at, ends_at=ends_at)
    record_event(acting_user, "SHIFT_ADDED", clinic=clinic, obj=shift, details={"nurse": nurse.email})
    return shift


def _overlapping(qs: QuerySet[Visit], starts_at: datetime, ends_at: datetime) -> QuerySet[Visit]:
    return qs.filter(status__in=ACTIVE_STATUSES, starts_at__lt=ends_at, ends_at__gt=starts_at)


@transaction.atomic
def do_book_visit(acting_user: User, course: TreatmentCourse, chair: Chair, starts_at: datetime, *,
                  number: int | None = None, now: datetime | None = None) -> Visit:
    """Book one visit of a course in a chair. Who: front desk and clinicians.

    Raises SlotTaken when the chair or the patient is already booked then.
    Writes: Visit, AuditEvent.
    """
    require_perm(acting_user, course.clinic, Perm.VIEW_PATIENTS)
    return _place_visit(acting_user, course, chair, starts_at, number=number, now=now)


def _place_visit(acting_user: User, course: TreatmentCourse, chair: Chair, starts_at: datetime, *,
                 number: int | None, now: datetime | None) -> Visit:
    """The locked check and the insert (joins the caller's transaction; callers check permission)."""
    if chair.clinic_id != course.clinic_id:
        raise SlotTaken("That chair belongs to another clinic.")
    ends_at = starts_at + timedelta(minutes=course.visit_minutes)
    # Lock the chair row so two bookings of one chair queue up (PostgreSQL); SQLite holds the
    # database write lock for the whole IMMEDIATE transaction.
    Chair.objects.select_for_update().filter(pk=chair.pk).first()
    if _overlapping(Visit.objects.filter(chair=chair), starts_at, ends_at).exists():
        raise SlotTaken(SLOT_TAKEN)
    if _overlapping(Visit.objects.filter(patient=course.patient), starts_at, ends_at).exists():
        raise SlotTaken("This patient already has a visit at that time.")
    if number is None:
        number = course.visits.filter(status__in=ACTIVE_STATUSES).count() + 1
    try:
        # A savepoint, so the exclusion constraint (PostgreSQL) turns into SlotTaken cleanly.
        with transaction.atomic():
            visit = Visit.objects.create(
                clinic=course.clinic, patient=course.patient, course=course, number=number, chair=chair,
                starts_at=starts_at, ends_at=ends_at, protocol_version=course.clinic.current_protocol_version(),
                created_at=now or timezone.now(), created_by=acting_user,
            )
    except IntegrityError as exc:
        raise _slot_taken(exc) from exc
    if course.status == CourseStatus.REQUESTED:
        course.status = CourseStatus.SCHEDULED
        course.save(update_fields=["status"])
    assign_on_booking(visit)
    record_event(acting_user, "VISIT_BOOKED", patient=course.patient, obj=visit,
                 details={"chair": chair.name, "starts_at": starts_at.isoformat(), "number": number,
                          "nurse": visit.nurse.email if visit.nurse else ""})
    return visit


@transaction.atomic
def do_set_visit_status(acting_user: User, visit: Visit, status: str, *, reason: str = "",
                        now: datetime | None = None, historical: bool = False) -> Visit:
    """Move a visit to a new status outside the infusion day (confirmation, no-show, cancellation).

    The chair statuses (in_chair, infusing, recovering, discharged) belong to the infusion-day
    actions, which enforce the readiness gate and the discharge score; this refuses them, except
    `historical=True` for importing visits that already happened (the demo seeder).
    """
    require_perm(acting_user, visit.clinic, Perm.VIEW_PATIENTS)
    if status in CHAIR_STATUSES and not historical:
        raise ValueError(f"Use the infusion-day screens to set a visit to {status}.")
    old = visit.status
    visit.status = status
    visit.status_changed_at = now or timezone.now()
    if reason:
        visit.cancelled_reason = reason
    visit.save(update_fields=["status", "status_changed_at", "cancelled_reason"])
    record_event(acting_user, "VISIT_STATUS_CHANGED", patient=visit.patient, obj=visit,
                 details={"from": old, "to": status, "reason": reason})
    return visit


# --- rule-checked changes: booking a whole course, moving, cancelling, no-shows ---------------


class RuleBroken(ValueError):
    """The placement breaks a booking rule; `problems` says which and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(" ".join(p.message for p in problems))
        self.problems = problems


class TooLateToChange(ValueError):
    """A patient tried to change a visit inside the clinic's notice period."""


def _require_staff_or_owner(acting_user: User, visit_or_course: Visit | TreatmentCourse) -> bool:
    """True for staff who may book at the clinic; False for the patient themselves; else PermissionDenied."""
    if has_perm(acting_user, visit_or_course.clinic, Perm.VIEW_PATIENTS):
        return True
    if visit_or_course.patient.user_id is not None and visit_or_course.patient.user_id == acting_user.pk:
        return False
    raise PermissionDenied("You may not change this visit.")


def _renumber(course: TreatmentCourse) -> None:
    """Keep visits numbered 1..n in time order after a move or a cancellation."""
    active = list(Visit.objects.filter(course=course, status__in=ACTIVE_STATUSES).order_by("starts_at", "pk"))
    for n, visit in enumerate(active, start=1):
        if visit.number != n:
            Visit.objects.filter(pk=visit.pk).update(number=n)


def _lock_chairs(chairs: list[Chair]) -> None:
    # Bookings and moves of one chair queue up behind this lock (PostgreSQL).
    list(Chair.objects.select_for_update().filter(pk__in=sorted({c.pk for c in chairs})).order_by("pk"))


def _check_or_raise(course: TreatmentCourse, placements: list[Placement]) -> list[Problem]:
    problems = check_course_plan(course, placements)
    hard = blocking(problems)
    if hard:
        raise RuleBroken(hard)
    return problems


@transaction.atomic
def do_book_course(acting_user: User, course: TreatmentCourse, placements: list[Placement], *,
                   source: str = "manual", now: datetime | None = None) -> list[Visit]:
    """Book visits of a course after checking every rule.

    Who: staff who may view patients, or the patient (a freed slot they accepted): then the
    visits must also fit their stated availability and lie outside the notice period.

    The placements are checked together (hours, grid, chair, patient, nurse capacity, gap,
    7-day maximum, window, start dates); one broken rule books nothing (RuleBroken). A slot
    lost to someone else meanwhile raises SlotTaken. Writes: Visit per placement, AuditEvent.
    """
    staff = _require_staff_or_owner(acting_user, course)
    course = (TreatmentCourse.objects.select_for_update(of=("self",))
        .select_related("clinic", "patient").get(pk=course.pk))
    if course.status == CourseStatus.CANCELLED:
        raise RuleBroken([Problem("course", "This course was cancelled.")])
    _lock_chairs([p.chair for p in placements])
    problems = _check_or_raise(course, placements)
    if not staff:
        notice = timedelta(hours=course.clinic.protocol().course.cancellation_notice_h)
        late = [p for p in placements if p.starts_at - (now or timezone.now()) < notice]
        soft = [p for p in problems if p.rule == "availability"]
        if late or soft:
            raise RuleBroken(soft or [Problem("notice", "Please pick a time further ahead, or call the clinic.")])
    visits = [_place_visit(acting_user, course, p.chair, p.starts_at, number=99, now=now)
              for p in sorted(placements, key=lambda p: p.starts_at)]
    _renumber(course)
    record_event(acting_user, "COURSE_BOOKED", patient=course.patient, obj=course,
                 details={"visits": len(visits), "source": source,
                          "warnings": [p.message for p in problems if not p.blocking]})
    for visit in visits:
        visit.refresh_from_db(fields=["number"])
    return visits


def _notice_check(visit: Visit, now: datetime) -> None:
    notice = visit.clinic.protocol().course.cancellation_notice_h
    if visit.starts_at - now < timedelta(hours=notice):
        phone = visit.clinic.phone or _("the clinic")
        raise TooLateToChange(
            _("Your visit is less than %(hours)s hours away, so it can't be changed online. "
              "Please call us at %(phone)s.") % {"hours": notice, "phone": phone})


@transaction.atomic
def do_move_visit(acting_user: User, visit: Visit, chair: Chair | None, starts_at: datetime, *,
                  reason: str = "", now: datetime | None = None) -> Visit:
    """Move a booked visit to another chair and/or time, keeping the whole course valid.

    Who: staff who may view patients at the clinic, or the patient themselves (only their
    own booked visit, outside the clinic's notice period, and only to a slot that keeps the
    course inside its rules; the chair is then chosen for them). Raises RuleBroken,
    SlotTaken, TooLateToChange. Writes: Visit (chair, starts_at, ends_at, numbers), AuditEvent.
    """
    now = now or timezone.now()
    visit = (Visit.objects.select_for_update(of=("self",))
        .select_related("clinic", "patient", "course", "chair").get(pk=visit.pk))
    staff = _require_staff_or_owner(acting_user, visit)
    if visit.status not in (VisitStatus.BOOKED, VisitStatus.CONFIRMED) or visit.locked:
        raise RuleBroken([Problem("status", "Only a booked visit that is not locked can be moved.")])
    if not staff:
        _notice_check(visit, now)
        if starts_at - now < timedelta(hours=visit.clinic.protocol().course.cancellation_notice_h):
            raise TooLateToChange(_("Please pick a time further ahead, or call the clinic."))
    if starts_at <= now:
        raise RuleBroken([Problem("past", "A visit can't be moved into the past.")])
    course = visit.course
    if chair is None:
        chair = _first_free_chair(visit, starts_at)
    _lock_chairs([chair])
    problems = _check_or_raise(course, [Placement(chair, starts_at, visit.pk)])
    if not staff:
        soft = [p for p in problems if p.rule == "availability"]
        if soft:
            raise RuleBroken([Problem("availability", soft[0].message)])
    old = {"chair": visit.chair.name if visit.chair else "", "starts_at": visit.starts_at.isoformat()}
    visit.chair = chair
    visit.starts_at = starts_at
    visit.ends_at = starts_at + timedelta(minutes=course.visit_minutes)
    try:
        with transaction.atomic():
            visit.save(update_fields=["chair", "starts_at", "ends_at"])
    except IntegrityError as exc:
        raise _slot_taken(exc) from exc
    _renumber(course)
    visit.refresh_from_db(fields=["number"])
    assign_on_booking(visit)
    record_event(acting_user, "VISIT_MOVED", patient=visit.patient, obj=visit, at=now,
                 details={"from": old, "to": {"chair": chair.name, "starts_at": starts_at.isoformat()},
                          "reason": reason, "by_patient": not staff,
                          "warnings": [p.message for p in problems if not p.blocking]})
    queue_visit_moved_message(visit, datetime.fromisoformat(old["starts_at"]), now=now)
    return visit


def _first_free_chair(visit: Visit, starts_at: datetime) -> Chair:
    day = starts_at.astimezone(visit.clinic.zone).date()
    board = load_boards(visit.clinic, [day])[day]
    chairs = list(Chair.objects.filter(clinic=visit.clinic, active=True).order_by("name"))
    for chair in chairs:
        if not blocking(board.placement_problems(visit.course, chair, starts_at, ignore={visit.pk})):
            return chair
    raise SlotTaken(SLOT_TAKEN)


@transaction.atomic
def do_cancel_visit(acting_user: User, visit: Visit, *, reason: str, now: datetime | None = None) -> Visit:
    """Cancel a booked visit; the freed slot is offered to the waitlist.

    Who: staff who may view patients (any time, with a reason), or the patient (outside the
    notice period, protocol course.cancellation_notice_h; inside it they are asked to call).
    Cancelling twice is harmless (the second call changes nothing). Writes: Visit status,
    SlotOffer (+ recipients) when someone on the waitlist fits, AuditEvent.
    """
    from ketaclinic.schedule.offers import offer_freed_slot

    now = now or timezone.now()
    visit = (Visit.objects.select_for_update(of=("self",))
        .select_related("clinic", "patient", "course", "chair").get(pk=visit.pk))
    staff = _require_staff_or_owner(acting_user, visit)
    if visit.status == VisitStatus.CANCELLED:
        return visit
    if visit.status not in (VisitStatus.BOOKED, VisitStatus.CONFIRMED):
        raise RuleBroken([Problem("status", "Only a visit that has not started can be cancelled.")])
    if not staff:
        _notice_check(visit, now)
    reason = reason.strip() or ("Cancelled by the patient online" if not staff else "")
    if not reason:
        raise RuleBroken([Problem("reason", "Please give a reason for cancelling.")])
    visit.status = VisitStatus.CANCELLED
    visit.status_changed_at = now
    visit.cancelled_reason = reason[:200]
    visit.save(update_fields=["status", "status_changed_at", "cancelled_reason"])
    _renumber(visit.course)
    record_event(acting_user, "VISIT_CANCELLED", patient=visit.patient, obj=visit, at=now,
                 details={"reason": reason, "by_patient": not staff, "starts_at": visit.starts_at.isoformat()})
    if visit.starts_at > now:
        offer_freed_slot(visit, now=now)
    return visit


@transaction.atomic
def do_record_no_show(acting_user: User, visit: Visit, *, note: str = "", now: datetime | None = None) -> Visit:
    """Record that the patient did not come. Who: staff. Only once the visit's start has passed.

    The slot stays in the past, so nothing is offered. Writes: Visit status, AuditEvent.
    """
    now = now or timezone.now()
    visit = Visit.objects.select_for_update(of=("self",)).select_related("clinic", "patient", "course").get(pk=visit.pk)
    require_perm(acting_user, visit.clinic, Perm.VIEW_PATIENTS)
    if visit.status == VisitStatus.NO_SHOW:
        return visit
    if visit.status not in (VisitStatus.BOOKED, VisitStatus.CONFIRMED):
        raise RuleBroken([Problem("status", "Only a visit the patient has not arrived for can be a no-show.")])
    if visit.starts_at > now:
        raise RuleBroken([Problem("time", "A visit can only be marked a no-show after its start time.")])
    visit.status = VisitStatus.NO_SHOW
    visit.status_changed_at = now
    visit.cancelled_reason = (note or "Did not attend")[:200]
    visit.save(update_fields=["status", "status_changed_at", "cancelled_reason"])
    _renumber(visit.course)
    record_event(acting_user, "VISIT_NO_SHOW", patient=visit.patient, obj=visit, at=now, details={"note": note})
    return visit


# --- clinic set-up: closed days, chairs, shifts, availability ----------------------------------


@transaction.atomic
def do_add_closed_day(acting_user: User, clinic: Clinic, day: date, reason: str) -> ClosedDay:
    """Close the clinic on a day (holiday). Who: staff who register patients (front desk) and up.

    Visits already booked that day stay booked and are listed for the front desk to move.
    Writes: ClosedDay, AuditEvent. Adding the same day twice returns the existing row.
    """
    require_perm(acting_user, clinic, Perm.REGISTER_PATIENTS)
    closed, created = ClosedDay.objects.get_or_create(clinic=clinic, date=day, defaults={"reason": reason[:100]})
    if created:
        record_event(acting_user, "CLOSED_DAY_ADDED", clinic=clinic, obj=closed,
                     details={"date": day.isoformat(), "reason": reason})
    return closed


@transaction.atomic
def do_remove_closed_day(acting_user: User, closed: ClosedDay) -> None:
    """Open a day again. Who: front desk and up. Writes: AuditEvent (the row goes; it is set-up, not care)."""
    require_perm(acting_user, closed.clinic, Perm.REGISTER_PATIENTS)
    record_event(acting_user, "CLOSED_DAY_REMOVED", clinic=closed.clinic,
                 details={"date": closed.date.isoformat(), "reason": closed.reason})
    closed.delete()


@transaction.atomic
def do_set_chair_active(acting_user: User, chair: Chair, active: bool) -> Chair:
    """Take a chair out of use or back in. Who: as for adding chairs. Writes: Chair, AuditEvent."""
    _require_setup(acting_user, chair.clinic)
    chair.active = active
    chair.save(update_fields=["active"])
    record_event(acting_user, "CHAIR_ACTIVE_SET", clinic=chair.clinic, obj=chair,
                 details={"name": chair.name, "active": active})
    return chair


class ChairSettingsInvalid(ValueError):
    """A chair change that would clash: `field` names the form field, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@transaction.atomic
def do_update_chair(acting_user: User, chair: Chair, *, name: str, monitor_device_id: str, active: bool,
                    now: datetime | None = None) -> Chair:
    """Change a chair's name, bedside monitor id and in-use flag. Who: as for adding chairs.

    Names are unique per clinic; a monitor id is unique among the clinic's chairs in use
    (HL7 readings are filed by it, so two chairs with one id would mix up patients).
    Raises ChairSettingsInvalid naming the field. Writes: Chair, AuditEvent (old and new values).
    """
    _require_setup(acting_user, chair.clinic)
    chair = Chair.objects.select_for_update().get(pk=chair.pk)
    name, monitor_device_id = name.strip(), monitor_device_id.strip()
    if not name:
        raise ChairSettingsInvalid("name", "Give the chair a name.")
    if Chair.objects.filter(clinic_id=chair.clinic_id, name=name).exclude(pk=chair.pk).exists():
        raise ChairSettingsInvalid("name", f"There is already a chair called {name}.")
    if monitor_device_id and active:
        clash = (Chair.objects.filter(clinic_id=chair.clinic_id, active=True, monitor_device_id=monitor_device_id)
                 .exclude(pk=chair.pk).first())
        if clash is not None:
            raise ChairSettingsInvalid("monitor_device_id", f"Monitor {monitor_device_id} is already set on "
                                                            f"{clash.name}. Each chair in use needs its own monitor.")
    old = {"name": chair.name, "monitor_device_id": chair.monitor_device_id, "active": chair.active}
    new = {"name": name, "monitor_device_id": monitor_device_id, "active": active}
    if old == new:
        return chair  # a double submit changes nothing and writes no audit row
    chair.name, chair.monitor_device_id, chair.active = name, monitor_device_id, active
    chair.save(update_fields=["name", "monitor_device_id", "active"])
    record_event(acting_user, "CHAIR_UPDATED", clinic=chair.clinic, obj=chair, at=now,
                 details={"from": old, "to": new})
    return chair


@transaction.atomic
def do_remove_nurse_shift(acting_user: User, shift: NurseShift) -> None:
    """Remove a nurse shift. Who: front desk and up. Writes: AuditEvent."""
    require_perm(acting_user, shift.clinic, Perm.REGISTER_PATIENTS)
    record_event(acting_user, "SHIFT_REMOVED", clinic=shift.clinic,
                 details={"nurse": shift.nurse.email, "starts_at": shift.starts_at.isoformat(),
                          "ends_at": shift.ends_at.isoformat()})
    shift.delete()


@transaction.atomic
def do_set_availability(acting_user: User, patient: Patient, *, weekdays: list[int], from_time: time,
                        until_time: time, course: TreatmentCourse | None = None, note: str = "",
                        escort_weekdays: list[int] | None = None, escort_from: time | None = None,
                        escort_until: time | None = None, now: datetime | None = None) -> Availability:
    """Record when a patient can come, and (optionally) when their ride can pick them up.

    Who: the patient, or staff who may view patients. Ride times are all or nothing: days, from
    and until; without them the patient's times alone apply. Raises ValueError for no weekdays
    or an empty time range. Writes: Availability, AuditEvent.
    """
    if not has_perm(acting_user, patient.clinic, Perm.VIEW_PATIENTS) and patient.user_id != acting_user.pk:
        raise PermissionDenied("You may not change this patient's availability.")
    days = sorted({d for d in weekdays if 0 <= d <= 6})
    if not days:
        raise ValueError("Pick at least one day.")
    if until_time <= from_time:
        raise ValueError("The end time must be after the start time.")
    ride_days = sorted({d for d in (escort_weekdays or []) if 0 <= d <= 6})
    if ride_days or escort_from is not None or escort_until is not None:
        if not ride_days or escort_from is None or escort_until is None:
            raise ValueError("For your ride, give the days and both times, or leave them all empty.")
        if escort_until <= escort_from:
            raise ValueError("The ride's end time must be after its start time.")
    row, _ = Availability.objects.update_or_create(
        patient=patient, course=course,
        defaults={"clinic": patient.clinic, "weekdays": "".join(str(d) for d in days), "from_time": from_time,
                  "until_time": until_time, "note": note[:200], "updated_at": now or timezone.now(),
                  "escort_weekdays": "".join(str(d) for d in ride_days),
                  "escort_from": escort_from if ride_days else None,
                  "escort_until": escort_until if ride_days else None, "updated_by": acting_user})
    record_event(acting_user, "AVAILABILITY_SET", patient=patient, obj=row,
                 details={"weekdays": days, "from": from_time.isoformat(), "until": until_time.isoformat(),
                          "course": course.pk if course else None,
                          "escort": ({"weekdays": ride_days, "from": escort_from.isoformat(),
                                      "until": escort_until.isoformat()}
                                     if ride_days and escort_from and escort_until else None)})
    return row


@transaction.atomic
def do_close_weekday(acting_user: User, clinic: Clinic, weekday: int) -> None:
    """Stop opening on a weekday (no regular hours). Who: as for setting hours. Writes: AuditEvent."""
    _require_setup(acting_user, clinic)
    deleted, _ = OpeningHours.objects.filter(clinic=clinic, weekday=weekday).delete()
    if deleted:
        record_event(acting_user, "HOURS_CLEARED", clinic=clinic, details={"weekday": weekday})


def visits_on_closed_day(closed: ClosedDay) -> list[Visit]:
    """Active visits booked on a day the clinic is now closed (for the front desk to move)."""
    zone = closed.clinic.zone
    start = datetime.combine(closed.date, time(0), tzinfo=zone)
    return list(Visit.objects.filter(clinic=closed.clinic, status__in=ACTIVE_STATUSES, starts_at__gte=start,
                                     starts_at__lt=start + timedelta(days=1)).select_related("patient"))


@transaction.atomic
def do_close_proposal(acting_user: User, proposal: Any) -> None:
    """Mark a proposal reviewed (what was accepted is already booked). Who: staff. Writes: Proposal, AuditEvent."""
    require_perm(acting_user, proposal.clinic, Perm.VIEW_PATIENTS)
    if proposal.status == "open":
        proposal.status = "done"
        proposal.save(update_fields=["status"])
        record_event(acting_user, "SCHEDULE_PROPOSAL_CLOSED", clinic=proposal.clinic, obj=proposal)


def chair_conflict(visit: Visit, chair: Chair) -> Visit | None:
    """Another active visit booked in `chair` during `visit`'s time, if any.

    For code that changes a visit's chair on the day (taking a patient to a free chair):
    on PostgreSQL the exclusion constraint refuses the change when this returns a visit.
    """
    return (_overlapping(Visit.objects.filter(chair=chair).exclude(pk=visit.pk), visit.starts_at, visit.ends_at)
            .select_related("patient").first())
