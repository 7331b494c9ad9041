from __future__ import annotations

from typing import Any

import pytest

from ketaclinic.scheduling.model import DAY, ScheduleInputError, parse_instance

from .factory import course, make_instance


def error_field(data: dict[str, Any]) -> str:
    with pytest.raises(ScheduleInputError) as info:
        parse_instance(data)
    return info.value.field


def test_defaults_fill_in_and_unknown_keys_are_fine() -> None:
    inst = parse_instance(make_instance(courses=[course("P1", 6, colour="blue")], extra={"x": 1}))
    c = inst.courses[0]
    assert (c.window_days, c.max_per_7_days, c.min_gap) == (21, 3, 20 * 60)
    assert (c.phases.checkin, c.phases.infusion, c.phases.recovery) == (20, 40, 45)
    assert c.earliest == 0
    assert c.latest_start == inst.open_days[-1].day == 7
    assert inst.max_infusions_per_nurse == 2
    assert inst.slot_minutes == 10
    assert inst.open_days[0].open == 8 * 60
    assert inst.open_days[1].open == DAY + 8 * 60


def test_course_phases_override_instance_phases() -> None:
    inst = parse_instance(
        make_instance(phases={"infusion": 50}, courses=[course("P1"), course("P2", phases={"infusion": 90})])
    )
    assert inst.courses[0].phases.infusion == 50
    assert inst.courses[1].phases.infusion == 90
    assert inst.courses[1].phases.total == 20 + 90 + 45


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("open_days"), "open_days"),
        (lambda d: d.pop("chairs"), "chairs"),
        (lambda d: d.pop("nurses"), "nurses"),
        (lambda d: d.pop("courses"), "courses"),
        (lambda d: d["courses"].append({"visits": 1}), "courses[0].id"),
        (lambda d: d["courses"].append({"id": "P1"}), "courses[0].visits"),
        (lambda d: d["courses"].append({"id": "P1", "visits": 0}), "courses[0].visits"),
        (lambda d: d["courses"].append({"id": "P1", "visits": "6"}), "courses[0].visits"),
        (lambda d: d["open_days"][0].update(open="25:00"), "open_days[0].open"),
        (lambda d: d["open_days"][0].update(close="07:00"), "open_days[0].close"),
        (lambda d: d["open_days"][0].update(date="2027-02-30"), "open_days[0].date"),
        (lambda d: d["nurses"][0]["shifts"][0].update(end="07:00"), "nurses[0].shifts[0].end"),
        (lambda d: d.update(slot_minutes=0), "slot_minutes"),
        (
            lambda d: d["courses"].append(course("P1", availability={"weekdays": [7]})),
            "courses[0].availability.weekdays[0]",
        ),
        (lambda d: d["courses"].append(course("P1", latest_start="2027-01-01")), "courses[0].latest_start"),
        (lambda d: d["courses"].append(course("P1", min_gap_hours=-1)), "courses[0].min_gap_hours"),
    ],
)
def test_malformed_instances_name_the_field(mutate: Any, field: str) -> None:
    data = make_instance()
    mutate(data)
    assert error_field(data) == field


def test_visits_error_message_matches_contract() -> None:
    data = make_instance(courses=[course("P0"), course("P1"), course("P2"), {"id": "P3", "visits": -2}])
    with pytest.raises(ScheduleInputError) as info:
        parse_instance(data)
    assert str(info.value) == "courses[3].visits: must be a positive integer"


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"course": "P1", "visit": 1, "chair": "C9", "start": "2027-01-04T08:00"}, "fixed[0].chair"),
        ({"course": "PX", "visit": 1, "chair": "C1", "start": "2027-01-04T08:00"}, "fixed[0].course"),
        ({"course": "P1", "visit": 2, "chair": "C1", "start": "2027-01-04T08:00"}, "fixed[0].visit"),
        ({"course": "P1", "visit": 1, "chair": "C1", "start": "2027-01-04 08:00"}, "fixed[0].start"),
        ({"course": "P1", "visit": 1, "chair": "C1", "start": "2027-01-09T08:00"}, "fixed[0].start"),  # Saturday
        ({"course": "P1", "visit": 1, "chair": "C1", "start": "2027-01-04T08:05"}, "fixed[0].start"),  # off grid
        ({"course": "P1", "visit": 1, "chair": "C1", "start": "2027-01-04T17:00"}, "fixed[0].start"),  # past close
    ],
)
def test_bad_fixed_visits(entry: dict[str, Any], field: str) -> None:
    assert error_field(make_instance(courses=[course("P1")], fixed=[entry])) == field


def test_same_visit_fixed_and_booked_is_an_error() -> None:
    v = {"course": "P1", "visit": 1, "chair": "C1", "start": "2027-01-04T08:00"}
    assert error_field(make_instance(courses=[course("P1")], fixed=[v], booked=[v])) == "booked[0].visit"
