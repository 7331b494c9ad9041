"""Demo data for scheduling (called by ketaclinic.demo.seed after the core made chairs, hours,
shifts, courses and three weeks of visits). Adds what the front desk works with: patients'
stated availability, a waitlist with a booster waiting, and a cancellation whose freed slot is
offered to the waitlist. Idempotent: each part checks for its own rows first; actions only."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from ketaclinic.courses.actions import do_create_course
from ketaclinic.courses.models import CourseKind, CourseStatus, TreatmentCourse
from ketaclinic.schedule.actions import do_cancel_visit, do_set_availability
from ketaclinic.schedule.models import Availability, SlotOffer, Visit, VisitStatus

DEMO_CANCEL_REASON = "Family emergency; will call to rebook"
# (weekdays, from, until, note): what real patients tell the front desk
PATTERNS = [
    ([0, 2, 4], time(8), time(14), "My sister drives me; she works afternoons."),
    ([0, 1, 2, 3, 4], time(9, 30), time(17, 30), ""),
    ([1, 3], time(8), time(18), "Tuesdays and Thursdays are my days off."),
    ([0, 1, 2, 3, 4], time(12), time(18), "Mornings are school drop-off."),
    ([0, 2, 3, 4], time(8), time(16), ""),
]


def seed(ctx: Any) -> None:
    _availability(ctx)
    _waiting_booster(ctx)
    _cancellation_to_fill(ctx)


def _availability(ctx: Any) -> None:
    if Availability.objects.filter(clinic=ctx.clinic).exists():
        return
    front_desk = ctx.staff["front_desk"]
    people = ctx.patients.get("approved", []) + ctx.patients.get("induction", [])[:4]
    for i, patient in enumerate(people):
        weekdays, start, until, note = PATTERNS[i % len(PATTERNS)]
        do_set_availability(front_desk, patient, weekdays=weekdays, from_time=start, until_time=until, note=note,
                            now=ctx.now)


def _waiting_booster(ctx: Any) -> None:
    """A maintenance patient whose next booster is due and not yet booked."""
    maintenance = ctx.patients.get("maintenance", [])
    if not maintenance:
        return
    patient = maintenance[-1]
    if TreatmentCourse.objects.filter(patient=patient, kind=CourseKind.MAINTENANCE,
                                      status=CourseStatus.REQUESTED).exists():
        return
    start = ctx.today + timedelta(days=2)
    do_create_course(ctx.staff["provider"], patient, indication_code="F33.2", kind=CourseKind.MAINTENANCE,
                     earliest_on=start, latest_start_on=start + timedelta(days=10),
                     notes="Booster due: scores rising again (demo).", now=ctx.now)


def _cancellation_to_fill(ctx: Any) -> None:
    """Cancel one booked booster a few days out; the freed slot is offered to the waitlist."""
    if Visit.objects.filter(clinic=ctx.clinic, cancelled_reason=DEMO_CANCEL_REASON).exists() \
            or SlotOffer.objects.filter(clinic=ctx.clinic).exists():
        return
    soon = ctx.now + timedelta(days=4)
    candidates = (Visit.objects.filter(clinic=ctx.clinic, status=VisitStatus.BOOKED, starts_at__gte=soon,
                                       course__kind=CourseKind.MAINTENANCE)
                  .select_related("course", "patient").order_by("starts_at"))
    for visit in candidates[:5]:
        do_cancel_visit(ctx.staff["front_desk"], visit, reason=DEMO_CANCEL_REASON, now=ctx.now)
        if SlotOffer.objects.filter(freed_visit=visit).exists():
            return
