"""Writes for outbound messages and message preferences.

Other apps call `queue_message` inside their own action's transaction: the rows exist if and
only if that action commits, and the worker (delivery.py) sends them later. Nothing here
talks to a mail server or an SMS provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.notifications.models import (
    DEFAULT_QUIET_END,
    DEFAULT_QUIET_START,
    Channel,
    ChannelChoice,
    MessagePreference,
    MessageStatus,
    OutboundMessage,
)
from ketaclinic.notifications.wording import message_language, render_patient_message
from ketaclinic.patients.models import Patient


class NotYourRecord(PermissionError):
    pass


# --- preferences ----------------------------------------------------------------------------


def preference_for(patient: Patient) -> MessagePreference:
    """The patient's saved preference, or an unsaved one with the defaults (email, 21:00–08:00)."""
    saved = MessagePreference.objects.filter(patient=patient).first()
    if saved is not None:
        saved.language = message_language(patient)  # the patient's preferred language is the one truth
        return saved
    return MessagePreference(patient=patient, channel=ChannelChoice.EMAIL, quiet_start=DEFAULT_QUIET_START,
                             quiet_end=DEFAULT_QUIET_END, language=message_language(patient))


def channels_for(patient: Patient, preference: MessagePreference) -> list[str]:
    """The channels to use: the preferred ones that have an address on file.

    When none of the preferred channels has an address, the other channel is used if it has
    one; when neither has, the preferred channel is kept so the send fails visibly
    ("no address on file") in the staff failed-messages list instead of vanishing.
    """
    wanted: list[str] = ([Channel.EMAIL, Channel.SMS] if preference.channel == ChannelChoice.BOTH
                         else [preference.channel])
    address: dict[str, bool] = {Channel.EMAIL: bool(patient.email), Channel.SMS: bool(patient.phone)}
    usable = [c for c in wanted if address[c]]
    if usable:
        return [str(c) for c in usable]
    fallback = [c for c in (Channel.EMAIL, Channel.SMS) if address[c]]
    return [str(fallback[0] if fallback else wanted[0])]


@transaction.atomic
def do_update_message_preference(acting_user: User, patient: Patient, *, channel: str, quiet_start: time,
                                 quiet_end: time, language: str = "en",
                                 now: datetime | None = None) -> MessagePreference:
    """Save how the patient wants to hear from us. Who: the patient, or front desk for them.

    Pending messages keep their channel and language; new ones use the new preference. The
    language is the patient's preferred language (portal, messages, printouts), changed here too.
    Writes: MessagePreference, Patient (language), AuditEvent.
    """
    if patient.user_id != acting_user.pk:
        require_perm(acting_user, patient.clinic, Perm.VIEW_PATIENTS)
    if channel not in ChannelChoice.values:
        raise ValueError(_("Choose email, text message, or both."))
    if channel in (ChannelChoice.SMS, ChannelChoice.BOTH) and not patient.phone:
        raise ValueError(_("We do not have a mobile phone number for you. Please call the clinic to add one."))
    if channel in (ChannelChoice.EMAIL, ChannelChoice.BOTH) and not patient.email:
        raise ValueError(_("We do not have an email address for you. Please call the clinic to add one."))
    if language not in ("en", "es"):
        raise ValueError(_("Choose English or Spanish."))
    now = now or timezone.now()
    if language != patient.preferred_language:
        from ketaclinic.patients.actions import do_set_preferred_language

        do_set_preferred_language(acting_user, patient, language)
    pref, _created = MessagePreference.objects.update_or_create(
        patient=patient, defaults={"channel": channel, "quiet_start": quiet_start, "quiet_end": quiet_end,
                                   "language": language, "updated_at": now, "updated_by": acting_user})
    record_event(acting_user, "MESSAGE_PREFERENCE_CHANGED", patient=patient, obj=pref, at=now,
                 details={"channel": channel, "quiet": f"{quiet_start:%H:%M}-{quiet_end:%H:%M}"})
    return pref


# --- quiet hours ----------------------------------------------------------------------------


def _wall(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The instant the clinic's clocks show `clock` on `day` (after the gap if clocks skip it)."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC).astimezone(zone)


def _in_quiet(clock: time, start: time, end: time) -> bool:
    if start == end:
        return False  # no quiet hours
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end  # the window crosses midnight


def outside_quiet_hours(due_at: datetime, zone: ZoneInfo, start: time, end: time, *,
                        not_after: datetime | None = None, now: datetime | None = None) -> datetime | None:
    """When to send a message meant for `due_at`, respecting the patient's quiet hours.

    Outside quiet hours: `due_at`. Inside: the end of the quiet window, unless that is not
    before `not_after` (the message would arrive too late to help, e.g. a fasting reminder at
    or after the cut-off); then the minute before the quiet window began, or None when that
    is already past at `now` (nothing fits). All comparisons in UTC.
    """
    local = due_at.astimezone(zone)
    if not _in_quiet(local.time(), start, end):
        return due_at
    after = _wall(local.date(), end, zone)
    if after.astimezone(UTC) <= due_at.astimezone(UTC):
        after = _wall(local.date() + timedelta(days=1), end, zone)
    if not_after is None or after.astimezone(UTC) < not_after.astimezone(UTC):
        return after.astimezone(UTC)
    began = _wall(local.date(), start, zone)
    if began.astimezone(UTC) > due_at.astimezone(UTC):
        began = _wall(local.date() - timedelta(days=1), start, zone)
    before = began.astimezone(UTC) - timedelta(minutes=1)
    if now is not None and before < now.astimezone(UTC):
        return None
    return before


# --- queueing and cancelling ------------------------------------------------------------------


def queue_message(*, patient: Patient, kind: str, due_at: datetime, subject: str, body: str, visit: Any = None,
                  dedupe_key: str, now: datetime | None = None,
                  not_after: datetime | None = None, language: str | None = None) -> OutboundMessage:
    """Queue a message to a patient: one row per channel of their preference.

    Idempotent on `dedupe_key`: when rows with that key exist (any status), the first is
    returned and nothing is written. `due_at` is moved out of the patient's quiet hours (clinic
    zone); `not_after` says when the message stops being useful (see outside_quiet_hours).
    A message that cannot be placed, or whose time already passed `not_after`, is written as
    cancelled with the reason, so staff can see it was not sent. Bodies are plain text and
    must hold no health details beyond what the patient needs (callers write them).
    Patient-facing callers use `queue_patient_message` instead, which writes the text in the
    patient's language; `language` records which language subject and body are in (default:
    the patient's preferred language, which the email footer then uses too).
    Call inside the caller's transaction. Writes: OutboundMessage, AuditEvent.
    Returns the first row (email before SMS).
    """
    if due_at.tzinfo is None:
        raise ValueError("due_at must be an aware datetime")
    if not dedupe_key or len(dedupe_key) > 200:
        raise ValueError("dedupe_key must be 1 to 200 characters")
    now = now or timezone.now()
    language = language or message_language(patient)
    with transaction.atomic():
        existing = OutboundMessage.objects.filter(dedupe_key=dedupe_key).order_by("id").first()
        if existing is not None:
            return existing
        preference = preference_for(patient)
        channels = channels_for(patient, preference)
        send_at = outside_quiet_hours(due_at, patient.clinic.zone, preference.quiet_start, preference.quiet_end,
                                      not_after=not_after, now=now)
        status, reason = MessageStatus.PENDING, ""
        if send_at is None:
            status, reason, send_at = MessageStatus.CANCELLED, "falls in quiet hours until it is too late", due_at
        elif not_after is not None and now.astimezone(UTC) > not_after.astimezone(UTC):
            status, reason = MessageStatus.CANCELLED, "queued after the time it was useful"
        rows: list[OutboundMessage] = []
        for channel in channels:
            row = OutboundMessage(
                clinic=patient.clinic, patient=patient, visit=visit, kind=kind, channel=channel,
                dedupe_key=dedupe_key, subject=subject[:200], body=body, language=language,
                requested_due_at=due_at,
                due_at=send_at, next_attempt_at=send_at, status=status, created_at=now,
                cancelled_at=now if status == MessageStatus.CANCELLED else None, cancel_reason=reason,
            )
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError:
                # A concurrent caller queued the same key first: theirs is the message.
                return OutboundMessage.objects.filter(dedupe_key=dedupe_key).order_by("id").first()  # type: ignore[return-value]
            rows.append(row)
        record_event(None, "MESSAGE_QUEUED", patient=patient, obj=rows[0], at=now,
                     details={"kind": kind, "channels": channels, "due_at": send_at.isoformat(),
                              "status": status, "reason": reason, "language": language})
        return rows[0]


def queue_patient_message(*, patient: Patient, kind: str, values: Mapping[str, Any], due_at: datetime,
                          dedupe_key: str, visit: Any = None, now: datetime | None = None,
                          not_after: datetime | None = None) -> OutboundMessage:
    """Queue a registered message (see notifications/wording.py) in the patient's language.

    The wording of `kind` is rendered under the patient's preferred language, with dates and
    times in the clinic's zone; `values` are plain data (names, links, aware datetimes), never
    words. Otherwise exactly `queue_message`: idempotent on `dedupe_key`, quiet hours,
    `not_after`, call inside the caller's transaction.
    """
    language = message_language(patient)
    rendered = render_patient_message(kind, language=language, zone=patient.clinic.zone, values=values)
    return queue_message(patient=patient, kind=kind, due_at=due_at, subject=rendered.subject, body=rendered.body,
                         visit=visit, dedupe_key=dedupe_key, now=now, not_after=not_after, language=language)


def cancel_messages(*, visit: Any = None, kind_prefix: str | None = None, patient: Patient | None = None,
                    reason: str = "no longer needed", now: datetime | None = None) -> int:
    """Cancel pending messages of a visit and/or a patient, optionally only kinds starting
    with `kind_prefix`. Sent, failed and already-cancelled rows are left as they are.

    At least one of `visit` and `patient` is required. A row a worker is sending right now is
    still cancelled here; if its send succeeds the worker records it as sent (the truth).
    Returns how many rows were cancelled. Call inside the caller's transaction.
    """
    if visit is None and patient is None:
        raise ValueError("cancel_messages needs a visit or a patient")
    now = now or timezone.now()
    qs = OutboundMessage.objects.filter(status=MessageStatus.PENDING)
    if visit is not None:
        qs = qs.filter(visit=visit)
    if patient is not None:
        qs = qs.filter(patient=patient)
    if kind_prefix:
        qs = qs.filter(kind__startswith=kind_prefix)
    return qs.update(status=MessageStatus.CANCELLED, cancelled_at=now, cancel_reason=reason[:200])


# --- staff actions on failed messages ---------------------------------------------------------


@transaction.atomic
def do_retry_message(acting_user: User, message: OutboundMessage, *, now: datetime | None = None) -> OutboundMessage:
    """Put a failed message back in the queue, now. Who: staff who may see the patient.

    Keeps the last error for the record. Writes: OutboundMessage, AuditEvent.
    """
    require_perm(acting_user, message.clinic_id, Perm.VIEW_PATIENTS)
    now = now or timezone.now()
    updated = OutboundMessage.objects.filter(pk=message.pk, status=MessageStatus.FAILED).update(
        status=MessageStatus.PENDING, next_attempt_at=now, claimed_at=None, claimed_by="", attempts=0)
    if updated != 1:
        raise ValueError("This message is not failed any more; nothing to retry.")
    record_event(acting_user, "MESSAGE_RETRIED", patient=message.patient, obj=message, at=now,
                 details={"kind": message.kind, "channel": message.channel, "previous_attempts": message.attempts,
                          "last_error": message.last_error[:200]})
    message.refresh_from_db()
    return message


@transaction.atomic
def do_dismiss_message(acting_user: User, message: OutboundMessage, *, reason: str,
                       now: datetime | None = None) -> OutboundMessage:
    """Close a failed message after staff reached the patient another way. Who: staff who may
    see the patient. A reason is required. Writes: OutboundMessage, AuditEvent."""
    require_perm(acting_user, message.clinic_id, Perm.VIEW_PATIENTS)
    if not reason.strip():
        raise ValueError("Say how the patient was reached (for example: called, told in person).")
    now = now or timezone.now()
    updated = OutboundMessage.objects.filter(pk=message.pk, status=MessageStatus.FAILED).update(
        status=MessageStatus.CANCELLED, cancelled_at=now, cancel_reason=f"handled by staff: {reason.strip()}"[:200])
    if updated != 1:
        raise ValueError("This message is not failed any more.")
    record_event(acting_user, "MESSAGE_DISMISSED", patient=message.patient, obj=message, at=now,
                 details={"kind": message.kind, "reason": reason.strip()})
    message.refresh_from_db()
    return message
