"""The optimizer bridge: instance built from the database, proposal stored, plan passes the rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from ketaclinic.schedule.actions import do_book_course, do_book_visit, do_set_availability
from ketaclinic.schedule.models import ClosedDay, Visit
from ketaclinic.schedule.planning import (
    build_instance,
    course_key,
    do_propose_schedule,
    placements_from_plan,
    plan_course_around,
    waiting_courses,
)
from ketaclinic.schedule.rules import blocking, check_course_plan
from ketaclinic.scheduling.model import parse_instance
from tests.schedule.conftest import MONDAY

FRIDAY_BEFORE = MONDAY - timedelta(days=3)


@pytest.mark.django_db
def test_the_instance_describes_hours_chairs_shifts_and_waiting_courses(clinic: Any, chairs: Any, course: Any,
                                                                        patient: Any, front_desk: Any,
                                                                        other_course: Any, at: Any) -> None:
    from datetime import time

    ClosedDay.objects.create(clinic=clinic, date=MONDAY + timedelta(days=1), reason="Holiday")
    do_set_availability(patient.user, patient, weekdays=[0, 2, 4], from_time=time(9), until_time=time(15))
    booked = do_book_visit(front_desk, other_course, chairs[1], at(clinic, MONDAY, "08:00"))
    built = build_instance(clinic, MONDAY, MONDAY + timedelta(days=13), [course])
    data = built.data
    assert [d["date"] for d in data["open_days"]][:3] == ["2027-01-04", "2027-01-06", "2027-01-07"]  # Tue closed
    assert data["chairs"] == [f"C{c.pk}" for c in chairs]
    assert data["nurses"][0]["shifts"][0] == {"date": "2027-01-04", "start": "08:00", "end": "18:00"}
    mine = next(c for c in data["courses"] if c["id"] == course_key(course.pk))
    assert mine["availability"] == {"weekdays": [0, 2, 4], "from": "09:00", "until": "15:00"}
    assert mine["visits"] == 6 and mine["min_gap_hours"] == course.min_gap_hours
    assert {"course": f"V{booked.pk}", "visit": 1, "chair": f"C{chairs[1].pk}", "start": "2027-01-04T08:00"} \
        in data["fixed"]
    parse_instance(data)  # the optimizer accepts it


@pytest.mark.django_db
def test_a_proposal_places_waiting_courses_and_each_passes_the_booking_rules(clinic: Any, chairs: Any,
                                                                             course: Any, other_course: Any,
                                                                             front_desk: Any) -> None:
    with time_machine.travel(FRIDAY_BEFORE, tick=False):
        proposal = do_propose_schedule(front_desk, clinic, method="cpsat", seconds=3)
    assert proposal.plan["violations"] == []
    assert {course_key(course.pk), course_key(other_course.pk)} <= set(proposal.waiting["courses"])
    for c in (course, other_course):
        placements = placements_from_plan(clinic, proposal.plan, course_key(c.pk))
        assert len(placements) == 6
        assert blocking(check_course_plan(c, placements)) == []
    with time_machine.travel(FRIDAY_BEFORE, tick=False):
        visits = do_book_course(front_desk, course, placements_from_plan(clinic, proposal.plan,
                                                                          course_key(course.pk)))
    assert [v.number for v in visits] == [1, 2, 3, 4, 5, 6]
    assert course not in waiting_courses(clinic)


@pytest.mark.django_db
def test_a_course_can_be_planned_around_an_offered_first_slot(clinic: Any, chairs: Any, course: Any, at: Any) -> None:
    start = at(clinic, MONDAY + timedelta(days=2), "10:00")
    plan = plan_course_around(course, chairs[1], start)
    assert plan is not None and len(plan) == 6
    assert plan[0].starts_at == start and plan[0].chair == chairs[1]
    assert not Visit.objects.exists()
