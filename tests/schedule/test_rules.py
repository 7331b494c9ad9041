"""The booking rules, each on both sides of its limit, with the reason a person reads."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest

from ketaclinic.courses.actions import do_create_course
from ketaclinic.schedule.actions import (
    RuleBroken,
    do_add_closed_day,
    do_book_course,
    do_book_visit,
    do_set_availability,
)
from ketaclinic.schedule.rules import Placement, blocking, check_course_plan, load_boards
from tests.factories import make_patient
from tests.schedule.conftest import MONDAY


def rules(problems: list[Any]) -> set[str]:
    return {p.rule for p in blocking(problems)}


@pytest.mark.django_db
def test_spacing_rules(course: Any, chairs: Any, clinic: Any, at: Any) -> None:
    c = chairs[0]

    def plan(*offsets_and_times: tuple[int, str]) -> set[str]:
        return rules(check_course_plan(course, [Placement(c, at(clinic, MONDAY + timedelta(days=d), t))
                                                for d, t in offsets_and_times]))

    assert plan((0, "09:00"), (2, "09:00"), (4, "09:00")) == set()
    assert plan((0, "09:00"), (2, "08:50")) == {"min_gap"}              # 47 h 50 min
    assert plan((0, "09:00"), (2, "09:00"), (4, "09:00"), (6, "09:00")) >= {"max_per_7_days"}
    assert "max_per_7_days" not in plan((0, "09:00"), (2, "09:00"), (4, "09:00"), (7, "09:00"))
    assert plan((0, "09:00"), (21, "09:00")) == {"window"}              # day 21 is outside a 21-day window
    assert plan((0, "09:00"), (18, "09:00")) == set()
    assert plan((-3, "09:00")) >= {"earliest"}
    assert plan((0, "09:00"), (2, "09:00"), (4, "09:00"), (7, "09:00"), (9, "09:00"), (11, "09:00"),
                (14, "09:00")) >= {"visits"}


@pytest.mark.django_db
def test_hours_grid_and_closed_days(course: Any, chairs: Any, clinic: Any, at: Any, front_desk: Any) -> None:
    c = chairs[0]
    assert rules(check_course_plan(course, [Placement(c, at(clinic, MONDAY, "07:50"))])) == {"hours"}
    assert rules(check_course_plan(course, [Placement(c, at(clinic, MONDAY, "16:20"))])) == {"hours"}  # ends 18:05
    assert rules(check_course_plan(course, [Placement(c, at(clinic, MONDAY, "16:05"))])) == {"grid"}
    assert rules(check_course_plan(course, [Placement(c, at(clinic, MONDAY, "16:10"))])) == set()  # ends 17:55
    do_add_closed_day(front_desk, clinic, MONDAY, "Holiday")
    problems = check_course_plan(course, [Placement(c, at(clinic, MONDAY, "09:00"))])
    assert rules(problems) == {"closed"} and "closed on Monday Jan 4 (Holiday)" in problems[0].message
    saturday = MONDAY + timedelta(days=5)
    assert rules(check_course_plan(course, [Placement(c, at(clinic, saturday, "09:00"))])) == {"closed"}


@pytest.mark.django_db
def test_nurse_capacity_counts_infusion_phases_only(clinic: Any, chairs: Any, provider: Any, front_desk: Any,
                                                    at: Any) -> None:
    from ketaclinic.schedule.actions import do_create_chair

    chair3 = do_create_chair(None, clinic, "Chair 3")
    courses = [do_create_course(provider, make_patient(clinic), indication_code="F33.2", earliest_on=MONDAY)
               for _ in range(3)]
    # One nurse watches at most 2: two infusions 09:20-10:00 fill her.
    do_book_visit(front_desk, courses[0], chairs[0], at(clinic, MONDAY, "09:00"))
    do_book_visit(front_desk, courses[1], chairs[1], at(clinic, MONDAY, "09:00"))
    problems = check_course_plan(courses[2], [Placement(chair3, at(clinic, MONDAY, "09:30"))])
    assert rules(problems) == {"nurse_capacity"}
    assert "at 09:50 there would be 3 infusions running but 1 nurse(s) are on shift" in problems[0].message
    # Starting when their infusions end (check-in 10:00-10:20, infusion from 10:20) is fine:
    # recovery needs a chair, not a nurse's watch.
    assert rules(check_course_plan(courses[2], [Placement(chair3, at(clinic, MONDAY, "09:40"))])) == set()
    board = load_boards(clinic, [MONDAY])[MONDAY]
    load = {row[0].astimezone(clinic.zone).strftime("%H:%M"): row[1:] for row in board.nurse_load()}
    assert load["09:30"] == (2, 2) and load["10:00"] == (0, 2)


@pytest.mark.django_db
def test_no_nurse_on_shift_no_infusion(course: Any, chairs: Any, clinic: Any, at: Any) -> None:
    fifth_week = MONDAY + timedelta(days=28)
    problems = check_course_plan(course, [Placement(chairs[0], at(clinic, fifth_week, "09:00"))])
    assert rules(problems) == {"nurse_capacity"} and "no nurse is on shift" in problems[0].message


@pytest.mark.django_db
def test_availability_is_a_warning_for_staff(course: Any, chairs: Any, clinic: Any, at: Any, patient: Any,
                                             front_desk: Any) -> None:
    do_set_availability(patient.user, patient, weekdays=[2], from_time=time(12), until_time=time(18))
    problems = check_course_plan(course, [Placement(chairs[0], at(clinic, MONDAY, "09:00"))])
    assert rules(problems) == set() and [p.rule for p in problems] == ["availability"]
    visits = do_book_course(front_desk, course, [Placement(chairs[0], at(clinic, MONDAY, "09:00"))])
    assert len(visits) == 1  # the front desk may book outside it (e.g. agreed on the phone)


@pytest.mark.django_db
def test_a_broken_rule_books_nothing(course: Any, chairs: Any, clinic: Any, at: Any, front_desk: Any) -> None:
    with pytest.raises(RuleBroken) as caught:
        do_book_course(front_desk, course, [Placement(chairs[0], at(clinic, MONDAY, "09:00")),
                                            Placement(chairs[0], at(clinic, MONDAY + timedelta(days=1), "09:00"))])
    assert [p.rule for p in caught.value.problems] == ["min_gap"]
    assert not course.visits.exists()
