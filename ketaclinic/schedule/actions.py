"""Writes for chairs, hours, shifts and visits.

Double booking is prevented by the database where it can be (PostgreSQL exclusion
constraints, added by the scheduling work) and, on every database, by a locked check inside
the booking transaction (SQLite's IMMEDIATE transactions serialise writers).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.courses.models import CourseStatus, TreatmentCourse
from ketaclinic.schedule.models import ACTIVE_STATUSES, Chair, NurseShift, OpeningHours, Visit


class SlotTaken(ValueError):
    """The chair or the patient is already booked at that time."""


SLOT_TAKEN = "This slot was just taken. Please pick another time."


def _slot_taken(exc: IntegrityError) -> SlotTaken:
    """Translate the PostgreSQL exclusion constraints into the booking error people see."""
    if "visit_no_patient_overlap" in str(exc):
        return SlotTaken("This patient already has a visit at that time.")
    return SlotTaken(SLOT_TAKEN)


@transaction.atomic
def do_create_chair(acting_user: User | None, clinic: Clinic, name: str, *, monitor_device_id: str = "") -> Chair:
    """Add a chair. Who: admin or medical director (the seeder bootstraps with None)."""
    if acting_user is not None:
        require_perm(acting_user, clinic, Perm.EDIT_PROTOCOL)
    chair = Chair.objects.create(clinic=clinic, name=name, monitor_device_id=monitor_device_id)
    record_event(acting_user, "CHAIR_CREATED", clinic=clinic, obj=chair, details={"name": name})
    return chair


@transaction.atomic
def do_set_opening_hours(acting_user: User | None, clinic: Clinic, weekday: int, opens_at: time,
                         closes_at: time) -> OpeningHours:
    if acting_user is not None:
        require_perm(acting_user, clinic, Perm.EDIT_PROTOCOL)
    hours, _ = OpeningHours.objects.update_or_create(clinic=clinic, weekday=weekday,
                                                     defaults={"opens_at": opens_at, "closes_at": closes_at})
    record_event(acting_user, "HOURS_SET", clinic=clinic, obj=hours,
                 details={"weekday": weekday, "opens": opens_at.isoformat(), "closes": closes_at.isoformat()})
    return hours


@transaction.atomic
def do_add_nurse_shift(acting_user: User | None, clinic: Clinic, nurse: User, starts_at: datetime,
                       ends_at: datetime) -> NurseShift:
    if acting_user is not None:
        require_perm(acting_user, clinic, Perm.REGISTER_PATIENTS)
    shift = NurseShift.objects.create(clinic=clinic, nurse=nurse, starts_at=starts_at, ends_at=ends_at)
    record_event(acting_user, "SHIFT_ADDED", clinic=clinic, obj=shift, details={"nurse": nurse.email})
    return shift


def _overlapping(qs, starts_at: datetime, ends_at: datetime):  # type: ignore[no-untyped-def]
    return qs.filter(status__in=ACTIVE_STATUSES, starts_at__lt=ends_at, ends_at__gt=starts_at)


@transaction.atomic
def do_book_visit(acting_user: User, course: TreatmentCourse, chair: Chair, starts_at: datetime, *,
                  number: int | None = None, now: datetime | None = None) -> Visit:
    """Book one visit of a course in a chair. Who: front desk and clinicians.

    Raises SlotTaken when the chair or the patient is already booked then.
    Writes: Visit, AuditEvent.
    """
    require_perm(acting_user, course.clinic, Perm.VIEW_PATIENTS)
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
    record_event(acting_user, "VISIT_BOOKED", patient=course.patient, obj=visit,
                 details={"chair": chair.name, "starts_at": starts_at.isoformat(), "number": number})
    return visit


@transaction.atomic
def do_set_visit_status(acting_user: User, visit: Visit, status: str, *, reason: str = "",
                        now: datetime | None = None) -> Visit:
    """Move a visit to a new status (arrival, no-show, cancellation, discharge…).

    The infusion-day work adds its own guarded transitions on top of this.
    """
    require_perm(acting_user, visit.clinic, Perm.VIEW_PATIENTS)
    old = visit.status
    visit.status = status
    visit.status_changed_at = now or timezone.now()
    if reason:
        visit.cancelled_reason = reason
    visit.save(update_fields=["status", "status_changed_at", "cancelled_reason"])
    record_event(acting_user, "VISIT_STATUS_CHANGED", patient=visit.patient, obj=visit,
                 details={"from": old, "to": status, "reason": reason})
    return visit
