"""Which nurse watches which infusion.

A visit gets a nurse when it is booked or moved: among the clinic's nurses with one shift
covering the whole infusion phase, those already watching fewer than the protocol's
`nurse_max_chairs` infusions at every minute of it, the least loaded that day (fewest assigned
visits, then fewest at that time). When nobody fits, the visit stays unassigned and the day
sheet says so; the booking rules' head count of nurses on shift still holds. The front desk
or a nurse (the charge nurse) can change the assignment, with the same checks.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, Role, has_perm, roles_at
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.courses.models import TreatmentCourse
from ketaclinic.schedule.models import ACTIVE_STATUSES, NurseShift, Visit


class NurseNotAvailable(ValueError):
    """The nurse is not on shift for the whole infusion, or already watches as many as allowed then."""


def clinic_nurses(clinic: Clinic) -> QuerySet[User]:
    """Users holding an active nurse role at `clinic`."""
    return User.objects.filter(memberships__clinic=clinic, memberships__role=Role.NURSE,
                               memberships__active=True).distinct().order_by("full_name", "email")


def infusion_span(course: TreatmentCourse, start: datetime) -> tuple[datetime, datetime]:
    begin = start + timedelta(minutes=course.checkin_min)
    return begin, begin + timedelta(minutes=course.infusion_min)


def _peak(spans: list[tuple[datetime, datetime]], begin: datetime, end: datetime) -> int:
    """Most of `spans` running at once inside [begin, end)."""
    points = sorted([(max(a, begin), 1) for a, b in spans if a < end and b > begin]
                    + [(min(b, end), -1) for a, b in spans if a < end and b > begin], key=lambda p: (p[0], p[1]))
    running = peak = 0
    for _, step in points:
        running += step
        peak = max(peak, running)
    return peak


def _assigned_spans(clinic: Clinic, nurse_ids: list[int], begin: datetime, end: datetime,
                    ignore: set[int]) -> dict[int, list[tuple[datetime, datetime]]]:
    rows = (Visit.objects.filter(clinic=clinic, nurse_id__in=nurse_ids, status__in=ACTIVE_STATUSES,
                                 starts_at__lt=end, ends_at__gt=begin - timedelta(hours=6))
            .exclude(pk__in=ignore).select_related("course"))
    out: dict[int, list[tuple[datetime, datetime]]] = {}
    for v in rows:
        out.setdefault(v.nurse_id or 0, []).append(infusion_span(v.course, v.starts_at))
    return out


def pick_nurse(clinic: Clinic, course: TreatmentCourse, start: datetime, *,
               ignore: set[int] | None = None) -> User | None:
    """The least-loaded nurse who can watch this infusion, or None (4 queries)."""
    begin, end = infusion_span(course, start)
    per_nurse = clinic.protocol().course.nurse_max_chairs
    on_shift = set(NurseShift.objects.filter(clinic=clinic, starts_at__lte=begin, ends_at__gte=end,
                                             nurse__in=clinic_nurses(clinic)).values_list("nurse_id", flat=True))
    if not on_shift:
        return None
    spans = _assigned_spans(clinic, list(on_shift), begin, end, ignore or set())
    eligible = {n: _peak(spans.get(n, []), begin, end) for n in on_shift}
    eligible = {n: peak for n, peak in eligible.items() if peak + 1 <= per_nurse}
    if not eligible:
        return None
    zone = clinic.zone
    day = start.astimezone(zone).date()
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    load = Counter(Visit.objects.filter(clinic=clinic, nurse_id__in=list(eligible), status__in=ACTIVE_STATUSES,
                                        starts_at__gte=midnight, starts_at__lt=midnight + timedelta(days=1))
                   .exclude(pk__in=ignore or set()).values_list("nurse_id", flat=True))
    best = min(eligible, key=lambda n: (load[n], eligible[n], n))
    return User.objects.get(pk=best)


def nurse_problem(clinic: Clinic, nurse: User, course: TreatmentCourse, start: datetime, *,
                  ignore: set[int]) -> str:
    """Why `nurse` cannot watch this infusion ("" when they can)."""
    if not clinic_nurses(clinic).filter(pk=nurse.pk).exists():
        return f"{nurse.full_name or nurse.email} is not a nurse at this clinic."
    begin, end = infusion_span(course, start)
    zone = clinic.zone
    name = nurse.full_name or nurse.email
    if not NurseShift.objects.filter(clinic=clinic, nurse=nurse, starts_at__lte=begin, ends_at__gte=end).exists():
        return (f"{name} is not on shift for the whole infusion "
                f"({begin.astimezone(zone):%H:%M}–{end.astimezone(zone):%H:%M}).")
    per_nurse = clinic.protocol().course.nurse_max_chairs
    peak = _peak(_assigned_spans(clinic, [nurse.pk], begin, end, ignore).get(nurse.pk, []), begin, end)
    if peak + 1 > per_nurse:
        return f"{name} already watches {peak} infusion(s) then (each nurse watches at most {per_nurse})."
    return ""


def assign_on_booking(visit: Visit) -> None:
    """Give a new or moved visit a nurse: keep its nurse if they still fit, else the least loaded.

    Joins the caller's transaction (booking and moving actions).
    """
    course = visit.course
    if visit.nurse_id is not None and visit.nurse is not None and not nurse_problem(
            visit.clinic, visit.nurse, course, visit.starts_at, ignore={visit.pk}):
        return
    nurse = pick_nurse(visit.clinic, course, visit.starts_at, ignore={visit.pk})
    if (nurse.pk if nurse else None) != visit.nurse_id:
        visit.nurse = nurse
        Visit.objects.filter(pk=visit.pk).update(nurse=nurse)


def can_assign_nurses(user: Any, clinic: Clinic) -> bool:
    """Front desk (and providers, the medical director) or a nurse, the charge nurse among them."""
    return has_perm(user, clinic, Perm.REGISTER_PATIENTS) or Role.NURSE in roles_at(user, clinic)


@transaction.atomic
def do_assign_nurse(acting_user: User, visit: Visit, nurse: User | None, *, now: datetime | None = None) -> Visit:
    """Set or clear the nurse who watches a visit's infusion.

    Who: front desk, providers, the medical director, or a nurse at the clinic (the charge
    nurse). The nurse must be on shift for the whole infusion and watch fewer than the
    protocol's maximum at every minute of it (NurseNotAvailable otherwise). Only visits that
    have not finished. Writes: Visit.nurse, AuditEvent.
    """
    visit = (Visit.objects.select_for_update(of=("self",)).select_related("clinic", "patient", "course", "nurse")
             .get(pk=visit.pk))
    if not can_assign_nurses(acting_user, visit.clinic):
        raise PermissionDenied("Your role at this clinic does not allow assigning nurses.")
    if visit.status not in ACTIVE_STATUSES or visit.status == "discharged":
        raise NurseNotAvailable("Only a visit that has not finished can get a nurse.")
    if nurse is not None:
        problem = nurse_problem(visit.clinic, nurse, visit.course, visit.starts_at, ignore={visit.pk})
        if problem:
            raise NurseNotAvailable(problem)
    if (nurse.pk if nurse else None) == visit.nurse_id:
        return visit  # a double submit changes nothing
    old = visit.nurse.email if visit.nurse else ""
    visit.nurse = nurse
    visit.save(update_fields=["nurse"])
    record_event(acting_user, "VISIT_NURSE_ASSIGNED", patient=visit.patient, obj=visit, at=now or timezone.now(),
                 details={"from": old, "to": nurse.email if nurse else ""})
    return visit


def nurse_day_load(clinic: Clinic, visits: list[Visit], shifts: list[NurseShift]) -> list[dict[str, Any]]:
    """Per nurse on shift that day: assigned visits and the most infusions they watch at once (no queries).

    `visits` need `course` loaded. Rows flag `over` when a nurse watches more than allowed.
    """
    per_nurse = clinic.protocol().course.nurse_max_chairs
    rows: dict[int, dict[str, Any]] = {}
    for s in shifts:
        rows.setdefault(s.nurse_id, {"nurse": s.nurse, "visits": 0, "peak": 0, "over": False})
    spans: dict[int, list[tuple[datetime, datetime]]] = {}
    for v in visits:
        if v.nurse_id is None or v.status not in ACTIVE_STATUSES:
            continue
        spans.setdefault(v.nurse_id, []).append(infusion_span(v.course, v.starts_at))
        if v.nurse_id not in rows:
            rows[v.nurse_id] = {"nurse": v.nurse, "visits": 0, "peak": 0, "over": False}
        rows[v.nurse_id]["visits"] += 1
    for nurse_id, items in spans.items():
        first = min(a for a, _ in items)
        last = max(b for _, b in items)
        rows[nurse_id]["peak"] = _peak(items, first, last)
        rows[nurse_id]["over"] = rows[nurse_id]["peak"] > per_nurse
    return list(rows.values())
