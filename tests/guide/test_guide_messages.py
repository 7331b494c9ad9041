"""Guide pages offered by message at their stage moments, once each, in the patient's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketaclinic.guide.actions import do_record_guide_read
from ketaclinic.guide.delivery import SWEEP_EVERY, sweep_guide_messages
from ketaclinic.infusions.actions import do_mark_arrived
from ketaclinic.notifications.models import MessageStatus, OutboundMessage
from ketaclinic.patients.actions import do_set_preferred_language
from ketaclinic.schedule.actions import do_set_visit_status
from ketaclinic.worker import DUE_WORK
from tests.preparation.helpers import book_visit
from tests.screening.conftest import approve, submitted

pytestmark = pytest.mark.django_db

APPROVED_AT = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
VISIT_START = datetime(2027, 3, 16, 14, 0, tzinfo=UTC)  # Tuesday 16 March, 10:00 in New York (EDT)


def run_sweeps() -> None:
    """What the worker does: sweep every clinic that is due."""
    for _ in range(10):
        if not sweep_guide_messages("test-worker"):
            return


def guide_messages(patient: Any) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(patient=patient, kind__startswith="guide.").order_by("id"))


def test_the_sweep_is_listed_as_due_work() -> None:
    assert "ketaclinic.guide.delivery.sweep_guide_messages" in DUE_WORK


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_new_patient_is_offered_each_page_at_its_moment(patient: Any, provider: Any, front_desk: Any,
                                                          language: str) -> None:
    do_set_preferred_language(patient.user, patient, language)
    with time_machine.travel(APPROVED_AT, tick=False) as clock:
        submitted(patient)
        approve(provider, patient)
        run_sweeps()
        [course] = guide_messages(patient)
        assert course.kind == "guide.course" and course.language == language
        assert "/guide/course/" in course.body
        expected = {"en": "How your treatment works", "es": "Cómo funciona su tratamiento"}[language]
        assert course.subject == expected

        # The sweep runs again and again: the page is offered once.
        for _ in range(3):
            clock.shift(SWEEP_EVERY + timedelta(seconds=1))
            run_sweeps()
        assert len(guide_messages(patient)) == 1

        # The first visit is booked two weeks ahead → "before your visit".
        visit = book_visit(patient, VISIT_START, provider=provider, booker=front_desk, now=timezone.now())
        assert visit.number == 1
        clock.shift(SWEEP_EVERY)
        run_sweeps()
        before = guide_messages(patient)[-1]
        assert before.kind == "guide.before" and "/guide/before/" in before.body and before.visit_id == visit.pk
        when = {"en": "10:00 AM on Tuesday, March 16", "es": "el martes 16 de marzo a las 10:00 a. m."}[language]
        assert when in before.body

        # The day before the first visit → a reminder to read it.
        clock.move_to(VISIT_START - timedelta(hours=23))
        run_sweeps()
        day_before = guide_messages(patient)[-1]
        assert day_before.kind == "guide.before_day" and "/guide/before/" in day_before.body

        # Checked in → "during the infusion".
        clock.move_to(VISIT_START - timedelta(minutes=10))
        do_mark_arrived(front_desk, visit)
        run_sweeps()
        during = guide_messages(patient)[-1]
        assert during.kind == "guide.during" and "/guide/during/" in during.body

        # Discharged → "after the infusion", with the crisis and emergency numbers.
        clock.move_to(VISIT_START + timedelta(hours=2))
        do_set_visit_status(front_desk, visit, "discharged", historical=True)
        run_sweeps()
        after = guide_messages(patient)[-1]
        assert after.kind == "guide.after" and "988" in after.body and "911" in after.body

        # One week in → "sleep".
        clock.move_to(VISIT_START + timedelta(days=7, hours=1))
        run_sweeps()
        sleep = guide_messages(patient)[-1]
        assert sleep.kind == "guide.sleep" and "/guide/sleep/" in sleep.body

    kinds = [m.kind for m in guide_messages(patient)]
    assert kinds == ["guide.course", "guide.before", "guide.before_day", "guide.during", "guide.after",
                     "guide.sleep"]
    assert {m.language for m in guide_messages(patient)} == {language}
    if language == "es":
        assert all("Read it here" not in m.body and "Léala aquí" in m.body for m in guide_messages(patient))


def test_a_page_already_read_is_not_offered(patient: Any, provider: Any) -> None:
    with time_machine.travel(APPROVED_AT, tick=False):
        submitted(patient)
        do_record_guide_read(patient, "course", "en", 0)
        approve(provider, patient)
        run_sweeps()
    assert guide_messages(patient) == []


def test_moments_long_past_are_not_announced(patient: Any, provider: Any) -> None:
    """A clinic turning this on (or a worker that was down for days) does not flood patients."""
    with time_machine.travel(APPROVED_AT, tick=False) as clock:
        submitted(patient)
        approve(provider, patient)
        clock.shift(timedelta(days=5))
        run_sweeps()
    assert guide_messages(patient) == []


def test_a_late_night_moment_waits_for_the_end_of_quiet_hours(patient: Any, provider: Any) -> None:
    night = datetime(2027, 3, 2, 3, 30, tzinfo=UTC)  # 22:30 in New York
    with time_machine.travel(night, tick=False):
        submitted(patient)
        approve(provider, patient)
        run_sweeps()
    [message] = guide_messages(patient)
    assert message.status == MessageStatus.PENDING
    assert message.due_at == datetime(2027, 3, 2, 13, 0, tzinfo=UTC)  # 08:00 the next morning


def test_a_booking_the_day_before_gets_only_the_day_before_offer(patient: Any, provider: Any,
                                                                  front_desk: Any) -> None:
    with time_machine.travel(VISIT_START - timedelta(hours=20), tick=False):
        book_visit(patient, VISIT_START, provider=provider, booker=front_desk, now=VISIT_START - timedelta(hours=20))
        run_sweeps()
    assert [m.kind for m in guide_messages(patient)] == ["guide.before_day"]


def test_the_offer_key_names_the_visit_time_so_a_moved_visit_is_offered_again(patient: Any, provider: Any,
                                                                               front_desk: Any) -> None:
    from ketaclinic.guide.delivery import Offer

    visit = book_visit(patient, VISIT_START, provider=provider, booker=front_desk)
    key = Offer(patient, "day_before", "before", visit).dedupe_key
    assert key == Offer(patient, "day_before", "before", visit).dedupe_key
    visit.starts_at = VISIT_START + timedelta(days=1)  # in memory only: what a move changes
    assert Offer(patient, "day_before", "before", visit).dedupe_key != key
    assert Offer(patient, "approved", "course", None).dedupe_key == f"guide:{patient.pk}:approved:course:-"
