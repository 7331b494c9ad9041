"""Questionnaire reminders through the notification system.

`sweep_questionnaire_reminders(worker_id)` is a due-work handler (ketaclinic.worker.DUE_WORK):
each clinic has one `ReminderSweep` row; a worker claims a clinic whose sweep is due with a
conditional UPDATE, queues a reminder for every open questionnaire slot of its patients in
care, and sets the next sweep an hour later. `queue_message` is idempotent on the slot's
dedupe key, so a slot is reminded once however often the sweep runs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.sweeps import run_due_clinic_sweep
from ketaclinic.notifications.wording import Fmt, Values, patient_message
from ketaclinic.outcomes.due import PRE_INFUSION_WINDOW, due_for_patient
from ketaclinic.outcomes.models import ReminderSweep
from ketaclinic.patients.models import Patient, Stage

SWEEP_EVERY = timedelta(hours=1)
CLAIM_TIMEOUT = timedelta(minutes=10)
REMINDER_KIND = "outcomes.questionnaire_due"


_SAMPLE = {"first_name": "Maya", "clinic": "Harbor Clinic", "slot": "pre", "crisis_line": "988",
           "emergency_number": "911", "visit_start": datetime(2026, 12, 3, 14, 30, tzinfo=UTC)}


def _why(f: Fmt, v: Values) -> str:
    """Why the check-in is asked now, from the slot (never the questionnaire's name or a score)."""
    slot = v["slot"]
    if slot == "baseline":
        return _("This one is before your first treatment.")
    if slot == "pre" and v.get("visit_start"):
        return _("This one is before your visit on %(day)s.") % {"day": f.day(v["visit_start"])}
    if slot == "after":
        return _("This one is for the day after your treatment.")
    if slot == "weekly":
        return _("This is your weekly check-in.")
    return _("This is your regular check-in.")


@patient_message(REMINDER_KIND, sample=_SAMPLE)
def questionnaire_reminder_text(f: Fmt, v: Values) -> tuple[str, str]:
    subject = _("A short check-in from %(clinic)s") % {"clinic": v["clinic"]}
    body = "\n\n".join([
        _("Hello %(name)s, a short check-in is waiting for you in your %(clinic)s patient portal.")
        % {"name": v["first_name"], "clinic": v["clinic"]} + " " + _why(f, v) + " "
        + _("It takes about 2 minutes."),
        _("If you are thinking about hurting yourself, call or text %(crisis_line)s any time.")
        % {"crisis_line": v["crisis_line"]} + " "
        + _("In an emergency call %(emergency_number)s.") % {"emergency_number": v["emergency_number"]},
    ])
    return subject, body


def queue_questionnaire_reminders(patient: Patient, now: datetime) -> int:
    """Queue one reminder per open, unanswered questionnaire slot, in the patient's language.
    Returns how many slots were due. The body says only that a check-in is waiting (no scores
    or health details).
    """
    from ketaclinic.notifications.actions import queue_patient_message

    due = due_for_patient(patient, now)
    clinic = patient.clinic
    protocol = clinic.protocol()
    for d in due:
        values = {"first_name": patient.first_name, "clinic": clinic.name, "slot": d.slot,
                  "crisis_line": protocol.outcomes.crisis_line, "emergency_number": protocol.outcomes.emergency_number,
                  # a pre-infusion slot opens PRE_INFUSION_WINDOW before its visit
                  "visit_start": d.opens_at + PRE_INFUSION_WINDOW if d.slot == "pre" else None}
        queue_patient_message(patient=patient, kind=REMINDER_KIND, due_at=max(d.opens_at, now), values=values,
                              dedupe_key=f"outcomes.due:{patient.pk}:{d.key}", now=now, not_after=d.closes_at)
    return len(due)


def sweep_questionnaire_reminders(worker_id: str, *, now: datetime | None = None) -> bool:
    """Claim one clinic whose sweep is due and queue questionnaire reminders for each of its
    patients in induction or maintenance (clinics.sweeps)."""
    at = now or timezone.now()

    def remind(clinic: Clinic) -> None:
        for patient in Patient.objects.filter(clinic=clinic, user__isnull=False,
                                              stage__in=[Stage.INDUCTION, Stage.MAINTENANCE]).select_related("clinic"):
            queue_questionnaire_reminders(patient, at)

    return run_due_clinic_sweep(ReminderSweep, worker_id, at, every=SWEEP_EVERY, claim_timeout=CLAIM_TIMEOUT,
                                work=remind)
