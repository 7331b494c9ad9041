"""Building a visit's preparation plan and keeping its reminder messages in step with the visit.

`ensure_preparation_for_visit(visit)` is the one entry point: the portal calls it on first
view, the schedule stage may call it right after booking, and the reminders sweep calls it
for every upcoming visit, so visits booked by any path get their reminders. It never sends
anything itself: it writes OutboundMessage rows that the worker sends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.notifications.actions import cancel_messages, queue_patient_message
from ketaclinic.notifications.wording import Fmt, Values, patient_message
from ketaclinic.preparation.models import MedicationInstructionRecord, PreparationPlan, PreparationTask
from ketaclinic.protocol.config import Protocol
from ketaclinic.protocol.preparation import MedicationInstruction, PreparationTimeline, build_timeline
from ketaclinic.schedule.models import ACTIVE_STATUSES, Visit, VisitStatus
from ketaclinic.schedule.notify import told_in_course_move

PREFIX = "prep."
BOOKING_CONFIRMATION_WITHIN = timedelta(hours=48)  # plans built later than this after booking skip it
LATE_REQUEST_UNTIL = timedelta(hours=2)  # a late health-update / ride request is still sent up to 2 h before


def site_url(path: str) -> str:
    from django.conf import settings

    return f"{settings.SITE_URL}{path}"


def protocol_for(plan: PreparationPlan | None, clinic: Clinic) -> Protocol:
    if plan is not None and plan.protocol_version is not None:
        return plan.protocol_version.protocol()
    return clinic.protocol()


def active_medication_instructions(visit: Visit) -> list[MedicationInstruction]:
    rows = MedicationInstructionRecord.objects.filter(patient_id=visit.patient_id, ended_at__isnull=True,
                                                      recorded_at__lte=max(visit.starts_at, timezone.now()))
    return [MedicationInstruction(r.medication, r.instruction, r.agreed_by_name) for r in rows]


def visit_minutes(visit: Visit) -> int:
    return max(1, int((visit.ends_at - visit.starts_at).total_seconds() // 60))


def timeline_for(visit: Visit, plan: PreparationPlan | None = None) -> PreparationTimeline:
    """The visit's personal timeline (pure protocol rules) with its agreed medication holds."""
    return build_timeline(visit.starts_at, visit.clinic.zone, visit_minutes(visit),
                          protocol_for(plan, visit.clinic),
                          medication_instructions=active_medication_instructions(visit))


def ensure_preparation_for_visit(visit: Visit, *, now: datetime | None = None) -> PreparationPlan:
    """The visit's plan, built if missing, with reminder rows matching the visit's current
    start and status (queued on first build, recomputed after a reschedule, cancelled after a
    cancellation, each time with a notice to the patient).

    Safe to call from any path and from two workers at once: the plan is unique per visit,
    the re-sync is claimed with a conditional UPDATE, and messages are idempotent on their
    keys. Joins the caller's transaction. Writes: PreparationPlan, OutboundMessage,
    PreparationTask (closing stale ride tasks), AuditEvent.
    """
    now = now or timezone.now()
    with transaction.atomic():
        plan = PreparationPlan.objects.filter(visit=visit).first()
        if plan is None:
            try:
                with transaction.atomic():
                    plan = PreparationPlan.objects.create(
                        visit=visit, clinic_id=visit.clinic_id, patient_id=visit.patient_id,
                        protocol_version=visit.clinic.current_protocol_version(), created_at=now)
            except IntegrityError:
                plan = PreparationPlan.objects.get(visit=visit)  # another path built it first
            else:
                record_event(None, "PREPARATION_PLAN_BUILT", patient=visit.patient, obj=plan, at=now)
        if plan.synced_starts_at != visit.starts_at or plan.synced_status != visit.status:
            _sync(plan, visit, now)
    return plan


def _sync(plan: PreparationPlan, visit: Visit, now: datetime) -> None:
    """Bring the plan's reminders in line with the visit (claimed by a conditional UPDATE)."""
    old_start, old_status = plan.synced_starts_at, plan.synced_status
    timeline = timeline_for(visit, plan) if visit.status in ACTIVE_STATUSES else None
    moved = old_start is not None and old_start != visit.starts_at
    updates: dict[str, object] = {"synced_starts_at": visit.starts_at, "synced_status": visit.status,
                                  "sync_error": ""}
    if timeline is not None:
        updates["ride_cutoff_at"] = timeline.ride_confirm_cutoff.astimezone(UTC)
    if moved:
        # A new date may need a different ride: ask again.
        updates["ride_confirmed_at"] = None
        updates["protocol_version"] = visit.clinic.current_protocol_version()
    claimed = PreparationPlan.objects.filter(pk=plan.pk, synced_starts_at=old_start,
                                             synced_status=old_status).update(**updates)
    if claimed != 1:
        plan.refresh_from_db()
        return  # another worker re-synced it first
    plan.refresh_from_db()
    future = visit.starts_at > now
    if visit.status not in ACTIVE_STATUSES:
        cancelled = cancel_messages(visit=visit, kind_prefix=PREFIX, reason=f"visit {visit.status}", now=now)
        if visit.status == VisitStatus.CANCELLED and future and old_status and old_status in ACTIVE_STATUSES:
            _queue_notice(visit, "cancelled", now)
        record_event(None, "PREPARATION_REMINDERS_CANCELLED", patient=visit.patient, obj=plan, at=now,
                     details={"status": visit.status, "cancelled_messages": cancelled})
        return
    if moved:
        cancel_messages(visit=visit, kind_prefix=PREFIX, reason="visit moved", now=now)
        PreparationTask.objects.filter(plan=plan, done_at__isnull=True).update(
            done_at=now, note="Closed automatically: the visit moved to a new time.")
        if future and not told_in_course_move(visit):  # a course move's one message listed every new time
            _queue_notice(visit, "rescheduled", now)
        record_event(None, "PREPARATION_REMINDERS_RECOMPUTED", patient=visit.patient, obj=plan, at=now,
                     details={"from": old_start.isoformat() if old_start else None,
                              "to": visit.starts_at.isoformat()})
    elif old_start is None and future and visit.created_at >= now - BOOKING_CONFIRMATION_WITHIN:
        _queue_notice(visit, "booking_confirmation", now)
    if future and timeline is not None:
        _queue_timed_reminders(visit, timeline, now)


# --- message wording (plain, no health details: times and links only) ---------------------------


def medication_key(visit: Visit, medication: str, at: datetime) -> str:
    """The dedupe key of one medication reminder: the visit, the medicine and the reminder time."""
    return f"prep:{visit.pk}:medication:{medication[:60]}:{at.astimezone(UTC).isoformat()}"


def _portal_link(visit: Visit) -> str:
    return site_url(reverse("preparation:visit", args=[visit.pk]))


# Example values for the table test of every message in every language (notifications/wording.py).
_SAMPLE_START = datetime(2026, 12, 3, 14, 30, tzinfo=UTC)  # 9:30 AM in New York
_SAMPLE = {"clinic": "Harbor Clinic", "clinic_phone": "555-0100", "visit_start": _SAMPLE_START,
           "link": "https://portal.example/preparation/7/"}


@patient_message("prep.booking_confirmation", sample=_SAMPLE)
def booking_confirmation_text(f: Fmt, v: Values) -> tuple[str, str]:
    subject = _("Your visit is booked: %(day)s at %(time)s") % {"day": f.day(v["visit_start"]),
                                                                 "time": f.clock(v["visit_start"])}
    body = "\n".join([
        _("Your visit at %(clinic)s is booked for %(when)s.") % {"clinic": v["clinic"],
                                                                 "when": f.when(v["visit_start"])},
        _("Your plan shows when to stop eating and drinking, and when to arrive.") + " "
        + _("You will need an adult to take you home."),
        _("See your plan: %(link)s") % {"link": v["link"]},
    ])
    return subject, body


@patient_message("prep.rescheduled", sample=_SAMPLE)
def rescheduled_text(f: Fmt, v: Values) -> tuple[str, str]:
    subject = _("Your visit has moved to %(day)s at %(time)s") % {"day": f.day(v["visit_start"]),
                                                                   "time": f.clock(v["visit_start"])}
    body = "\n".join([
        _("Your visit at %(clinic)s is now at %(when)s.") % {"clinic": v["clinic"], "when": f.when(v["visit_start"])},
        _("Your times for eating, drinking and arriving have changed too.") + " "
        + _("Please check your plan and your ride home: %(link)s") % {"link": v["link"]},
    ])
    return subject, body


@patient_message("prep.cancelled", sample=_SAMPLE)
def cancelled_text(f: Fmt, v: Values) -> tuple[str, str]:
    subject = _("Your visit has been cancelled")
    first = _("Your visit at %(clinic)s at %(when)s has been cancelled.") % {"clinic": v["clinic"],
                                                                           "when": f.when(v["visit_start"])}
    if v.get("clinic_phone"):
        call = _("If you did not expect this, or want a new time, please call us at %(phone)s.") % {
            "phone": v["clinic_phone"]}
    else:
        call = _("If you did not expect this, or want a new time, please call us.")
    return subject, f"{first}\n{call}"


@patient_message("prep.health_update", sample=_SAMPLE)
def health_update_text(f: Fmt, v: Values) -> tuple[str, str]:
    subject = _("Please fill in your health update before your visit")
    body = (_("Your visit is at %(when)s.") % {"when": f.when(v["visit_start"])} + " "
            + _("Before it, please answer a few short questions about your health.") + " "
            + _("It takes about 2 minutes: %(link)s") % {"link": v["link"]})
    return subject, body


@patient_message("prep.day_before", sample={
    **_SAMPLE, "ride_link": "https://portal.example/preparation/7/ride/",
    "last_solid_food": _SAMPLE_START - timedelta(hours=8), "last_clear_liquids": _SAMPLE_START - timedelta(hours=2),
    "no_alcohol_from": _SAMPLE_START - timedelta(hours=24)})
def day_before_text(f: Fmt, v: Values) -> tuple[str, str]:
    subject = _("Your visit is coming up: %(when)s") % {"when": f.when(v["visit_start"])}
    body = "\n".join([
        _("Your visit at %(clinic)s is at %(when)s.") % {"clinic": v["clinic"], "when": f.when(v["visit_start"])},
        _("Please check or confirm who is taking you home: %(link)s") % {"link": v["ride_link"]},
        _("Stop eating solid food by %(when)s.") % {"when": f.when(v["last_solid_food"])},
        _("You may drink clear liquids until %(when)s.") % {"when": f.when(v["last_clear_liquids"])},
        _("No alcohol or recreational drugs from %(when)s.") % {"when": f.when(v["no_alcohol_from"])},
        _("Your full plan: %(link)s") % {"link": v["link"]},
    ])
    return subject, body


@patient_message("prep.morning_of", sample={
    **_SAMPLE, "last_solid_food": _SAMPLE_START - timedelta(hours=8),
    "last_clear_liquids": _SAMPLE_START - timedelta(hours=2), "arrive_by": _SAMPLE_START - timedelta(minutes=15)})
def morning_of_text(f: Fmt, v: Values) -> tuple[str, str]:
    subject = _("Today: your visit at %(time)s") % {"time": f.clock(v["visit_start"])}
    body = "\n".join([
        _("Your visit is at %(when)s.") % {"when": f.when(v["visit_start"])},
        _("Stop eating solid food by %(when)s.") % {"when": f.when(v["last_solid_food"])},
        _("Clear liquids are fine until %(when)s.") % {"when": f.when(v["last_clear_liquids"])},
        _("Please arrive by %(when)s, with the adult taking you home ready.") % {"when": f.when(v["arrive_by"])},
        _("Your plan: %(link)s") % {"link": v["link"]},
    ])
    return subject, body


@patient_message("prep.medication", sample=_SAMPLE)
def medication_text(f: Fmt, v: Values) -> tuple[str, str]:
    # The medicine's name stays in the portal: a text or email says only where to look.
    subject = _("A medicine reminder for your visit")
    body = (_("You and your prescriber agreed on a medicine change for your visit at %(when)s.")
            % {"when": f.when(v["visit_start"])} + " "
            + _("Please check your plan now: %(link)s") % {"link": v["link"]})
    return subject, body


def _queue_notice(visit: Visit, what: str, now: datetime) -> None:
    clinic = visit.clinic
    start_key = visit.starts_at.astimezone(UTC).isoformat()
    key = {"booking_confirmation": f"prep:{visit.pk}:booking_confirmation",
           "rescheduled": f"prep:{visit.pk}:rescheduled:{start_key}",
           "cancelled": f"prep:{visit.pk}:cancelled:{start_key}"}[what]
    queue_patient_message(patient=visit.patient, kind=f"{PREFIX}{what}", due_at=now, visit=visit, dedupe_key=key,
                          now=now, values={"clinic": clinic.name, "clinic_phone": clinic.phone,
                                           "visit_start": visit.starts_at, "link": _portal_link(visit)})


def _queue_timed_reminders(visit: Visit, timeline: PreparationTimeline, now: datetime) -> None:
    clinic = visit.clinic
    link = _portal_link(visit)
    start_key = visit.starts_at.astimezone(UTC).isoformat()
    start_utc = visit.starts_at.astimezone(UTC)
    latest_late = start_utc - LATE_REQUEST_UNTIL
    base = {"clinic": clinic.name, "clinic_phone": clinic.phone, "visit_start": visit.starts_at, "link": link}

    def late_ok(at: datetime) -> datetime | None:
        """A request whose time passed is still worth sending now, until 2 h before the visit."""
        at_utc = at.astimezone(UTC)
        if at_utc >= now.astimezone(UTC):
            return at_utc
        return now if now.astimezone(UTC) < latest_late else None

    health = timeline.steps_of("health_update")[0].at
    due = late_ok(health)
    if due is not None:
        queue_patient_message(
            patient=visit.patient, kind=f"{PREFIX}health_update", due_at=due, visit=visit, now=now,
            values={**base, "link": site_url(reverse("preparation:health_update", args=[visit.pk]))},
            dedupe_key=f"prep:{visit.pk}:health_update:{start_key}", not_after=latest_late)

    ride_at = timeline.steps_of("ride_confirmation")[0].at
    due = late_ok(ride_at)
    if due is not None:
        queue_patient_message(
            patient=visit.patient, kind=f"{PREFIX}day_before", due_at=due, visit=visit, now=now,
            values={**base, "ride_link": site_url(reverse("preparation:ride", args=[visit.pk])),
                    "last_solid_food": timeline.last_solid_food, "last_clear_liquids": timeline.last_clear_liquids,
                    "no_alcohol_from": timeline.no_alcohol_or_drugs_from},
            dedupe_key=f"prep:{visit.pk}:day_before:{start_key}", not_after=latest_late)

    morning = timeline.steps_of("morning_reminder")[0].at
    if morning.astimezone(UTC) >= now.astimezone(UTC):
        queue_patient_message(
            patient=visit.patient, kind=f"{PREFIX}morning_of", due_at=morning, visit=visit, now=now,
            values={**base, "last_solid_food": timeline.last_solid_food,
                    "last_clear_liquids": timeline.last_clear_liquids, "arrive_by": timeline.arrive_by},
            dedupe_key=f"prep:{visit.pk}:morning_of:{start_key}", not_after=timeline.last_solid_food)

    for step in timeline.steps_of("medication"):
        if step.at.astimezone(UTC) < now.astimezone(UTC):
            continue
        queue_patient_message(
            patient=visit.patient, kind=f"{PREFIX}medication", due_at=step.at, visit=visit, now=now, values=base,
            dedupe_key=medication_key(visit, step.subject or "", step.at), not_after=step.at)
