"""The proven bound is a bound: on tiny congested instances solved to proven optimality by a
plain exact model (exact.py), the optimizer's bound is never below the optimum and its plan
never above it. The exact plan passes the validator, so the optimum is a real plan."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from ketaclinic.scheduling.cpsat import Options, solve_cpsat
from ketaclinic.scheduling.generate import generate, with_bookings
from ketaclinic.scheduling.greedy import schedulable_alone, solve_greedy
from ketaclinic.scheduling.model import parse_instance, parse_plan, plan_to_json
from ketaclinic.scheduling.validate import validate

from .exact import solve_exact


def _tiny(seed: int) -> dict[str, Any]:
    """One chair, one nurse, six open days, 16 courses of at most three visits: congested."""
    data = generate(chairs=1, nurses=1, courses=16, days=6, seed=seed, booster_share=0.4)
    data["slot_minutes"] = 30
    for c in data["courses"]:
        c["visits"] = min(c["visits"], 3)
        c["latest_start"] = data["open_days"][-1]["date"]
    return data


@pytest.mark.parametrize("seed", [1, 2, 4, 5, 8])
def test_bound_is_at_least_the_proven_optimum(seed: int) -> None:
    inst = parse_instance(_tiny(seed))
    exact, proven = solve_exact(inst)
    assert proven
    assert validate(inst, exact) == []
    # Congested: first-fit leaves courses that fit an empty clinic, so the bound has work to do.
    assert solve_greedy(inst).objective < exact.objective < len(schedulable_alone(inst))
    plan = solve_cpsat(inst, Options(time_limit=4.0, workers=2, seed=1))
    assert validate(inst, plan) == []
    assert plan.objective <= exact.objective <= plan.bound


def test_mixed_visit_lengths_keep_the_bound_valid() -> None:
    # Longer pain infusions next to standard ones exercise the mixed-type window cuts.
    data = _tiny(3)
    for c in data["courses"][::3]:
        c["phases"] = {"checkin": 20, "infusion": 80, "recovery": 45}
    inst = parse_instance(data)
    exact, proven = solve_exact(inst)
    assert proven and validate(inst, exact) == []
    plan = solve_cpsat(inst, Options(time_limit=4.0, workers=2, seed=1))
    assert plan.objective <= exact.objective <= plan.bound


def test_replanning_plan_reports_a_score_bound_that_holds() -> None:
    data = with_bookings(generate(chairs=2, nurses=1, courses=20, days=10, seed=4))
    inst = parse_instance(data)
    plan = solve_cpsat(inst, Options(time_limit=4.0, workers=2, seed=1))
    assert plan.score_bound is not None
    assert plan.objective - inst.move_penalty * plan.moved <= plan.score_bound <= plan.bound
    text = plan_to_json(plan, inst.epoch)
    assert text["score_bound"] == plan.score_bound
    again = parse_plan(text, inst.epoch)
    assert again.score_bound == plan.score_bound and validate(inst, again) == []
    # A score bound below the plan's own score is caught by the validator.
    low = replace(again, score_bound=plan.objective - inst.move_penalty * plan.moved - 1)
    assert [v.rule for v in validate(inst, low)] == ["bound"]


def test_plain_plan_has_no_score_bound() -> None:
    inst = parse_instance(_tiny(1))
    plan = solve_cpsat(inst, Options(time_limit=2.0, workers=1, seed=1))
    assert plan.score_bound is None and "score_bound" not in plan_to_json(plan, inst.epoch)


@pytest.mark.parametrize("seed", [1, 2, 5, 8])
def test_replanning_bounds_hold_against_the_exact_optima(seed: int) -> None:
    # Half the list booked earlier by first-fit; every booking may move at a cost.
    inst = parse_instance(with_bookings(_tiny(seed), share=0.5, locked_days=0))
    assert inst.booked
    by_score, proven_score = solve_exact(inst, score=True)
    by_weight, proven_weight = solve_exact(inst)
    assert proven_score and proven_weight
    assert validate(inst, by_score) == [] and validate(inst, by_weight) == []
    best_score = by_score.objective - inst.move_penalty * by_score.moved
    plan = solve_cpsat(inst, Options(time_limit=4.0, workers=2, seed=1))
    assert validate(inst, plan) == [] and plan.score_bound is not None
    assert plan.objective - inst.move_penalty * plan.moved <= best_score <= plan.score_bound
    assert plan.objective <= by_weight.objective <= plan.bound
