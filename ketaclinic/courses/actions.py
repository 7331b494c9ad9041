"""Writes for treatment courses."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.courses.models import CourseKind, TreatmentCourse
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
