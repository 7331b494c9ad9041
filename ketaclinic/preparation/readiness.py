"""The front desk readiness list: every visit of a day with what is still missing.

One query for the visits with everything annotated (latest ride, health update, attestation,
open tasks, screening review flags), so the page costs the same for 1 visit or 40.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from ketaclinic.clinics.models import Clinic
from ketaclinic.preparation.models import DayOfAttestation, HealthUpdate, PreparationTask, RideDetails
from ketaclinic.schedule.models import ACTIVE_STATUSES, Visit, VisitStatus
from ketaclinic.screening.models import ReviewFlag

READY = "ready"
STATUS_LABELS = {
    "flagged": "Flagged for review",
    "health_update_pending": "Health update pending",
    "ride_unconfirmed": "Ride unconfirmed",
    "not_attested": "Not attested",
    "no_plan": "Plan not built yet",
    "plan_error": "Reminders not set up",
    READY: "Ready",
}
# Visits still to come through the door or the chair today.
LISTED_STATUSES = (VisitStatus.BOOKED, VisitStatus.CONFIRMED, VisitStatus.ARRIVED, VisitStatus.IN_CHAIR)


@dataclass(frozen=True)
class ReadinessRow:
    visit: Visit
    statuses: tuple[str, ...]
    ride_name: str
    ride_phone: str
    ride_kind: str
    open_task_id: int | None

    @property
    def primary(self) -> str:
        return self.statuses[0]

    @property
    def is_ready(self) -> bool:
        return self.statuses == (READY,)

    def labels(self) -> list[tuple[str, str]]:
        return [(code, STATUS_LABELS[code]) for code in self.statuses]


def day_bounds(clinic: Clinic, day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=clinic.zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=clinic.zone)
    return start, end


def readiness_queryset(clinic: Clinic, day: date) -> QuerySet[Visit]:
    start, end = day_bounds(clinic, day)
    day_start = start
    latest_ride = RideDetails.objects.filter(plan__visit=OuterRef("pk")).order_by("-recorded_at", "-id")
    return (Visit.objects.filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end,
                                 status__in=LISTED_STATUSES)
            .select_related("patient", "preparation", "chair")
            .annotate(
                ride_name=Subquery(latest_ride.values("escort_name")[:1]),
                ride_phone=Subquery(latest_ride.values("escort_phone")[:1]),
                ride_kind=Subquery(latest_ride.values("kind")[:1]),
                health_update_at=Subquery(HealthUpdate.objects.filter(plan__visit=OuterRef("pk"))
                                          .order_by("-submitted_at").values("submitted_at")[:1]),
                attested_today=Exists(DayOfAttestation.objects.filter(plan__visit=OuterRef("pk"),
                                                                      recorded_at__gte=day_start)),
                open_task_id=Subquery(PreparationTask.objects.filter(plan__visit=OuterRef("pk"), done_at__isnull=True)
                                      .order_by("created_at").values("pk")[:1]),
                open_review_flag=Exists(ReviewFlag.objects.filter(
                    Q(visit=OuterRef("pk")) | Q(visit__isnull=True), patient=OuterRef("patient_id"),
                    resolved_at__isnull=True)),
            ).order_by("starts_at", "id"))


def statuses_for(visit: Any, *, is_today: bool) -> tuple[str, ...]:
    plan = getattr(visit, "preparation", None)
    found: list[str] = []
    if plan is None:
        found.append("no_plan")
    elif plan.sync_error:
        found.append("plan_error")
    if visit.open_review_flag or (plan is not None and plan.is_flagged):
        found.append("flagged")
    if visit.health_update_at is None:
        found.append("health_update_pending")
    if plan is None or plan.ride_confirmed_at is None:
        found.append("ride_unconfirmed")
    if is_today and not visit.attested_today:
        found.append("not_attested")
    return tuple(found) or (READY,)


def readiness_rows(clinic: Clinic, day: date, *, today: date) -> list[ReadinessRow]:
    rows = []
    for visit in readiness_queryset(clinic, day):
        annotated: Any = visit  # carries the annotations of readiness_queryset
        rows.append(ReadinessRow(
            visit=visit, statuses=statuses_for(visit, is_today=day == today),
            ride_name=annotated.ride_name or "", ride_phone=annotated.ride_phone or "",
            ride_kind=annotated.ride_kind or "", open_task_id=annotated.open_task_id))
    return rows


def is_active(visit: Visit) -> bool:
    return visit.status in ACTIVE_STATUSES
