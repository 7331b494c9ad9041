"""One clear message per change: a visit the clinic moves (re-plan) is told once, by the preparation
app's "your visit has moved" notice; a whole course moved is told once, by the schedule's message
listing every new time, with no per-visit notices on top. Counted as OutboundMessage rows per
patient, with the preparation sweep run before and after the move as the worker does."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, time, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketaclinic.notifications.models import OutboundMessage
from ketaclinic.notifications.wording import Fmt
from ketaclinic.preparation.sweep import SWEEP_AHEAD, sync_one_visit
from ketaclinic.schedule.actions import do_book_course, do_move_visit, do_set_availability, do_set_visit_status
from ketaclinic.schedule.models import Visit
from ketaclinic.schedule.notify import COURSE_MOVED_KIND, told_in_course_move
from ketaclinic.schedule.replan import do_decide_replan_move, do_move_course, do_replan_schedule, propose_course_move
from ketaclinic.schedule.rules import Placement
from tests.factories import make_patient
from tests.schedule.conftest import MONDAY, booster

# The messages that tell a patient a visit moved (the rest are reminders for the new time).
MOVE_NOTICES = ("prep.rescheduled", COURSE_MOVED_KIND, "schedule.visit_moved")


def run_preparation_sweep() -> None:
    """What the worker does after every change: sync each visit's preparation plan and reminders."""
    for _ in range(200):
        if not sync_one_visit("test"):
            return
    raise AssertionError("the preparation sweep did not settle")


def new_messages(patient: Any, after_id: int) -> Counter[str]:
    return Counter(OutboundMessage.objects.filter(patient=patient, pk__gt=after_id).values_list("kind", flat=True))


def last_id() -> int:
    return OutboundMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0



@pytest.mark.django_db
def test_a_replan_move_is_told_once_by_the_moved_notice(front_desk: Any, provider: Any, chairs: Any, clinic: Any,
                                                       at: Any) -> None:
    with time_machine.travel(MONDAY - timedelta(days=3), tick=False):
        # Two boosters fill Monday 08:00 (one nurse); a third patient can only come then.
        english, spanish = make_patient(clinic), make_patient(clinic, preferred_language="es")
        for person, chair in ((english, chairs[0]), (spanish, chairs[1])):
            do_book_course(front_desk, booster(provider, person, MONDAY, MONDAY + timedelta(days=2)),
                           [Placement(chair, at(clinic, MONDAY, "08:00"))])
        waiting = make_patient(clinic)
        booster(provider, waiting, MONDAY, MONDAY)
        assert waiting.user is not None
        do_set_availability(waiting.user, waiting, weekdays=[0], from_time=time(8), until_time=time(10))
        run_preparation_sweep()
        before = last_id()
        proposal = do_replan_schedule(front_desk, clinic, seconds=5)
        move = proposal.waiting["moves"][0]
        assert do_decide_replan_move(front_desk, proposal, move["visit"], accept=True) == (1, [])
        run_preparation_sweep()
    moved = Visit.objects.select_related("patient").get(pk=move["visit"])
    stayed = english if moved.patient == spanish else spanish
    told = new_messages(moved.patient, before)
    assert {kind: told[kind] for kind in MOVE_NOTICES if told[kind]} == {"prep.rescheduled": 1}
    notice = OutboundMessage.objects.get(patient=moved.patient, kind="prep.rescheduled")
    assert Fmt(moved.patient.preferred_language, clinic.zone).when(moved.starts_at) in notice.body
    assert not new_messages(stayed, before) and not new_messages(waiting, before)


@pytest.fixture
def started_course(front_desk: Any, course: Any, chairs: Any, clinic: Any, at: Any) -> Any:
    """Six visits Mon/Wed/Fri over two weeks from MONDAY, visit 1 done; the sweep has run; it is Tuesday."""
    days = [MONDAY + timedelta(days=d) for d in (0, 2, 4, 7, 9, 11)]
    with time_machine.travel(MONDAY - timedelta(days=3), tick=False):
        visits = do_book_course(front_desk, course, [Placement(chairs[0], at(clinic, d, "09:00")) for d in days])
    with time_machine.travel(at(clinic, MONDAY, "12:00"), tick=False):
        do_set_visit_status(front_desk, visits[0], "discharged", historical=True)
    with time_machine.travel(at(clinic, MONDAY + timedelta(days=1), "12:00"), tick=False):
        run_preparation_sweep()
        yield course


@pytest.mark.django_db
def test_a_course_move_is_one_message_listing_every_new_time(started_course: Any, front_desk: Any,
                                                             clinic: Any) -> None:
    patient = started_course.patient
    patient.preferred_language = "es"
    patient.save(update_fields=["preferred_language"])
    before = last_id()
    proposal = propose_course_move(started_course, MONDAY + timedelta(days=7))
    moved = do_move_course(front_desk, started_course, proposal.placements)
    run_preparation_sweep()
    told = new_messages(patient, before)
    assert {kind: told[kind] for kind in MOVE_NOTICES if told[kind]} == {COURSE_MOVED_KIND: 1}
    message = OutboundMessage.objects.get(patient=patient, kind=COURSE_MOVED_KIND)
    assert message.subject == "Su serie de tratamiento tiene nuevas fechas" and message.language == "es"
    assert message.body.count("\n- el ") == 5
    assert all(f"- {Fmt('es', clinic.zone).when(v.starts_at)}\n" in message.body for v in moved)
    # the preparation app still moved each visit's reminders to the new time, without a notice
    in_sweep = [v for v in moved if v.starts_at <= timezone.now() + SWEEP_AHEAD]
    assert len(in_sweep) >= 3
    for visit in moved:
        assert told_in_course_move(visit)
    for visit in in_sweep:
        key = f"prep:{visit.pk}:morning_of:{visit.starts_at.astimezone(UTC).isoformat()}"
        assert OutboundMessage.objects.filter(visit=visit, dedupe_key=key, status="pending").exists()


@pytest.mark.django_db
def test_a_later_move_of_one_of_those_visits_is_told_again(started_course: Any, front_desk: Any, clinic: Any,
                                                           chairs: Any, at: Any) -> None:
    patient = started_course.patient
    proposal = propose_course_move(started_course, MONDAY + timedelta(days=7))
    moved = do_move_course(front_desk, started_course, proposal.placements)
    run_preparation_sweep()
    before = last_id()
    visit = moved[0]  # Monday 11th: to Friday 8th, still 48 hours after the done visit of the 4th
    do_move_visit(front_desk, visit, chairs[1], at(clinic, MONDAY + timedelta(days=4), "09:00"))
    run_preparation_sweep()
    told = new_messages(patient, before)
    assert {kind: told[kind] for kind in MOVE_NOTICES if told[kind]} == {"prep.rescheduled": 1}
    assert not told_in_course_move(Visit.objects.get(pk=visit.pk))



@pytest.mark.django_db
def test_a_visit_too_far_ahead_for_a_plan_is_told_by_the_schedule(front_desk: Any, provider: Any, chairs: Any,
                                                                  clinic: Any, at: Any) -> None:
    """Plans are built SWEEP_AHEAD before a visit: a far visit that moves has no plan to tell the patient."""
    patient = make_patient(clinic, preferred_language="es")
    with time_machine.travel(at(clinic, MONDAY - timedelta(days=20), "12:00"), tick=False):
        [visit] = do_book_course(front_desk, booster(provider, patient, MONDAY, MONDAY + timedelta(days=4)),
                                 [Placement(chairs[0], at(clinic, MONDAY + timedelta(days=2), "09:00"))])
        run_preparation_sweep()
        before = last_id()
        do_move_visit(front_desk, visit, None, at(clinic, MONDAY + timedelta(days=3), "09:00"))
        run_preparation_sweep()
    told = new_messages(patient, before)
    assert {kind: told[kind] for kind in MOVE_NOTICES if told[kind]} == {"schedule.visit_moved": 1}
    body = OutboundMessage.objects.get(patient=patient, kind="schedule.visit_moved").body
    assert Fmt("es", clinic.zone).when(at(clinic, MONDAY + timedelta(days=3), "09:00")) in body


@pytest.mark.django_db
def test_a_planned_visit_moved_weeks_away_is_told_at_once(front_desk: Any, provider: Any, chairs: Any,
                                                          clinic: Any, at: Any) -> None:
    patient = make_patient(clinic)
    with time_machine.travel(at(clinic, MONDAY - timedelta(days=5), "12:00"), tick=False):
        [visit] = do_book_course(front_desk, booster(provider, patient, MONDAY, MONDAY + timedelta(days=21)),
                                 [Placement(chairs[0], at(clinic, MONDAY, "09:00"))])
        run_preparation_sweep()
        before = last_id()
        far = at(clinic, MONDAY + timedelta(days=21), "09:00")
        assert far - timezone.now() > SWEEP_AHEAD
        do_move_visit(front_desk, visit, None, far)
        run_preparation_sweep()
    told = new_messages(patient, before)
    assert {kind: told[kind] for kind in MOVE_NOTICES if told[kind]} == {"prep.rescheduled": 1}
