"""Per-clinic due work: one row per clinic saying when a stage's sweep runs next.

A stage that must look over all of a clinic's patients now and then (questionnaire reminders,
guide offers) subclasses `ClinicSweep` and lists a handler in `ketaclinic.worker.DUE_WORK`
that calls `run_due_clinic_sweep`. Any number of workers may run: a conditional UPDATE claims
a row, and a claim older than `claim_timeout` (a crashed worker) can be claimed again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import models, transaction

from ketaclinic.clinics.models import Clinic


class ClinicSweep(models.Model):
    """When to next run one stage's sweep over one clinic's patients."""

    clinic = models.OneToOneField("clinics.Clinic", on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


def run_due_clinic_sweep(model: type[ClinicSweep], worker_id: str, now: datetime, *, every: timedelta,
                         claim_timeout: timedelta, work: Callable[[Clinic], object]) -> bool:
    """Claim one clinic whose sweep is due and run `work` on it; False when none was due.

    1. One row per clinic (created on first use).
    2. Find a row due now and not claimed (or whose claim is stale); claim it with a conditional
       UPDATE — if no row changed, another worker got there first.
    3. Run `work` in one transaction, then set the next time and release the claim.
    """
    rows = model._default_manager
    missing = Clinic.objects.exclude(pk__in=rows.values("clinic_id")).values_list("pk", flat=True)
    for clinic_id in missing:
        rows.get_or_create(clinic_id=clinic_id, defaults={"due_at": now})
    candidate = (rows.filter(due_at__lte=now).exclude(claimed_at__gt=now - claim_timeout)
                 .order_by("due_at").first())
    if candidate is None:
        return False
    claimed = (rows.filter(pk=candidate.pk, due_at=candidate.due_at, claimed_at=candidate.claimed_at)
               .update(claimed_at=now, claimed_by=worker_id[:100]))
    if not claimed:
        return False
    with transaction.atomic():
        work(Clinic.objects.get(pk=candidate.clinic_id))
        rows.filter(pk=candidate.pk).update(due_at=now + every, claimed_at=None, last_run_at=now)
    return True
