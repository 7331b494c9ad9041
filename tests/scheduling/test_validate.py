"""The validator catches each rule on hand-built bad plans."""

from __future__ import annotations

from typing import Any

import pytest

from ketaclinic.scheduling.model import parse_instance, parse_plan
from ketaclinic.scheduling.validate import validate

from .factory import course, make_instance, plan, visit


def rules(instance: dict[str, Any], data: dict[str, Any]) -> set[str]:
    inst = parse_instance(instance)
    return {v.rule for v in validate(inst, parse_plan(data, inst.epoch))}


def base() -> dict[str, Any]:
    return make_instance(courses=[course("P1", 3), course("P2")])


def good() -> list[dict[str, Any]]:
    return [
        visit("P1", 1, "C1", "2027-01-04T08:00"),
        visit("P1", 2, "C1", "2027-01-05T08:00"),
        visit("P1", 3, "C1", "2027-01-06T08:00"),
        visit("P2", 1, "C2", "2027-01-04T08:00"),
    ]


def test_good_plan_is_valid() -> None:
    assert rules(base(), plan(good(), [], 2)) == set()


def test_empty_plan_is_valid_when_it_lists_everyone() -> None:
    assert rules(base(), plan([], ["P1", "P2"], 0)) == set()


def with_visit(index: int, **change: Any) -> list[dict[str, Any]]:
    items = good()
    items[index] = {**items[index], **change}
    return items


@pytest.mark.parametrize(
    ("assignments", "rule"),
    [
        (with_visit(3, chair="C1"), "chair_overlap"),
        (with_visit(0, start="2027-01-04T16:00"), "min_gap"),
        (with_visit(0, start="2027-01-04T17:00"), "open_hours"),
        (with_visit(2, start="2027-01-09T08:00"), "open_hours"),
        (with_visit(3, start="2027-01-04T08:05"), "grid"),
        (with_visit(3, chair="C7"), "unknown_chair"),
        (with_visit(3, course="P9"), "unknown_course"),
        (good()[:2] + good()[3:], "whole_course"),
        (with_visit(2, visit=1), "visit_numbering"),
        ([{**good()[0], "visit": 2}, {**good()[1], "visit": 1}, *good()[2:]], "visit_numbering"),
    ],
)
def test_bad_plans(assignments: list[dict[str, Any]], rule: str) -> None:
    assert rule in rules(base(), plan(assignments, [], 2))


def test_nurse_capacity_per_minute() -> None:
    inst = make_instance(chairs=["C1", "C2", "C3"], courses=[course("A"), course("B"), course("C")])
    three = [visit(c, 1, ch, "2027-01-04T08:00") for c, ch in (("A", "C1"), ("B", "C2"), ("C", "C3"))]
    assert "nurse_capacity" in rules(inst, plan(three, [], 3))
    # Staggered by 40 minutes the infusions no longer overlap three at a time.
    three[2]["start"] = "2027-01-04T08:40"
    assert rules(inst, plan(three, [], 3)) == set()


def test_nurse_shift_hours_count() -> None:
    inst = make_instance(courses=[course("A")])
    inst["nurses"][0]["shifts"][0]["start"] = "09:00"
    assert "nurse_capacity" in rules(inst, plan([visit("A", 1, "C1", "2027-01-04T08:00")], [], 1))


def test_seven_day_maximum_and_window() -> None:
    inst = make_instance(courses=[course("P", 4, min_gap_hours=20)])
    four = [visit("P", k + 1, "C1", f"2027-01-0{4 + k}T08:00") for k in range(4)]
    assert "max_per_7_days" in rules(inst, plan(four, [], 1))
    inst = make_instance(courses=[course("P", 3, window_days=2)])
    assert "window" in rules(inst, plan(four[:3], [], 1))


def test_earliest_latest_and_availability() -> None:
    one = [visit("P", 1, "C1", "2027-01-04T08:00")]
    assert "earliest" in rules(make_instance(courses=[course("P", earliest="2027-01-05")]), plan(one, [], 1))
    late = [visit("P", 1, "C1", "2027-01-06T08:00")]
    assert "latest_start" in rules(make_instance(courses=[course("P", latest_start="2027-01-05")]), plan(late, [], 1))
    busy_monday = course("P", availability={"weekdays": [1, 2, 3, 4]})
    assert "availability" in rules(make_instance(courses=[busy_monday]), plan(one, [], 1))
    from_nine = course("P", availability={"from": "09:00"})
    assert "availability" in rules(make_instance(courses=[from_nine]), plan(one, [], 1))


def test_patient_never_in_two_chairs() -> None:
    inst = make_instance(courses=[course("P", 2, min_gap_hours=0)])
    two = [visit("P", 1, "C1", "2027-01-04T08:00"), visit("P", 2, "C2", "2027-01-04T09:00")]
    assert "patient_overlap" in rules(inst, plan(two, [], 1))


def test_fixed_and_booked() -> None:
    inst = base()
    inst["fixed"] = [visit("P1", 1, "C1", "2027-01-04T08:00")]
    assert rules(inst, plan(good(), [], 2)) == set()
    moved = with_visit(0, chair="C2")
    moved[3] = {**moved[3], "chair": "C1"}
    assert "fixed" in rules(inst, plan(moved, [], 2))
    inst = base()
    inst["booked"] = [visit("P2", 1, "C2", "2027-01-05T08:00")]
    assert "booked_course" in rules(inst, plan(good()[:3], ["P2"], 1))
    assert rules(inst, plan(good(), [], 2, moved=1)) == set()
    assert "moved" in rules(inst, plan(good(), [], 2, moved=0))


def test_plan_figures_must_be_true() -> None:
    assert "objective" in rules(base(), plan(good(), [], 3))
    assert "bound" in rules(base(), plan(good(), [], 2, bound=1))
    assert "unscheduled_list" in rules(base(), plan(good()[:3], [], 1))
    assert "unscheduled_list" in rules(base(), plan(good(), ["P2"], 2))
