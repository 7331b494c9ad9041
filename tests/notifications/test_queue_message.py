"""queue_message: one row per channel, idempotent on its key, quiet hours respected."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest

from ketaclinic.notifications.actions import cancel_messages, do_update_message_preference, queue_message
from ketaclinic.notifications.models import MessageStatus, OutboundMessage

NOON_NY = datetime(2027, 3, 10, 17, 0, tzinfo=UTC)  # 12:00 in New York


def _queue(patient: Any, key: str = "k1", due: datetime = NOON_NY, **kw: Any) -> OutboundMessage:
    return queue_message(patient=patient, kind="test.hello", due_at=due, subject="Hello", body="Body",
                         dedupe_key=key, now=datetime(2027, 3, 1, tzinfo=UTC), **kw)


@pytest.mark.django_db
def test_it_writes_one_email_row_by_default(patient: Any) -> None:
    row = _queue(patient)
    assert row.channel == "email" and row.status == MessageStatus.PENDING and row.due_at == NOON_NY
    assert OutboundMessage.objects.count() == 1


@pytest.mark.django_db
def test_a_second_call_with_the_same_key_returns_the_same_row(patient: Any) -> None:
    first = _queue(patient)
    second = _queue(patient)
    assert first.pk == second.pk and OutboundMessage.objects.count() == 1


@pytest.mark.django_db
def test_both_channels_make_two_rows_and_stay_idempotent(patient: Any) -> None:
    patient.phone = "+12075550100"
    patient.save()
    do_update_message_preference(patient.user, patient, channel="both", quiet_start=time(22), quiet_end=time(7))
    _queue(patient)
    _queue(patient)
    assert sorted(OutboundMessage.objects.values_list("channel", flat=True)) == ["email", "sms"]


@pytest.mark.django_db
def test_a_message_due_in_quiet_hours_waits_for_the_morning(patient: Any) -> None:
    night = datetime(2027, 3, 10, 7, 0, tzinfo=UTC)  # 02:00 in New York; default quiet 21:00-08:00
    row = _queue(patient, due=night)
    assert row.due_at == datetime(2027, 3, 10, 13, 0, tzinfo=UTC)  # 08:00 EST
    assert row.requested_due_at == night


@pytest.mark.django_db
def test_a_time_critical_message_goes_before_quiet_hours_instead(patient: Any) -> None:
    night = datetime(2027, 3, 10, 7, 0, tzinfo=UTC)  # 02:00; useless after 03:00
    row = _queue(patient, due=night, not_after=datetime(2027, 3, 10, 8, 0, tzinfo=UTC))
    assert row.due_at == datetime(2027, 3, 10, 1, 59, tzinfo=UTC)  # 20:59 the evening before


@pytest.mark.django_db
def test_cancel_messages_cancels_only_pending_rows_of_the_prefix(patient: Any) -> None:
    _queue(patient, key="a")
    queue_message(patient=patient, kind="other.x", due_at=NOON_NY, subject="s", body="b", dedupe_key="b")
    assert cancel_messages(patient=patient, kind_prefix="test.") == 1
    assert OutboundMessage.objects.get(dedupe_key="a").status == MessageStatus.CANCELLED
    assert OutboundMessage.objects.get(dedupe_key="b").status == MessageStatus.PENDING


@pytest.mark.django_db
def test_a_reminder_that_fits_nowhere_is_kept_as_cancelled_with_the_reason(patient: Any) -> None:
    # Booked at 23:00 for 07:00: the 00:00 fasting reminder cannot wait for 08:00 and the
    # evening before is already past, so it is written as cancelled, not sent at night.
    booked = datetime(2027, 3, 11, 4, 0, tzinfo=UTC)  # 23:00 EST on 10 March
    row = queue_message(patient=patient, kind="prep.morning_of", due_at=datetime(2027, 3, 11, 5, 0, tzinfo=UTC),
                        subject="s", body="b", dedupe_key="late", now=booked,
                        not_after=datetime(2027, 3, 11, 6, 0, tzinfo=UTC))
    assert row.status == MessageStatus.CANCELLED and row.cancel_reason == "falls in quiet hours until it is too late"


@pytest.mark.django_db
def test_a_reminder_landing_exactly_at_its_cutoff_goes_the_evening_before(patient: Any) -> None:
    # Visit at 14:00: food cut-off 08:00, reminder 07:00 in quiet hours; 08:00 would be too late.
    row = queue_message(patient=patient, kind="prep.morning_of", due_at=datetime(2027, 3, 10, 12, 0, tzinfo=UTC),
                        subject="s", body="b", dedupe_key="edge", now=datetime(2027, 3, 1, tzinfo=UTC),
                        not_after=datetime(2027, 3, 10, 13, 0, tzinfo=UTC))
    assert row.due_at == datetime(2027, 3, 10, 1, 59, tzinfo=UTC)  # 20:59 EST on 9 March
