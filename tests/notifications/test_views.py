"""Message preferences (patient) and the failed-messages list (staff), by persona."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.notifications.actions import queue_message
from ketaclinic.notifications.models import MessagePreference, MessageStatus, OutboundMessage
from tests.factories import make_patient


def _failed(patient: Any, key: str) -> OutboundMessage:
    row = queue_message(patient=patient, kind="prep.day_before", due_at=datetime(2027, 3, 10, 15, tzinfo=UTC),
                        subject="Your visit is coming up", body="b", dedupe_key=key)
    OutboundMessage.objects.filter(pk=row.pk).update(status=MessageStatus.FAILED, attempts=6,
                                                     last_error="Connection refused")
    row.refresh_from_db()
    return row


@pytest.mark.django_db
def test_preferences_ladder_and_save(login: Any, anon: Any, patient: Any, nurse: Any) -> None:
    url = reverse("notifications:preferences")
    assert login(nurse).get(url).status_code == 404
    assert anon.get(url).status_code == 302
    client = login(patient.user)
    assert client.get(url).status_code == 200
    response = client.post(url, {"channel": "sms", "quiet_start": "22:00", "quiet_end": "07:00", "language": "en"})
    assert "We do not have a mobile phone number" in response.content.decode()  # error, form kept
    assert 'value="22:00"' in response.content.decode()
    assert client.post(url, {"channel": "email", "quiet_start": "22:00", "quiet_end": "07:00",
                             "language": "en"}).status_code == 302
    pref = MessagePreference.objects.get(patient=patient)
    assert (pref.channel, pref.quiet_start, pref.quiet_end) == ("email", time(22), time(7))


@pytest.mark.django_db
def test_failed_list_ladder(login: Any, anon: Any, patient: Any, front_desk: Any, admin_user: Any,
                            other_clinic_nurse: Any, other_patient: Any) -> None:
    _failed(patient, "a")
    url = reverse("notifications:failed")
    assert "Maya Reyes" in login(front_desk).get(url).content.decode()
    assert "Maya Reyes" not in login(other_clinic_nurse).get(url).content.decode()
    assert login(admin_user).get(url).status_code == 404
    assert login(patient.user).get(url).status_code == 404
    assert login(other_patient.user).get(url).status_code == 404
    assert anon.get(url).status_code == 302


@pytest.mark.django_db
def test_failed_list_costs_the_same_for_1_and_20_rows(clinic: Any, patient: Any, front_desk: Any,
                                                       login: Any, django_assert_max_num_queries: Any) -> None:
    client = login(front_desk)
    url = reverse("notifications:failed")
    _failed(patient, "first")
    client.get(url)  # warm the session
    # The page's own queries are two (count, one page of rows with the patient joined); the rest
    # is sign-in, 2FA, idle-timeout and clinic middleware shared by every staff page.
    with django_assert_max_num_queries(30) as one:
        client.get(url)
    for i in range(19):
        _failed(make_patient(clinic), f"more-{i}")
    with django_assert_max_num_queries(len(one.captured_queries)) as twenty:
        body = client.get(url).content.decode()
    assert len(twenty.captured_queries) == len(one.captured_queries)
    assert body.count('id="message-') == 20


@pytest.mark.django_db
def test_retry_and_dismiss_need_the_clinic_and_a_reason(login: Any, patient: Any, front_desk: Any,
                                                        other_clinic_nurse: Any) -> None:
    row = _failed(patient, "r")
    assert login(other_clinic_nurse).post(reverse("notifications:retry", args=[row.pk])).status_code == 404
    login(front_desk).post(reverse("notifications:retry", args=[row.pk]))
    row.refresh_from_db()
    assert row.status == MessageStatus.PENDING and row.attempts == 0 and row.last_error == "Connection refused"
    other = _failed(patient, "d")
    login(front_desk).post(reverse("notifications:dismiss", args=[other.pk]), {"reason": ""})
    other.refresh_from_db()
    assert other.status == MessageStatus.FAILED
    login(front_desk).post(reverse("notifications:dismiss", args=[other.pk]), {"reason": "Called her"})
    other.refresh_from_db()
    assert other.status == MessageStatus.CANCELLED and "Called her" in other.cancel_reason


@pytest.mark.django_db
def test_quiet_hours_across_the_autumn_clock_change(patient: Any) -> None:
    # Sunday 7 November 2027, 01:30 happens twice in New York; both are inside quiet hours.
    second = datetime(2027, 11, 7, 6, 30, tzinfo=UTC)  # 01:30 EST (after clocks went back)
    row = queue_message(patient=patient, kind="t", due_at=second, subject="s", body="b", dedupe_key="dst",
                        now=second - timedelta(days=1))
    assert row.due_at == datetime(2027, 11, 7, 13, 0, tzinfo=UTC)  # 08:00 EST
