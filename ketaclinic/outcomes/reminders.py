"""Questionnaire reminders through the notification system.

`sweep_questionnaire_reminders(worker_id)` is a due-work handler (ketaclinic.worker.DUE_WORK):
each clinic has one `ReminderSweep` row; a worker claims a clinic whose sweep is due with a
conditional UPDATE, queues a reminder for every open questionnaire slot of its patients in
care, and sets the next sweep an hour later. `queue_message` is idempotent on the slot's
dedupe key, so a slot is reminded once however often the sweep runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ketaclinic.clinics.models import Clinic
from ketaclinic.outcomes.due import due_for_patient
from ketaclinic.outcomes.models import ReminderSweep
from ketaclinic.patients.models import Patient, Stage

SWEEP_EVERY = timedelta(hours=1)
CLAIM_TIMEOUT = timedelta(minutes=10)
REMINDER_KIND = "outcomes.questionnaire_due"


def queue_questionnaire_reminders(patient: Patient, now: datetime) -> int:
    """Queue one reminder per open, unanswered questionnaire slot. Returns how many slots were due.

    The body says only that a check-in is waiting (no scores or health details).
    """
    from ketaclinic.notifications.actions import queue_message

    due = due_for_patient(patient, now)
    clinic = patient.clinic
    protocol = clinic.protocol()
    for d in due:
        body = (f"Hello {patient.first_name}, a short check-in is waiting for you in your {clinic.name} patient "
                f"portal ({d.reason.lower()}). It takes about 2 minutes.\n\n"
                f"If you are thinking about hurting yourself, call or text {protocol.outcomes.crisis_line} any time. "
                f"In an emergency call {protocol.outcomes.emergency_number}.")
        queue_message(patient=patient, kind=REMINDER_KIND, due_at=max(d.opens_at, now),
                      subject=f"A short check-in from {clinic.name}", body=body,
                      dedupe_key=f"outcomes.due:{patient.pk}:{d.key}", now=now, not_after=d.closes_at)
    return len(due)


def ensure_sweeps(now: datetime) -> None:
    """One sweep row per clinic (created on first use)."""
    missing = Clinic.objects.exclude(pk__in=ReminderSweep.objects.values("clinic_id")).values_list("pk", flat=True)
    for clinic_id in missing:
        ReminderSweep.objects.get_or_create(clinic_id=clinic_id, defaults={"due_at": now})


def sweep_questionnaire_reminders(worker_id: str, *, now: datetime | None = None) -> bool:
    """Claim one clinic whose sweep is due and queue its questionnaire reminders.

    1. Find a sweep row due now and not claimed (or whose claim is stale).
    2. Claim it with a conditional UPDATE; if no row changed, another worker got there first.
    3. Queue reminders for each patient in induction or maintenance, in one transaction.
    4. Set the next sweep time and release the claim.
    """
    now = now or timezone.now()
    ensure_sweeps(now)
    candidate = (ReminderSweep.objects.filter(due_at__lte=now)
                 .exclude(claimed_at__gt=now - CLAIM_TIMEOUT).order_by("due_at").first())
    if candidate is None:
        return False
    claimed = (ReminderSweep.objects.filter(pk=candidate.pk, due_at=candidate.due_at, claimed_at=candidate.claimed_at)
               .update(claimed_at=now, claimed_by=worker_id[:100]))
    if not claimed:
        return False  # another worker got there first
    with transaction.atomic():
        patients = Patient.objects.filter(clinic_id=candidate.clinic_id, user__isnull=False,
                                          stage__in=[Stage.INDUCTION, Stage.MAINTENANCE]).select_related("clinic")
        for patient in patients:
            queue_questionnaire_reminders(patient, now)
        ReminderSweep.objects.filter(pk=candidate.pk).update(due_at=now + SWEEP_EVERY, claimed_at=None,
                                                             last_run_at=now)
    return True
