"""Reminder times for visits across both clock changes and near midnight (real elapsed hours,
quiet hours 21:00-08:00 in the clinic zone)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ketaclinic.notifications.models import MessageStatus, OutboundMessage
from ketaclinic.preparation.sweep import sync_one_visit
from tests.preparation.helpers import book_visit

NY = "America/New_York"
CASES = [
    # (visit start UTC, expected due times UTC by kind)
    pytest.param(  # Sunday 14 March 2027 10:00 EDT: the spring-forward morning
        datetime(2027, 3, 14, 14, 0, tzinfo=UTC),
        {"prep.health_update": datetime(2027, 3, 11, 14, 0, tzinfo=UTC),   # 09:00 EST, 72 real hours
         "prep.day_before": datetime(2027, 3, 13, 14, 0, tzinfo=UTC),      # 09:00 EST
         "prep.morning_of": datetime(2027, 3, 14, 1, 59, tzinfo=UTC)},     # 20:59 EST the evening before
        id="spring-forward"),
    pytest.param(  # Sunday 7 November 2027 09:00 EST: the fall-back morning
        datetime(2027, 11, 7, 14, 0, tzinfo=UTC),
        {"prep.health_update": datetime(2027, 11, 4, 14, 0, tzinfo=UTC),   # 10:00 EDT
         "prep.day_before": datetime(2027, 11, 6, 14, 0, tzinfo=UTC),      # 10:00 EDT
         "prep.morning_of": datetime(2027, 11, 7, 0, 59, tzinfo=UTC)},     # 20:59 EDT the evening before
        id="fall-back"),
    pytest.param(  # Wednesday 10 March 2027 00:30 EST: just after midnight
        datetime(2027, 3, 10, 5, 30, tzinfo=UTC),
        {"prep.health_update": datetime(2027, 3, 7, 13, 0, tzinfo=UTC),    # 00:30 in quiet hours → 08:00
         "prep.day_before": datetime(2027, 3, 9, 13, 0, tzinfo=UTC),       # 00:30 in quiet hours → 08:00
         # food cut-off 18:30 the evening before; reminder at 17:30 EST, outside quiet hours
         "prep.morning_of": datetime(2027, 3, 9, 22, 30, tzinfo=UTC)},
        id="just-after-midnight"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("start", "expected"), CASES)
def test_reminder_times(start: datetime, expected: dict[str, datetime], patient: Any, provider: Any,
                        front_desk: Any) -> None:
    assert patient.clinic.timezone == NY
    visit = book_visit(patient, start, provider=provider, booker=front_desk, now=start - timedelta(days=10))
    sync_one_visit("w", now=start - timedelta(days=10))
    due = {m.kind: m.due_at for m in OutboundMessage.objects.filter(visit=visit, status=MessageStatus.PENDING)}
    for kind, when in expected.items():
        assert due[kind] == when, kind
