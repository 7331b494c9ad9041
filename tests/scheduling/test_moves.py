"""Re-planning moves a booked visit when the move pays: a waiting course worth more than the
moves it needs is fitted (issue 5: the score is weight − move_penalty × moves). Each case is
checked against the plain exact model (exact.py), so the expected score is the optimum."""

from __future__ import annotations

from typing import Any

from ketaclinic.scheduling.cpsat import Options, solve_cpsat
from ketaclinic.scheduling.greedy import solve_greedy
from ketaclinic.scheduling.model import Instance, Plan, parse_instance
from ketaclinic.scheduling.validate import validate

from .exact import solve_exact
from .factory import course, make_instance, visit

FAST = Options(time_limit=4.0, workers=2, seed=1)
WEEKDAY_MORNINGS = {"weekdays": [0, 1, 2, 3, 4], "from": "08:00", "until": "10:00"}


def score(instance: Instance, plan: Plan) -> int:
    return plan.objective - instance.move_penalty * plan.moved


def crowded_monday() -> dict[str, Any]:
    """The app's case: two boosters booked Monday 08:00 take the one nurse's two infusions; a
    third patient can only come Monday 08:00-10:00. Each booster may go later that week."""
    return make_instance(
        chairs=["C1", "C2", "C3"],
        courses=[course("B1", weight=10, latest_start="2027-01-06"),
                 course("B2", weight=10, latest_start="2027-01-06"),
                 course("W", weight=10, latest_start="2027-01-04",
                        availability={"weekdays": [0], "from": "08:00", "until": "10:00"})],
        booked=[visit("B1", 1, "C1", "2027-01-04T08:00"), visit("B2", 1, "C2", "2027-01-04T08:00")],
    )


def booked_mornings(move_penalty: int) -> dict[str, Any]:
    """One chair. Four boosters booked at 08:00 on Mon 4, Wed 6, Fri 8 and Mon 11, each free to
    move within its day. W, four visits on weekday mornings, at most three in any seven days,
    needs both Mondays (Mon 4 to Fri 8 holds at most three; so does Tue 5 to Mon 11): two moves."""
    days = ["2027-01-04", "2027-01-06", "2027-01-08", "2027-01-11"]
    return make_instance(
        chairs=["C1"],
        courses=[course(f"B{i}", weight=10, earliest=d, latest_start=d) for i, d in enumerate(days, 1)]
        + [course("W", 4, weight=10, availability=WEEKDAY_MORNINGS)],
        booked=[visit(f"B{i}", 1, "C1", f"{d}T08:00") for i, d in enumerate(days, 1)],
        move_penalty=move_penalty,
    )


def solve_and_compare(data: dict[str, Any]) -> tuple[Instance, Plan, int]:
    """The CP-SAT plan (valid), and the exact optimum score, which the plan must reach."""
    inst = parse_instance(data)
    plan = solve_cpsat(inst, FAST)
    assert validate(inst, plan) == []
    exact, proven = solve_exact(inst, score=True)
    assert proven and validate(inst, exact) == []
    best = score(inst, exact)
    assert plan.score_bound is not None and best <= plan.score_bound
    return inst, plan, best


def test_one_move_fits_the_patient_who_can_only_come_monday_morning() -> None:
    inst, plan, best = solve_and_compare(crowded_monday())
    assert best == 29  # three courses of weight 10, one move
    assert plan.unscheduled == () and plan.moved == 1 and score(inst, plan) == 29
    assert plan.status == "optimal" and plan.score_bound == 29
    # Keeping every booking leaves W waiting: first-fit's score, which the move beats.
    greedy = solve_greedy(inst)
    assert greedy.unscheduled == ("W",) and score(inst, greedy) == 20
    w = next(a for a in plan.assignments if a.course == "W")
    assert w.start < 10 * 60  # Monday, 08:00 or 08:10


def test_two_moves_fit_a_four_visit_course_worth_more() -> None:
    inst, plan, best = solve_and_compare(booked_mornings(move_penalty=1))
    assert best == 48
    assert plan.unscheduled == () and plan.moved == 2 and score(inst, plan) == 48
    assert score(inst, solve_greedy(inst)) == 40
    # Only the two Mondays' boosters give up their 08:00 start.
    booked = {b.course: b.start for b in inst.booked}
    moved = sorted(a.course for a in plan.assignments if a.course in booked and a.start != booked[a.course])
    assert moved == ["B1", "B4"]


def test_moves_that_cost_more_than_the_course_is_worth_are_not_made() -> None:
    inst, plan, best = solve_and_compare(booked_mornings(move_penalty=6))
    assert best == 40  # two moves (12) cost more than W (10)
    assert plan.moved == 0 and plan.unscheduled == ("W",) and score(inst, plan) == 40
    assert plan.status == "optimal"
