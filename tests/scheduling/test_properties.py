"""Property tests: on random small instances every plan from either method passes the validator."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketaclinic.scheduling.cpsat import Options, solve_cpsat
from ketaclinic.scheduling.generate import generate
from ketaclinic.scheduling.greedy import solve_greedy
from ketaclinic.scheduling.model import parse_instance
from ketaclinic.scheduling.validate import validate

instances = st.builds(
    lambda chairs, nurses, courses, days, seed, share, gap: _tweak(
        generate(chairs=chairs, nurses=nurses, courses=courses, days=days, seed=seed, booster_share=share), gap
    ),
    chairs=st.integers(1, 3),
    nurses=st.integers(0, 2),
    courses=st.integers(0, 14),
    days=st.integers(1, 12),
    seed=st.integers(0, 10_000),
    share=st.floats(0, 1),
    gap=st.sampled_from([None, 0, 3, 30]),
)


def _tweak(data: dict[str, object], gap: int | None) -> dict[str, object]:
    """Vary the spacing rule too: 0 or 3 hours lets two visits share a day."""
    if gap is not None:
        for c in data["courses"]:  # type: ignore[attr-defined]
            c["min_gap_hours"] = gap
            c["visits"] = min(c["visits"], 3)
    return data


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances)
def test_greedy_plans_always_valid(data: dict[str, object]) -> None:
    inst = parse_instance(data)
    plan = solve_greedy(inst)
    assert validate(inst, plan) == []


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances)
def test_cpsat_plans_always_valid_and_not_worse(data: dict[str, object]) -> None:
    inst = parse_instance(data)
    plan = solve_cpsat(inst, Options(time_limit=2.0, workers=1, seed=0))
    assert validate(inst, plan) == []
    assert plan.objective >= solve_greedy(inst).objective
