"""Both methods give valid plans; CP-SAT is at least as good as first-fit; re-planning rules."""

from __future__ import annotations

from typing import Any

import pytest

from ketaclinic.scheduling.cpsat import Options, solve_cpsat
from ketaclinic.scheduling.generate import generate
from ketaclinic.scheduling.greedy import schedulable_alone, solve_greedy
from ketaclinic.scheduling.model import Instance, Plan, parse_instance
from ketaclinic.scheduling.validate import validate

from .factory import course, make_instance, visit

FAST = Options(time_limit=4.0, workers=2, seed=1)


def assert_valid(instance: Instance, plan: Plan) -> None:
    assert validate(instance, plan) == []


def solve_both(data: dict[str, Any]) -> tuple[Instance, Plan, Plan]:
    inst = parse_instance(data)
    greedy, cpsat = solve_greedy(inst), solve_cpsat(inst, FAST)
    assert_valid(inst, greedy)
    assert_valid(inst, cpsat)
    return inst, greedy, cpsat


def test_uncongested_instance_schedules_every_course() -> None:
    inst, greedy, cpsat = solve_both(generate(chairs=4, nurses=2, courses=12, days=15, seed=3))
    alone = schedulable_alone(inst)
    assert cpsat.objective == len(alone)
    assert cpsat.status == "optimal" and cpsat.bound == cpsat.objective
    assert greedy.objective <= cpsat.objective


def test_congested_instance_cpsat_beats_first_fit_and_respects_bound() -> None:
    inst, greedy, cpsat = solve_both(generate(chairs=2, nurses=1, courses=30, days=10, seed=5))
    assert cpsat.objective >= greedy.objective
    assert cpsat.objective <= cpsat.bound < len(inst.courses)


def test_single_course_fits_first_morning() -> None:
    inst = parse_instance(make_instance(courses=[course("P1", 3)]))
    plan = solve_cpsat(inst, FAST)
    assert_valid(inst, plan)
    assert [a.visit for a in sorted(plan.assignments, key=lambda a: a.start)] == [1, 2, 3]
    assert plan.status == "optimal"


def test_longer_pain_infusion_uses_course_phases() -> None:
    data = make_instance(chairs=["C1"], courses=[course(f"P{i}", phases={"infusion": 200}) for i in range(8)])
    _, greedy, cpsat = solve_both(data)
    # 265-minute visits: two per 10-hour day on one chair, six open days.
    assert greedy.objective == cpsat.objective == 8


def test_fixed_visits_are_honoured_and_course_kept() -> None:
    data = make_instance(
        courses=[course("P1", 3), course("P2"), course("P3")],
        fixed=[visit("P1", 1, "C2", "2027-01-04T08:00")],
    )
    for plan in solve_both(data)[1:]:
        got = {(a.course, a.visit): (a.chair, a.start) for a in plan.assignments}
        assert got[("P1", 1)] == ("C2", 8 * 60)


def test_booked_visits_stay_put_when_they_can() -> None:
    data = make_instance(
        courses=[course("P1", 2), course("P2")],
        booked=[visit("P1", 1, "C1", "2027-01-05T10:00"), visit("P1", 2, "C1", "2027-01-07T10:00")],
    )
    for plan in solve_both(data)[1:]:
        assert plan.moved == 0
        starts = sorted(a.start for a in plan.assignments if a.course == "P1")
        assert starts == [1440 + 600, 3 * 1440 + 600]


def test_booked_visit_that_no_longer_fits_moves_with_penalty_counted() -> None:
    # The patient now only comes Wednesdays and Fridays; the Monday booking must move.
    data = make_instance(
        courses=[course("P1", 2, availability={"weekdays": [2, 4]})],
        booked=[visit("P1", 1, "C1", "2027-01-04T08:00"), visit("P1", 2, "C1", "2027-01-06T08:00")],
        move_penalty=5,
    )
    for plan in solve_both(data)[1:]:
        assert plan.unscheduled == ()
        assert plan.moved >= 1


def test_move_penalty_keeps_bookings_over_a_newcomer() -> None:
    # One chair, one slot per day effectively taken by a booked booster; a newcomer wanting the
    # same hour should not push it when moving costs more than the newcomer is worth.
    one_day = [{"date": "2027-01-04", "open": "08:00", "close": "09:50"}]
    nurses = [{"id": "N1", "shifts": [{"date": "2027-01-04", "start": "08:00", "end": "10:00"}]}]
    data = make_instance(
        open_days=one_day,
        nurses=nurses,
        chairs=["C1"],
        courses=[course("B"), course("N")],
        booked=[visit("B", 1, "C1", "2027-01-04T08:00")],
        move_penalty=3,
    )
    _, _, cpsat = solve_both(data)
    assert cpsat.moved == 0 and cpsat.unscheduled == ("N",)


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_small_instances_valid(seed: int) -> None:
    _, greedy, cpsat = solve_both(generate(chairs=3, nurses=2, courses=25, days=12, seed=seed))
    assert cpsat.objective >= greedy.objective
