"""Moving a whole course: new times for every remaining visit from a new first date, done visits
fixed, the course rules over the whole course; accepted all at once or not at all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from ketaclinic.audit.models import AuditEvent
from ketaclinic.notifications.models import OutboundMessage
from ketaclinic.schedule.actions import RuleBroken, do_book_course, do_book_visit, do_set_visit_status
from ketaclinic.schedule.models import Visit
from ketaclinic.schedule.notify import COURSE_MOVED_KIND
from ketaclinic.schedule.replan import do_move_course, do_replan_schedule, propose_course_move
from ketaclinic.schedule.rules import Placement
from tests.schedule.conftest import MONDAY


@pytest.fixture
def started_course(front_desk: Any, course: Any, chairs: Any, clinic: Any, at: Any) -> Any:
    """Six visits Mon/Wed/Fri over two weeks from MONDAY; visit 1 done, and it is now Tuesday."""
    days = [MONDAY + timedelta(days=d) for d in (0, 2, 4, 7, 9, 11)]
    with time_machine.travel(MONDAY - timedelta(days=3), tick=False):
        visits = do_book_course(front_desk, course, [Placement(chairs[0], at(clinic, d, "09:00")) for d in days])
    with time_machine.travel(at(clinic, MONDAY, "12:00"), tick=False):
        do_set_visit_status(front_desk, visits[0], "discharged", historical=True)
    with time_machine.travel(at(clinic, MONDAY + timedelta(days=1), "12:00"), tick=False) as traveller:
        yield {"course": course, "visits": visits, "traveller": traveller}


@pytest.mark.django_db
def test_it_proposes_the_remaining_visits_from_the_new_date_keeping_the_rules(started_course: Any, clinic: Any,
                                                                              front_desk: Any) -> None:
    course = started_course["course"]
    new_first = MONDAY + timedelta(days=7)
    proposal = propose_course_move(course, new_first)
    assert proposal.problem == ""
    starts = [p.starts_at.astimezone(clinic.zone) for p in proposal.placements]
    assert len(starts) == 5 and starts[0].date() == new_first
    assert {p.visit_id for p in proposal.placements} == {v.pk for v in started_course["visits"][1:]}
    # the done visit counts: everything within 21 days of January 4, at most 3 in any 7 days
    assert max(starts).date() < MONDAY + timedelta(days=21)
    moved = do_move_course(front_desk, course, proposal.placements)
    assert sorted(v.starts_at for v in moved) == sorted(p.starts_at for p in proposal.placements)
    assert [v.number for v in Visit.objects.filter(course=course).order_by("starts_at")] == [1, 2, 3, 4, 5, 6]
    assert Visit.objects.get(pk=started_course["visits"][0].pk).starts_at.astimezone(clinic.zone).date() == MONDAY
    message = OutboundMessage.objects.get(kind=COURSE_MOVED_KIND, patient=course.patient)
    assert message.subject == "Your treatment series has new dates" and message.body.count("\n- ") == 5
    event = AuditEvent.objects.get(action="COURSE_MOVED")
    assert len(event.details["visits"]) == 5


@pytest.mark.django_db
def test_it_names_the_visit_that_cannot_be_placed(started_course: Any) -> None:
    # 48 hours apart: from Wednesday Jan 20 only Jan 20 and 22 fit before the 21-day window from Jan 4 ends
    assert started_course["course"].min_gap_hours == 48
    proposal = propose_course_move(started_course["course"], MONDAY + timedelta(days=16))
    assert proposal.placements == []
    assert proposal.problem.startswith("Visit 4 could not be placed from Wednesday Jan 20")


@pytest.mark.django_db
def test_all_or_nothing_when_a_slot_was_taken_meanwhile(started_course: Any, front_desk: Any, other_course: Any,
                                                       clinic: Any) -> None:
    course = started_course["course"]
    proposal = propose_course_move(course, MONDAY + timedelta(days=7))
    fourth = sorted(proposal.placements, key=lambda p: p.starts_at)[3]
    assert fourth.starts_at.astimezone(clinic.zone).date() == MONDAY + timedelta(days=14)
    do_book_visit(front_desk, other_course, fourth.chair, fourth.starts_at)   # someone took it
    before = {v.pk: v.starts_at for v in Visit.objects.filter(course=course)}
    with pytest.raises(RuleBroken) as caught:
        do_move_course(front_desk, course, proposal.placements)
    assert str(caught.value).startswith("Visit 5 (Monday Jan 18")  # visit 1 is done; the 4th moving one is visit 5
    assert "could not be placed" in str(caught.value)
    assert {v.pk: v.starts_at for v in Visit.objects.filter(course=course)} == before
    assert not OutboundMessage.objects.filter(kind=COURSE_MOVED_KIND).exists()


@pytest.mark.django_db
def test_a_stale_proposal_is_refused(started_course: Any, front_desk: Any) -> None:
    course = started_course["course"]
    proposal = propose_course_move(course, MONDAY + timedelta(days=7))
    with pytest.raises(RuleBroken, match="changed since"):
        do_move_course(front_desk, course, proposal.placements[:-1])


@pytest.mark.django_db
def test_only_staff_may_move_a_course(started_course: Any, patient: Any, admin_user: Any) -> None:
    proposal = propose_course_move(started_course["course"], MONDAY + timedelta(days=7))
    for user in (patient.user, admin_user):
        with pytest.raises(PermissionDenied):
            do_move_course(user, started_course["course"], proposal.placements)


@pytest.mark.django_db
def test_a_replan_keeps_done_visits_and_may_move_the_rest(started_course: Any, front_desk: Any, clinic: Any) -> None:
    proposal = do_replan_schedule(front_desk, clinic, seconds=3)
    course = started_course["course"]
    assert proposal.waiting["replan"] == {f"K{course.pk}": course.pk}
    assert started_course["visits"][0].pk not in {m["visit"] for m in proposal.waiting["moves"]}
    assert proposal.plan["status"] in ("optimal", "feasible")
