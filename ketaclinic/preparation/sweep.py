"""Due work of the preparation stage (listed in ketaclinic.worker.DUE_WORK).

- `sync_one_visit`: finds one upcoming visit whose plan is missing or out of step with the
  visit (new booking, moved, cancelled) and runs ensure_preparation_for_visit on it. This is
  how visits booked by any path get their reminders, and how reschedules and cancellations
  are detected: by comparing the visit's starts_at/status with what the plan last saw.
- `open_one_ride_task`: when a ride is still unconfirmed at the cut-off
  (ride_confirm_cutoff_h before the visit), opens a front desk task, once.

Each handler does one item per call and returns whether it did something (healthchecks'
sendalerts pattern), so tests drive them directly.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from ketaclinic.audit.log import record_event
from ketaclinic.preparation.models import PreparationPlan, PreparationTask, TaskKind
from ketaclinic.preparation.plans import ensure_preparation_for_visit
from ketaclinic.schedule.models import ACTIVE_STATUSES, Visit

logger = logging.getLogger(__name__)

# Plans are built this far ahead: the longest lead a reminder may have (health_update_lead_h
# is at most 336 h in protocol config) plus a day.
SWEEP_AHEAD = timedelta(days=15)
SWEEP_BEHIND = timedelta(hours=12)


def visits_needing_sync(now: datetime):  # type: ignore[no-untyped-def]
    """Upcoming visits without a plan (active ones, within SWEEP_AHEAD), or whose plan saw another
    start/status — however far ahead the visit now is, so a planned visit moved weeks away is
    told (and its reminders cancelled) at once, not when it comes back within the window."""
    upcoming = Visit.objects.filter(starts_at__gte=now - SWEEP_BEHIND)
    missing = Q(preparation__isnull=True, status__in=ACTIVE_STATUSES, starts_at__lte=now + SWEEP_AHEAD)
    stale = Q(preparation__isnull=False) & (
        Q(preparation__synced_starts_at__isnull=True)
        | ~Q(preparation__synced_starts_at=F("starts_at"))
        | ~Q(preparation__synced_status=F("status"))
    )
    return upcoming.filter(missing | stale)


def sync_one_visit(worker_id: str, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    visit = (visits_needing_sync(now).select_related("clinic", "patient__clinic")
             .order_by("starts_at", "id").first())
    if visit is None:
        return False
    try:
        ensure_preparation_for_visit(visit, now=now)
    except Exception as exc:  # one bad visit must not block every other visit's reminders
        logger.exception("Preparation for visit %s could not be set up", visit.pk)
        _record_sync_failure(visit, exc, now)
    return True


def _record_sync_failure(visit: Visit, exc: Exception, now: datetime) -> None:
    """Mark the visit as seen (so the sweep moves on) and keep the error for staff: the
    readiness list shows "Reminders not set up" until the visit changes and syncs cleanly."""
    error = f"{type(exc).__name__}: {exc}"[:500]
    with transaction.atomic():
        plan, _ = PreparationPlan.objects.get_or_create(
            visit=visit, defaults={"clinic_id": visit.clinic_id, "patient_id": visit.patient_id, "created_at": now})
        PreparationPlan.objects.filter(pk=plan.pk).update(synced_starts_at=visit.starts_at, synced_status=visit.status,
                                                          sync_error=error)
        record_event(None, "PREPARATION_SYNC_FAILED", patient=visit.patient, obj=plan, at=now,
                     details={"visit": visit.pk, "error": error})


def open_one_ride_task(worker_id: str, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    plan = (PreparationPlan.objects
            .filter(ride_confirmed_at__isnull=True, ride_cutoff_at__lte=now,
                    visit__starts_at__gt=now, visit__status__in=ACTIVE_STATUSES,
                    visit__starts_at=F("synced_starts_at"))
            .exclude(tasks__kind=TaskKind.RIDE_UNCONFIRMED, tasks__for_starts_at=F("visit__starts_at"))
            .select_related("visit", "patient__clinic").order_by("ride_cutoff_at", "id").first())
    if plan is None:
        return False
    try:
        with transaction.atomic():
            task = PreparationTask.objects.create(plan=plan, kind=TaskKind.RIDE_UNCONFIRMED,
                                                  for_starts_at=plan.visit.starts_at, created_at=now)
            record_event(None, "RIDE_TASK_OPENED", patient=plan.patient, obj=task, at=now,
                         details={"visit": plan.visit_id})
    except IntegrityError:
        pass  # another worker opened it first
    return True
