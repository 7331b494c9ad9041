"""The worker's send handler against a real SMTP server and a fake SMS provider over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from ketaclinic.audit.models import AuditEvent
from ketaclinic.notifications.actions import do_update_message_preference, queue_message
from ketaclinic.notifications.delivery import BACKOFF, CLAIM_TIMEOUT, MAX_ATTEMPTS, send_one_due_message
from ketaclinic.notifications.models import MessageStatus, OutboundMessage
from tests.conftest import free_port

DUE = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)  # 10:00 in New York: outside quiet hours


def _queue(patient: Any, key: str = "k1") -> OutboundMessage:
    return queue_message(patient=patient, kind="test.reminder", due_at=DUE, subject="Your visit tomorrow",
                         body="Please check your plan.", dedupe_key=key, now=DUE - timedelta(days=1))


@pytest.mark.django_db
def test_a_due_email_is_sent_once_over_smtp(patient: Any, smtp_server: Any) -> None:
    row = _queue(patient)
    assert send_one_due_message("w1", now=DUE - timedelta(seconds=1)) is False  # not due yet
    assert send_one_due_message("w1", now=DUE) is True
    assert send_one_due_message("w1", now=DUE) is False
    [mail] = smtp_server.to(patient.email)
    assert mail["Subject"] == "Your visit tomorrow"
    assert mail["Message-ID"] == row.message_id
    text = mail.get_payload()
    assert "Please check your plan." in text and "988" in text and "555-0100" in text
    row.refresh_from_db()
    assert row.status == MessageStatus.SENT and row.sent_at is not None and row.attempts == 1
    assert row.to_address == patient.email


@pytest.mark.django_db
def test_a_failing_mail_server_is_retried_with_backoff_then_shown_to_staff(patient: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    row = _queue(patient)
    now = DUE
    for attempt in range(1, MAX_ATTEMPTS):
        assert send_one_due_message("w1", now=now) is True
        row.refresh_from_db()
        assert row.status == MessageStatus.PENDING and row.attempts == attempt and row.claimed_at is None
        assert row.next_attempt_at == now + BACKOFF[attempt - 1]
        assert "ConnectionRefused" in row.last_error
        assert send_one_due_message("w1", now=now + BACKOFF[attempt - 1] - timedelta(seconds=1)) is False
        now = row.next_attempt_at
    assert send_one_due_message("w1", now=now) is True
    row.refresh_from_db()
    assert row.status == MessageStatus.FAILED and row.attempts == MAX_ATTEMPTS
    assert AuditEvent.objects.filter(action="MESSAGE_FAILED", object_id=str(row.pk)).count() == 1
    assert send_one_due_message("w1", now=now + timedelta(days=1)) is False  # never silently re-sent


@pytest.mark.django_db
def test_a_patient_without_an_address_fails_at_once_and_visibly(patient: Any, smtp_server: Any) -> None:
    patient.email = ""
    patient.save()
    row = _queue(patient)
    assert row.channel == "email"  # kept, so the failure shows
    send_one_due_message("w1", now=DUE)
    row.refresh_from_db()
    assert row.status == MessageStatus.FAILED and "No email address" in row.last_error
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_a_stale_claim_is_offered_again_after_the_timeout(patient: Any, smtp_server: Any) -> None:
    row = _queue(patient)
    # A worker claimed the row and died before sending anything.
    OutboundMessage.objects.filter(pk=row.pk).update(claimed_at=DUE, claimed_by="dead/1", attempts=1)
    assert send_one_due_message("w2", now=DUE + CLAIM_TIMEOUT - timedelta(seconds=1)) is False
    assert send_one_due_message("w2", now=DUE + CLAIM_TIMEOUT + timedelta(seconds=1)) is True
    row.refresh_from_db()
    assert row.status == MessageStatus.SENT and row.attempts == 2 and row.claimed_by.startswith("w2/")
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_sms_goes_to_the_http_provider_with_token_and_idempotency_key(patient: Any, sms_provider: Any) -> None:
    patient.phone = "+12075550123"
    patient.save()
    do_update_message_preference(patient.user, patient, channel="sms", quiet_start=DUE.time(),
                                 quiet_end=DUE.time())
    row = _queue(patient)
    assert row.channel == "sms"
    assert send_one_due_message("w1", now=DUE) is True
    [request] = sms_provider.requests
    assert request["headers"]["Authorization"] == "Bearer test-token"
    assert request["headers"]["Idempotency-Key"].startswith(f"kc-{row.pk}-")
    assert request["json"] == {"to": "+12075550123", "text": "Harbor Ketamine Clinic: Please check your plan."}
    row.refresh_from_db()
    assert row.status == MessageStatus.SENT and row.provider_id == "msg-1"


@pytest.mark.django_db
def test_sms_provider_errors_retry_but_a_refusal_fails_at_once(patient: Any, sms_provider: Any) -> None:
    patient.phone = "+12075550123"
    patient.save()
    do_update_message_preference(patient.user, patient, channel="sms", quiet_start=DUE.time(),
                                 quiet_end=DUE.time())
    row = _queue(patient)
    sms_provider.fail_with = [503, 400]
    send_one_due_message("w1", now=DUE)
    row.refresh_from_db()
    assert row.status == MessageStatus.PENDING and "503" in row.last_error
    send_one_due_message("w1", now=row.next_attempt_at)
    row.refresh_from_db()
    assert row.status == MessageStatus.FAILED and "400" in row.last_error


@pytest.mark.django_db
def test_both_channels_each_send_once(patient: Any, smtp_server: Any, sms_provider: Any) -> None:
    patient.phone = "+12075550123"
    patient.save()
    do_update_message_preference(patient.user, patient, channel="both", quiet_start=DUE.time(),
                                 quiet_end=DUE.time())
    _queue(patient)
    with time_machine.travel(DUE, tick=False):
        while send_one_due_message("w1"):
            pass
    assert len(smtp_server.messages) == 1 and len(sms_provider.requests) == 1
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
