"""Re-planning: the optimizer may move booked visits (each move costs the penalty); the front desk
accepts or rejects each move; accepted moves go through do_move_visit (the patient is told by the
preparation app's notice, as for any moved visit: test_move_messages.py)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
import time_machine

from ketaclinic.audit.models import AuditEvent
from ketaclinic.notifications.models import OutboundMessage
from ketaclinic.schedule.actions import do_book_course, do_book_visit, do_set_availability
from ketaclinic.schedule.models import Visit
from ketaclinic.schedule.planning import placements_from_plan
from ketaclinic.schedule.replan import DecisionMade, do_decide_replan_move, do_replan_schedule
from ketaclinic.schedule.rules import Placement
from tests.factories import make_patient
from tests.schedule.conftest import MONDAY, booster

FRIDAY_BEFORE = MONDAY - timedelta(days=3)


@pytest.fixture(autouse=True)
def _before_monday() -> Any:
    with time_machine.travel(FRIDAY_BEFORE, tick=False) as traveller:
        yield traveller



@pytest.fixture
def crowded_monday(front_desk: Any, provider: Any, chairs: Any, clinic: Any, at: Any) -> dict[str, Any]:
    """Two boosters booked Monday 08:00 fill the one nurse; a third patient can only come Monday 08:00-10:00."""
    a, c = make_patient(clinic), make_patient(clinic, preferred_language="es")
    booked = []
    for person, chair in ((a, chairs[0]), (c, chairs[1])):
        course = booster(provider, person, MONDAY, MONDAY + timedelta(days=2))
        booked.append(do_book_course(front_desk, course, [Placement(chair, at(clinic, MONDAY, "08:00"))])[0])
    b = make_patient(clinic)
    waiting = booster(provider, b, MONDAY, MONDAY)
    do_set_availability(b.user, b, weekdays=[0], from_time=time(8), until_time=time(10))
    return {"booked": booked, "waiting": waiting}


@pytest.mark.django_db
def test_a_replan_moves_one_booked_visit_to_fit_a_waiting_patient(front_desk: Any, clinic: Any,
                                                                  crowded_monday: Any) -> None:
    proposal = do_replan_schedule(front_desk, clinic, seconds=5)
    moves = proposal.waiting["moves"]
    assert len(moves) == 1                                   # one move is enough, and each move costs
    assert moves[0]["visit"] in {v.pk for v in crowded_monday["booked"]}
    key = f"K{crowded_monday['waiting'].pk}"
    placed = placements_from_plan(clinic, proposal.plan, key)
    assert len(placed) == 1 and placed[0].starts_at.astimezone(clinic.zone).date() == MONDAY
    assert Visit.objects.filter(pk=moves[0]["visit"], starts_at=moves[0]["from"]["start"]).exists()  # not moved yet
    assert AuditEvent.objects.filter(action="SCHEDULE_REPLANNED").count() == 1


@pytest.mark.django_db
def test_a_replan_without_penalty_room_or_waiting_courses_moves_nothing(front_desk: Any, clinic: Any,
                                                                       crowded_monday: Any) -> None:
    crowded_monday["waiting"].status = "cancelled"
    crowded_monday["waiting"].save()
    proposal = do_replan_schedule(front_desk, clinic, seconds=3)
    assert proposal.waiting["moves"] == []


@pytest.mark.django_db
def test_accepting_a_move_reschedules_and_tells_the_patient_then_the_course_books(front_desk: Any, clinic: Any,
                                                                                  crowded_monday: Any) -> None:
    proposal = do_replan_schedule(front_desk, clinic, seconds=5)
    move = proposal.waiting["moves"][0]
    done, problems = do_decide_replan_move(front_desk, proposal, move["visit"], accept=True)
    assert (done, problems) == (1, [])
    visit = Visit.objects.select_related("patient").get(pk=move["visit"])
    assert visit.starts_at == datetime.fromisoformat(move["to"]["start"]) and visit.chair_id == move["to"]["chair"]
    # No preparation plan exists yet (the sweep has not run), so the schedule tells the patient itself,
    # once; with a plan the preparation app's "moved" notice does instead (test_move_messages.py).
    told = OutboundMessage.objects.filter(patient=visit.patient, kind__startswith="schedule.")
    assert list(told.values_list("kind", flat=True).distinct()) == ["schedule.visit_moved"]
    assert told.values("dedupe_key").distinct().count() == 1
    assert AuditEvent.objects.filter(action="VISIT_MOVED").count() == 1
    proposal.refresh_from_db()
    assert proposal.waiting["decisions"][str(move["visit"])]["status"] == "accepted"
    with pytest.raises(DecisionMade):
        do_decide_replan_move(front_desk, proposal, move["visit"], accept=True)
    waiting = crowded_monday["waiting"]
    booked = do_book_course(front_desk, waiting, placements_from_plan(clinic, proposal.plan, f"K{waiting.pk}"))
    assert len(booked) == 1


@pytest.mark.django_db
def test_rejecting_a_move_changes_nothing_and_is_recorded(front_desk: Any, clinic: Any, crowded_monday: Any) -> None:
    proposal = do_replan_schedule(front_desk, clinic, seconds=5)
    move = proposal.waiting["moves"][0]
    before = Visit.objects.get(pk=move["visit"]).starts_at
    do_decide_replan_move(front_desk, proposal, None, accept=False)
    assert Visit.objects.get(pk=move["visit"]).starts_at == before
    proposal.refresh_from_db()
    assert proposal.waiting["decisions"][str(move["visit"])]["status"] == "rejected"
    assert not AuditEvent.objects.filter(action="VISIT_MOVED").exists()
    assert AuditEvent.objects.filter(action="REPLAN_MOVES_DECIDED").count() == 1


@pytest.mark.django_db
def test_a_move_whose_slot_was_taken_meanwhile_fails_clearly_and_stays_open(front_desk: Any, provider: Any,
                                                                             clinic: Any, crowded_monday: Any,
                                                                             chairs: Any) -> None:
    proposal = do_replan_schedule(front_desk, clinic, seconds=5)
    move = proposal.waiting["moves"][0]
    target = datetime.fromisoformat(move["to"]["start"])
    intruder = booster(provider, make_patient(clinic), MONDAY, MONDAY + timedelta(days=5))
    chair = next(c for c in chairs if c.pk == move["to"]["chair"])
    do_book_visit(front_desk, intruder, chair, target)
    done, problems = do_decide_replan_move(front_desk, proposal, None, accept=True)
    assert done == 0 and problems and "taken" in problems[0]
    proposal.refresh_from_db()
    assert proposal.waiting["decisions"][str(move["visit"])]["status"] == "failed"
    assert not AuditEvent.objects.filter(action="VISIT_MOVED").exists()


@pytest.mark.django_db
def test_locked_and_done_visits_never_move(front_desk: Any, clinic: Any, crowded_monday: Any) -> None:
    Visit.objects.filter(pk__in=[v.pk for v in crowded_monday["booked"]]).update(locked=True)
    proposal = do_replan_schedule(front_desk, clinic, seconds=3)
    assert proposal.waiting["moves"] == []
    assert proposal.waiting["replan"] == {}


@pytest.mark.django_db
def test_only_staff_may_replan(clinic: Any, patient: Any, admin_user: Any, chairs: Any) -> None:
    from django.core.exceptions import PermissionDenied

    for user in (patient.user, admin_user):
        with pytest.raises(PermissionDenied):
            do_replan_schedule(user, clinic, seconds=1)


@pytest.mark.django_db
def test_a_course_booked_off_the_grid_stays_put_and_the_rest_is_replanned(front_desk: Any, clinic: Any, at: Any,
                                                                          crowded_monday: Any, provider: Any,
                                                                          chairs: Any) -> None:
    odd = booster(provider, make_patient(clinic), MONDAY, MONDAY + timedelta(days=5))
    do_book_visit(front_desk, odd, chairs[0], at(clinic, MONDAY + timedelta(days=3), "09:05"))  # off the grid
    proposal = do_replan_schedule(front_desk, clinic, seconds=5)
    assert f"K{odd.pk}" not in proposal.waiting["replan"]
    assert any("kept where they are" in s for s in proposal.waiting["skipped"])
    assert len(proposal.waiting["moves"]) == 1
