"""The worker side: claim one due message with a conditional UPDATE and send it.

Listed in ketaclinic.worker.DUE_WORK as `send_one_due_message`. See docs/notifications.md.

Exactly once, step by step:
1. Find the oldest pending row whose `next_attempt_at` has come and that is unclaimed, or
   whose claim is stale (claimed more than CLAIM_TIMEOUT ago and still not sent: the worker
   that claimed it died or hung mid-send).
2. Claim it: UPDATE … SET claimed_at, claimed_by, attempts = attempts + 1 WHERE the row is
   still pending, still unclaimed-or-stale and `attempts` is unchanged. Only one worker's
   UPDATE matches; the others see 0 rows and look again.
3. Send outside any transaction (SMTP or SMS provider), with a stable Message-ID /
   Idempotency-Key derived from the row, so a re-send after a stale claim is recognisable.
4. Record the result, only if our claim still holds (claimed_by = our token): sent, or a
   failure with backoff, or failed for good after MAX_ATTEMPTS (then staff see it).

The one window that cannot be closed by any database: the provider accepted the message and
the worker died before step 4 committed. The row is then offered again after CLAIM_TIMEOUT;
the same Message-ID / Idempotency-Key lets mail systems and providers drop the copy.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from datetime import datetime, timedelta

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ketaclinic.audit.log import record_event
from ketaclinic.notifications.models import Channel, MessageStatus, OutboundMessage
from ketaclinic.notifications.sms import SmsError, get_sms_backend

logger = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=5)
MAX_ATTEMPTS = 6
# Wait before attempt 2, 3, …: 1 min, 5 min, 15 min, 1 h, 4 h (then failed for good).
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1),
           timedelta(hours=4))
SMS_MAX_CHARS = 640


class PermanentFailure(Exception):
    """A retry cannot help (no address on file, address refused)."""


def _claimable(now: datetime) -> Q:
    return Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT)


def send_one_due_message(worker_id: str, *, now: datetime | None = None) -> bool:
    """Claim and send one due message. False means nothing is due (the worker may sleep)."""
    now = now or timezone.now()
    candidate = (OutboundMessage.objects.filter(status=MessageStatus.PENDING, next_attempt_at__lte=now)
                 .filter(_claimable(now)).order_by("next_attempt_at", "id")
                 .values("pk", "attempts", "claimed_at").first())
    if candidate is None:
        return False
    token = f"{worker_id}/{uuid.uuid4().hex[:12]}"
    claimed = OutboundMessage.objects.filter(
        _claimable(now), pk=candidate["pk"], status=MessageStatus.PENDING, attempts=candidate["attempts"],
    ).update(claimed_at=now, claimed_by=token, attempts=F("attempts") + 1)
    if claimed != 1:
        return True  # another worker got there first; look again at once
    message = OutboundMessage.objects.select_related("patient", "clinic").get(pk=candidate["pk"])
    if candidate["claimed_at"] is not None:
        logger.warning("Message %s: claim by another worker expired unsent; sending again (attempt %s)",
                       message.pk, message.attempts)
    try:
        to_address, provider_id = deliver(message)
    except PermanentFailure as exc:
        _record_failure(message, token, str(exc), permanent=True, now=now)
    except SmsError as exc:
        _record_failure(message, token, str(exc), permanent=exc.permanent, now=now)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        _record_failure(message, token, f"Mail server refused the address: {exc}", permanent=True, now=now)
    except Exception as exc:  # noqa: BLE001 — any other error is retried, never lost
        _record_failure(message, token, f"{type(exc).__name__}: {exc}", permanent=False, now=now)
    else:
        # Record the truth even if the row was cancelled while we were sending: it was sent.
        OutboundMessage.objects.filter(pk=message.pk, claimed_by=token).update(
            status=MessageStatus.SENT, sent_at=timezone.now(), to_address=to_address[:254],
            provider_id=provider_id[:200], last_error="")
    return True


def deliver(message: OutboundMessage) -> tuple[str, str]:
    """Send one message now (outside any transaction). Returns (address, provider id)."""
    patient = message.patient
    if message.channel == Channel.EMAIL:
        if not patient.email:
            raise PermanentFailure("No email address on file for this patient.")
        email = EmailMessage(subject=message.subject, body=_email_body(message), to=[patient.email],
                             headers={"Message-ID": message.message_id})
        email.send(fail_silently=False)
        return patient.email, message.message_id
    if not patient.phone:
        raise PermanentFailure("No mobile phone number on file for this patient.")
    body = f"{message.clinic.name}: {message.body}"
    if len(body) > SMS_MAX_CHARS:
        body = body[: SMS_MAX_CHARS - 1] + "…"
    provider_id = get_sms_backend().send(to=patient.phone, body=body,
                                         idempotency_key=f"kc-{message.pk}-{message.dedupe_key_digest}")
    return patient.phone, provider_id


def _email_body(message: OutboundMessage) -> str:
    """The body with the footer (clinic phone, crisis line, emergency number) in the message's language."""
    clinic = message.clinic
    outcomes = clinic.protocol().outcomes
    with translation.override(message.language or "en"):
        phone = (_("Questions? Call %(clinic)s at %(phone)s.") % {"clinic": clinic.name, "phone": clinic.phone}
                 + "\n") if clinic.phone else ""
        safety = (_("If you are thinking about hurting yourself, call or text %(crisis_line)s any time.")
                  % {"crisis_line": outcomes.crisis_line} + " "
                  + _("In an emergency, call %(emergency_number)s.") % {"emergency_number": outcomes.emergency_number})
    return f"{message.body}\n\n--\n{phone}{safety}\n"


def _record_failure(message: OutboundMessage, token: str, error: str, *, permanent: bool, now: datetime) -> None:
    """Retry later with backoff, or mark failed for good (staff see it in the failed list)."""
    give_up = permanent or message.attempts >= MAX_ATTEMPTS
    logger.warning("Message %s attempt %s failed%s: %s", message.pk, message.attempts,
                   " (giving up)" if give_up else "", error)
    with transaction.atomic():
        if give_up:
            updated = OutboundMessage.objects.filter(pk=message.pk, claimed_by=token).update(
                status=MessageStatus.FAILED, last_error=error[:2000], claimed_at=None)
            if updated:
                record_event(None, "MESSAGE_FAILED", patient=message.patient, obj=message, at=now,
                             details={"kind": message.kind, "channel": message.channel,
                                      "attempts": message.attempts, "error": error[:300]})
        else:
            wait = BACKOFF[min(message.attempts, len(BACKOFF)) - 1]
            OutboundMessage.objects.filter(pk=message.pk, claimed_by=token).update(
                last_error=error[:2000], claimed_at=None, claimed_by="", next_attempt_at=now + wait)
