"""The sweep builds plans and reminder rows for upcoming visits, and re-syncs moved and
cancelled visits by comparing the visit's start and status with what the plan last saw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from ketaclinic.notifications.models import MessageStatus, OutboundMessage
from ketaclinic.preparation.models import PreparationPlan, PreparationTask
from ketaclinic.preparation.plans import ensure_preparation_for_visit
from ketaclinic.preparation.sweep import open_one_ride_task, sync_one_visit
from ketaclinic.schedule.actions import do_set_visit_status
from ketaclinic.schedule.models import Visit
from tests.preparation.conftest import BOOKED_AT, VISIT_START

NOW = BOOKED_AT + timedelta(minutes=5)


def pending(visit: Any) -> dict[str, datetime]:
    rows = OutboundMessage.objects.filter(visit=visit, status=MessageStatus.PENDING)
    return {row.kind: row.due_at for row in rows}


@pytest.mark.django_db
def test_the_sweep_builds_the_plan_and_every_reminder_once(visit: Any) -> None:
    assert sync_one_visit("w1", now=NOW) is True
    assert sync_one_visit("w1", now=NOW) is False  # nothing left to do
    plan = PreparationPlan.objects.get(visit=visit)
    assert plan.synced_starts_at == VISIT_START
    due = pending(visit)
    assert due["prep.booking_confirmation"] == NOW
    # 72 real hours before 10:00 EDT on 16 March is 09:00 EST on 13 March (clocks changed on the 14th)
    assert due["prep.health_update"] == datetime(2027, 3, 13, 14, 0, tzinfo=UTC)
    assert due["prep.day_before"] == datetime(2027, 3, 15, 14, 0, tzinfo=UTC)
    # the morning reminder (03:00, 1 h before the 04:00 food cut-off) falls in quiet hours
    # (21:00-08:00), and 08:00 is too late, so it goes at 20:59 the evening before
    assert due["prep.morning_of"] == datetime(2027, 3, 16, 0, 59, tzinfo=UTC)
    assert plan.ride_cutoff_at == VISIT_START - timedelta(hours=18)
    ensure_preparation_for_visit(visit, now=NOW)  # a second path changes nothing
    assert OutboundMessage.objects.filter(visit=visit).count() == 4


@pytest.mark.django_db
def test_a_moved_visit_gets_new_times_and_a_notice(visit: Any) -> None:
    sync_one_visit("w1", now=NOW)
    new_start = VISIT_START + timedelta(days=2)
    Visit.objects.filter(pk=visit.pk).update(starts_at=new_start, ends_at=new_start + timedelta(minutes=105))
    assert sync_one_visit("w1", now=NOW + timedelta(hours=1)) is True
    old = OutboundMessage.objects.filter(visit=visit, kind="prep.day_before", status=MessageStatus.CANCELLED).get()
    assert old.cancel_reason == "visit moved"
    due = pending(visit)
    assert due["prep.day_before"] == new_start - timedelta(hours=24)
    assert "prep.rescheduled" in due
    assert "Thursday, March 18" in OutboundMessage.objects.get(kind="prep.rescheduled").subject


@pytest.mark.django_db
def test_a_cancelled_visit_cancels_its_reminders_and_tells_the_patient(visit: Any, front_desk: Any) -> None:
    sync_one_visit("w1", now=NOW)
    do_set_visit_status(front_desk, visit, "cancelled", reason="patient asked")
    assert sync_one_visit("w1", now=NOW + timedelta(hours=1)) is True
    assert set(pending(visit)) == {"prep.cancelled"}
    # the booking confirmation (not sent yet) and the three timed reminders
    assert OutboundMessage.objects.filter(visit=visit, status=MessageStatus.CANCELLED).count() == 4
    assert sync_one_visit("w1", now=NOW + timedelta(hours=2)) is False


@pytest.mark.django_db
def test_an_unconfirmed_ride_opens_one_front_desk_task_at_the_cutoff(visit: Any) -> None:
    sync_one_visit("w1", now=NOW)
    cutoff = VISIT_START - timedelta(hours=18)
    assert open_one_ride_task("w1", now=cutoff - timedelta(minutes=1)) is False
    assert open_one_ride_task("w1", now=cutoff) is True
    assert open_one_ride_task("w1", now=cutoff + timedelta(minutes=1)) is False  # only once
    task = PreparationTask.objects.get()
    assert task.kind == "ride_unconfirmed" and task.done_at is None


@pytest.mark.django_db
def test_a_visit_far_away_waits_for_the_sweep_window(patient: Any, provider: Any, front_desk: Any) -> None:
    from tests.preparation.helpers import book_visit

    far = book_visit(patient, NOW + timedelta(days=30), provider=provider, booker=front_desk, now=NOW)
    assert sync_one_visit("w1", now=NOW) is False
    assert not PreparationPlan.objects.filter(visit=far).exists()
    with time_machine.travel(NOW + timedelta(days=16), tick=False):
        assert sync_one_visit("w1") is True
    assert PreparationPlan.objects.filter(visit=far).exists()
    # built long after booking: no "your visit is booked" message then
    assert not OutboundMessage.objects.filter(visit=far, kind="prep.booking_confirmation").exists()


@pytest.mark.django_db
def test_a_visit_that_cannot_be_set_up_does_not_block_the_others(visit: Any, patient: Any, other_patient: Any,
                                                                 provider: Any, front_desk: Any,
                                                                 monkeypatch: Any) -> None:
    from ketaclinic.preparation import plans
    from ketaclinic.preparation.readiness import statuses_for
    from tests.preparation.helpers import book_visit

    second = book_visit(other_patient, VISIT_START + timedelta(hours=3), provider=provider, booker=front_desk,
                        now=BOOKED_AT)
    real = plans.timeline_for

    def broken(v: Any, plan: Any = None) -> Any:
        if v.pk == visit.pk:
            raise ValueError("bad visit length")
        return real(v, plan)

    monkeypatch.setattr(plans, "timeline_for", broken)
    assert sync_one_visit("w", now=NOW) is True   # the broken one: recorded, not retried forever
    assert sync_one_visit("w", now=NOW) is True   # the next visit still gets its reminders
    assert sync_one_visit("w", now=NOW) is False
    assert PreparationPlan.objects.get(visit=visit).sync_error == "ValueError: bad visit length"
    assert OutboundMessage.objects.filter(visit=second).count() == 4
    annotated = Visit.objects.filter(pk=visit.pk).select_related("preparation").get()
    annotated.open_review_flag, annotated.health_update_at, annotated.attested_today = False, None, False
    assert "plan_error" in statuses_for(annotated, is_today=False)
