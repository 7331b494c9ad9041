"""Exact day packing, realising day plans, Benders day cuts and re-planning instances."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.scheduling.common import course_slots, nurse_capacity
from ketaclinic.scheduling.cpsat import Options, _day_cuts, _day_model, _phase1, solve_cpsat
from ketaclinic.scheduling.generate import generate, with_bookings
from ketaclinic.scheduling.greedy import solve_greedy
from ketaclinic.scheduling.model import Phases, parse_instance
from ketaclinic.scheduling.packing import Item, pack, pack_days
from ketaclinic.scheduling.validate import validate

from .factory import course, make_instance

VISIT = Phases(20, 40, 45)


def _flat(minutes: int, value: int) -> np.ndarray:
    return np.full(minutes, value, dtype=np.int32)


def test_pack_one_chair_holds_five_visits_in_ten_hours() -> None:
    starts = tuple(range(480, 1080 - VISIT.total + 1, 10))
    items = [Item(("P", k), VISIT, starts, 1) for k in range(7)]
    got = pack(items, chairs=1, cap=_flat(1440, 4), seconds=5.0)
    assert got is not None and got.optimal
    assert len(got.starts) == got.bound == 5
    ends = sorted(got.starts.values())
    assert all(b - a >= VISIT.total for a, b in itertools.pairwise(ends))


def test_pack_respects_nurse_profile() -> None:
    # Two chairs, but one infusion at a time: the 40-minute infusions must not overlap.
    starts = tuple(range(480, 600, 10))
    items = [Item(("P", k), VISIT, starts, 1) for k in range(4)]
    got = pack(items, chairs=2, cap=_flat(1440, 1), seconds=5.0)
    assert got is not None and got.optimal
    infusions = sorted(s + VISIT.checkin for s in got.starts.values())
    assert all(b - a >= VISIT.infusion for a, b in itertools.pairwise(infusions))
    assert len(got.starts) == 3  # 08:20..10:20 holds three 40-minute infusions back to back


def test_pack_keeps_booked_start_and_locked_visits() -> None:
    starts = tuple(range(480, 700, 10))
    items = [
        Item(("L", 1), VISIT, (480,), 10, must=True),
        Item(("B", 1), VISIT, starts, 10, booked=600, bonus=5),
        Item(("N", 1), VISIT, starts, 1),
    ]
    got = pack(items, chairs=1, cap=_flat(1440, 2), seconds=5.0)
    assert got is not None
    assert got.starts[("L", 1)] == 480 and got.starts[("B", 1)] == 600


def test_pack_locked_visits_that_clash_give_none() -> None:
    items = [Item(("L", k), VISIT, (480,), 1, must=True) for k in range(2)]
    assert pack(items, chairs=1, cap=_flat(1440, 2), seconds=2.0) is None


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(1, 9),
    chairs=st.integers(1, 3),
    nurse=st.integers(1, 3),
    width=st.integers(12, 40),
)
def test_pack_never_overfills(n: int, chairs: int, nurse: int, width: int) -> None:
    starts = tuple(range(480, 480 + 10 * width, 10))
    items = [Item(("P", k), VISIT, starts[k % 3 :], 1) for k in range(n)]
    got = pack(items, chairs=chairs, cap=_flat(1440, nurse), seconds=2.0)
    assert got is not None and len(got.starts) <= got.bound
    seats = np.zeros(1440, dtype=np.int32)
    load = np.zeros(1440, dtype=np.int32)
    for s in got.starts.values():
        seats[s : s + VISIT.total] += 1
        load[s + VISIT.checkin : s + VISIT.checkin + VISIT.infusion] += 1
    assert seats.max() <= chairs and load.max() <= nurse


def test_pack_days_realises_a_feasible_day_plan() -> None:
    inst = parse_instance(make_instance(courses=[course("P1", 3), course("P2", 2), course("B")]))
    slots, cap = course_slots(inst), nurse_capacity(inst)
    got = pack_days(inst, slots, cap, {"P1": [0, 1, 3], "P2": [0, 2], "B": [4]}, 5.0, 1)
    assert got is not None and not got.partial and not got.short
    assert sorted(k for k in got.whole if k[0] == "P1") == [("P1", 1), ("P1", 2), ("P1", 3)]
    # Monday then Tuesday: at least 20 hours apart.
    assert got.whole[("P1", 2)] - got.whole[("P1", 1)] >= 20 * 60


def test_day_cuts_keep_the_bound_valid() -> None:
    inst = parse_instance(generate(chairs=2, nurses=1, courses=30, days=10, seed=5))
    slots, cap = course_slots(inst), nurse_capacity(inst)
    greedy = solve_greedy(inst)
    dm = _day_model(inst, slots, cap, greedy, {})
    o = Options(time_limit=5.0, workers=2, seed=1)
    first = _phase1(inst, dm, 3.0, 10.0, o)
    chosen, bound = first.chosen, first.bound
    assert chosen is not None and bound is not None
    _day_cuts(inst, dm, slots, cap, chosen, sorted({d for ds in chosen.values() for d in ds}), 3.0, o)
    second = _phase1(inst, dm, 3.0, 10.0, o)
    again, tighter = second.chosen, second.bound
    assert not second.infeasible and tighter is not None
    plan = solve_cpsat(inst, Options(time_limit=6.0, workers=2, seed=1))
    assert validate(inst, plan) == []
    # Valid cuts: no plan, first-fit's or the optimizer's, beats the re-solved bound.
    assert max(plan.objective, greedy.objective) <= tighter <= bound
    assert again is not None


def test_replanning_instance_keeps_every_booked_course() -> None:
    data = with_bookings(generate(chairs=3, nurses=2, courses=30, days=12, seed=2))
    inst = parse_instance(data)
    assert inst.fixed and inst.booked
    greedy = solve_greedy(inst)
    plan = solve_cpsat(inst, Options(time_limit=5.0, workers=2, seed=1))
    for p in (greedy, plan):
        assert validate(inst, p) == []
    required = {v.course for v in (*inst.fixed, *inst.booked)}
    assert required <= {a.course for a in plan.assignments}
    assert plan.objective - inst.move_penalty * plan.moved >= greedy.objective - inst.move_penalty * greedy.moved
