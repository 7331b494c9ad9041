"""Writes for treatment courses."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.courses.models import (
    AMENDABLE_FIELDS,
    AmendmentStatus,
    CourseAmendment,
    CourseKind,
    CourseStatus,
    TreatmentCourse,
)
from ketaclinic.patients.models import Patient


@transaction.atomic
def do_create_course(acting_user: User, patient: Patient, *, indication_code: str,
                     kind: str = CourseKind.INDUCTION, earliest_on: date, latest_start_on: date | None = None,
                     planned_visits: int | None = None, infusion_min: int | None = None,
                     notes: str = "", now: datetime | None = None) -> TreatmentCourse:
    """Create a course waiting to be scheduled, with spacing rules copied from the clinic protocol.

    Who: provider or medical director (an approved plan). Writes: TreatmentCourse, AuditEvent.
    """
    require_perm(acting_user, patient.clinic, Perm.PRESCRIBE)
    protocol = patient.clinic.protocol()
    course_rules = protocol.course
    visits = planned_visits or (course_rules.induction_infusions if kind == CourseKind.INDUCTION else 1)
    course = TreatmentCourse.objects.create(
        clinic=patient.clinic, patient=patient, kind=kind, indication_code=indication_code,
        planned_visits=visits, window_days=course_rules.induction_window_days,
        max_per_7_days=course_rules.induction_max_per_7_days,
        min_gap_hours=int(course_rules.min_hours_between_infusions),
        checkin_min=course_rules.checkin_min, infusion_min=infusion_min or course_rules.infusion_min,
        recovery_min=course_rules.recovery_min, earliest_on=earliest_on, latest_start_on=latest_start_on,
        protocol_version=patient.clinic.current_protocol_version(), notes=notes,
        created_at=now or timezone.now(), created_by=acting_user,
    )
    record_event(acting_user, "COURSE_CREATED", patient=patient, obj=course,
                 details={"kind": kind, "visits": visits, "indication": indication_code})
    return course


class CourseChangeRefused(ValueError):
    """The change would break a rule or needs someone else; the message says which."""


def _loosens(course: TreatmentCourse, field: str, value: Any) -> bool:
    """True when a change relaxes a spacing limit beyond the clinic protocol (needs a second signature)."""
    rules = course.clinic.protocol().course
    if field == "min_gap_hours":
        return float(value) < rules.min_hours_between_infusions
    if field == "max_per_7_days":
        return int(value) > rules.induction_max_per_7_days
    if field == "planned_visits" and course.kind == CourseKind.INDUCTION:
        return int(value) > rules.induction_infusions
    return False


def _as_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


@transaction.atomic
def do_amend_course(acting_user: User, course: TreatmentCourse, changes: dict[str, Any], *, reason: str,
                    now: datetime | None = None) -> CourseAmendment:
    """Change a course's plan (per-course override). Who: provider or medical director.

    The old values are kept in a CourseAmendment with who, when and why. A change that
    loosens a spacing limit beyond the clinic protocol waits for a second prescriber
    (do_cosign_course_amendment). A change that would make already-booked visits break the
    course's rules is refused (move the visits first). Raises CourseChangeRefused.
    Writes: TreatmentCourse (when applied), CourseAmendment, AuditEvent.
    """
    from ketaclinic.schedule.models import ACTIVE_STATUSES
    from ketaclinic.schedule.rules import blocking, course_rule_problems

    require_perm(acting_user, course.clinic, Perm.PRESCRIBE)
    now = now or timezone.now()
    course = TreatmentCourse.objects.select_for_update(of=("self",)).select_related("clinic").get(pk=course.pk)
    if not reason.strip():
        raise CourseChangeRefused("Please give a reason for the change.")
    if course.status in (CourseStatus.COMPLETED, CourseStatus.CANCELLED):
        raise CourseChangeRefused("This course is closed; start a new course instead.")
    diff = {f: {"from": _as_json(getattr(course, f)), "to": _as_json(v)} for f, v in changes.items()
            if f in AMENDABLE_FIELDS and getattr(course, f) != v}
    unknown = set(changes) - set(AMENDABLE_FIELDS)
    if unknown:
        raise CourseChangeRefused(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    if not diff:
        raise CourseChangeRefused("Nothing was changed.")
    trial = TreatmentCourse(**{f.attname: getattr(course, f.attname) for f in TreatmentCourse._meta.concrete_fields})
    for f in diff:
        setattr(trial, f, changes[f])
    starts = list(course.visits.filter(status__in=ACTIVE_STATUSES).values_list("starts_at", flat=True))
    broken = blocking(course_rule_problems(trial, starts, course.clinic.zone, check_start_dates=False))
    if broken:
        raise CourseChangeRefused("The booked visits would break the new plan: "
                                  + " ".join(p.message for p in broken) + " Move those visits first.")
    needs_cosign = any(_loosens(course, f, changes[f]) for f in diff)
    amendment = CourseAmendment.objects.create(
        course=course, changes=diff, reason=reason.strip(), amended_at=now, amended_by=acting_user,
        status=AmendmentStatus.PENDING if needs_cosign else AmendmentStatus.APPLIED)
    if not needs_cosign:
        _apply(course, amendment)
    record_event(acting_user, "COURSE_AMENDED" if not needs_cosign else "COURSE_AMENDMENT_PROPOSED",
                 patient=course.patient, obj=course, at=now,
                 details={"changes": diff, "reason": reason, "needs_cosign": needs_cosign})
    return amendment


def _apply(course: TreatmentCourse, amendment: CourseAmendment) -> None:
    for f, change in amendment.changes.items():
        value = change["to"]
        if f in ("earliest_on", "latest_start_on") and value is not None:
            value = date.fromisoformat(value)
        setattr(course, f, value)
    course.save(update_fields=list(amendment.changes))


@transaction.atomic
def do_cosign_course_amendment(acting_user: User, amendment: CourseAmendment, *, approve: bool, note: str = "",
                               now: datetime | None = None) -> CourseAmendment:
    """Second signature on a loosening change. Who: a prescriber other than the one who asked.

    Writes: CourseAmendment, TreatmentCourse (if approved), AuditEvent.
    """
    amendment = (CourseAmendment.objects.select_for_update(of=("self",))
        .select_related("course__clinic", "course__patient").get(pk=amendment.pk))
    course = amendment.course
    require_perm(acting_user, course.clinic, Perm.PRESCRIBE)
    if amendment.amended_by_id == acting_user.pk:
        raise CourseChangeRefused("A second signature must come from another prescriber.")
    if amendment.status != AmendmentStatus.PENDING:
        raise CourseChangeRefused("This change was already decided.")
    now = now or timezone.now()
    amendment.cosigned_by = acting_user
    amendment.cosigned_at = now
    amendment.status = AmendmentStatus.APPLIED if approve else AmendmentStatus.REJECTED
    amendment.save(update_fields=["cosigned_by", "cosigned_at", "status"])
    if approve:
        _apply(course, amendment)
    record_event(acting_user, "COURSE_AMENDMENT_COSIGNED" if approve else "COURSE_AMENDMENT_REJECTED",
                 patient=course.patient, obj=course, at=now, details={"amendment": amendment.pk, "note": note})
    return amendment


@transaction.atomic
def do_plan_maintenance(acting_user: User, course: TreatmentCourse, *, intervals: list[int] | None = None,
                        after: date | None = None, tolerance_days: int = 3,
                        now: datetime | None = None) -> list[TreatmentCourse]:
    """Create the maintenance boosters after an induction, each a one-visit course with a date range.

    Dates follow protocol course.maintenance_intervals_days (or `intervals`), counted from the
    induction's last visit (or `after`); each booster may start up to `tolerance_days` later.
    They wait on the list until booked (schedule "propose", or "book boosters" on the course page).
    Who: provider or medical director. Planning twice is refused while boosters are waiting.
    Writes: TreatmentCourse per booster, AuditEvent.
    """
    from ketaclinic.schedule.models import ACTIVE_STATUSES

    require_perm(acting_user, course.clinic, Perm.PRESCRIBE)
    if TreatmentCourse.objects.filter(patient=course.patient, kind=CourseKind.MAINTENANCE,
                                      status=CourseStatus.REQUESTED).exists():
        raise CourseChangeRefused("Boosters are already waiting to be booked for this patient.")
    steps = intervals or list(course.clinic.protocol().course.maintenance_intervals_days)
    if not steps or any(int(s) < 1 for s in steps):
        raise CourseChangeRefused("Give at least one interval of one day or more.")
    last = course.visits.filter(status__in=ACTIVE_STATUSES).order_by("-starts_at").first()
    base = after or (last.starts_at.astimezone(course.clinic.zone).date() if last else
                     timezone.localdate(now, timezone=course.clinic.zone))
    boosters = []
    day = base
    for step in steps:
        day = day + timedelta(days=int(step))
        boosters.append(do_create_course(
            acting_user, course.patient, indication_code=course.indication_code, kind=CourseKind.MAINTENANCE,
            earliest_on=day, latest_start_on=day + timedelta(days=tolerance_days),
            infusion_min=course.infusion_min, notes=f"Booster after course {course.pk}", now=now))
    record_event(acting_user, "MAINTENANCE_PLANNED", patient=course.patient, obj=course,
                 details={"intervals": steps, "from": base.isoformat(), "boosters": [b.pk for b in boosters]})
    return boosters


@transaction.atomic
def do_cancel_course(acting_user: User, course: TreatmentCourse, *, reason: str,
                     now: datetime | None = None) -> TreatmentCourse:
    """Stop a course: its future booked visits are cancelled (freed slots go to the waitlist).

    Who: provider or medical director. Writes: TreatmentCourse, Visits, AuditEvent.
    """
    from ketaclinic.schedule.actions import do_cancel_visit
    from ketaclinic.schedule.models import Visit, VisitStatus

    require_perm(acting_user, course.clinic, Perm.PRESCRIBE)
    if not reason.strip():
        raise CourseChangeRefused("Please give a reason.")
    now = now or timezone.now()
    if course.status == CourseStatus.CANCELLED:
        return course
    for visit in Visit.objects.filter(course=course, status__in=[VisitStatus.BOOKED, VisitStatus.CONFIRMED],
                                      starts_at__gt=now):
        do_cancel_visit(acting_user, visit, reason=f"Course stopped: {reason}"[:200], now=now)
    course.status = CourseStatus.CANCELLED
    course.save(update_fields=["status"])
    record_event(acting_user, "COURSE_CANCELLED", patient=course.patient, obj=course, at=now,
                 details={"reason": reason})
    return course
