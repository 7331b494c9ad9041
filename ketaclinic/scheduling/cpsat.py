"""CP-SAT optimizer, decomposed days first, then times within days.

Phase 1 solves the day-level relaxation (bound.py): which courses, and on which days each
visit falls. Its proven bound is the plan's bound. Phase 2 fixes those days and places
start times with one CP-SAT model holding a chair cumulative and a nurse cumulative per day
(capacity following the shifts through fixed dummy intervals); courses stay optional so a
day that the relaxation over-filled drops a course instead of failing. Chairs come from
interval colouring, or from explicit chair choice on days with locked visits. Phase 3 lets
first-fit add any course that still fits. The first-fit plan is the fallback and the hint.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from ketaclinic.scheduling.bound import DayModel, build_day_model
from ketaclinic.scheduling.common import (
    Board,
    CourseSlots,
    colour_chairs,
    course_slots,
    gap,
    make_plan,
    nurse_capacity,
)
from ketaclinic.scheduling.greedy import first_fit_course, solve_greedy, trivial_bound
from ketaclinic.scheduling.model import DAY, Assignment, Instance, Plan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Options:
    time_limit: float = 30.0
    workers: int = 2
    seed: int = 0


def _solver(seconds: float, opts: Options) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, seconds)
    solver.parameters.num_workers = opts.workers
    solver.parameters.random_seed = opts.seed
    return solver


def _hint_from(dm: DayModel, plan: Plan) -> None:
    days: dict[str, list[int]] = defaultdict(list)
    for a in plan.assignments:
        days[a.course].append(a.start // DAY)
    for cid, xc in dm.x.items():
        mine = days.get(cid, [])
        usable = bool(mine) and all(d in dm.y[cid] for d in mine) and min(mine) in dm.z[cid]
        dm.model.add_hint(xc, usable)
        for d, yd in dm.y[cid].items():
            dm.model.add_hint(yd, mine.count(d) if usable else 0)
        for f, zf in dm.z[cid].items():
            dm.model.add_hint(zf, usable and f == min(mine))


def _phase1(
    instance: Instance,
    slots: dict[str, CourseSlots],
    cap: npt.NDArray[np.int32],
    greedy: Plan,
    seconds: float,
    o: Options,
    *,
    fill: float,
    cache: dict[tuple[object, ...], int],
) -> tuple[dict[str, list[int]] | None, int | None, bool]:
    """Days per chosen course, a proven bound on weight (None unless `fill` is 1 and the solve
    ended with a bound), and whether the relaxation is infeasible."""
    dm = build_day_model(instance, slots, cap, fill=fill, cache=cache)
    moves = len(dm.keep) - sum(lit for _, _, lit in dm.keep)
    dm.model.maximize(dm.weight - instance.move_penalty * moves)
    booked_day = {(b.course, b.visit): b.start // DAY for b in instance.booked}
    _hint_from(dm, greedy)
    placed = {(a.course, a.visit): a.start // DAY for a in greedy.assignments}
    for cid, k, lit in dm.keep:
        dm.model.add_hint(lit, placed.get((cid, k)) == booked_day[(cid, k)])
    solver = _solver(seconds, o)
    status = solver.solve(dm.model)
    if status == cp_model.INFEASIBLE:
        return None, 0 if fill >= 1 else None, fill >= 1
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, None, False
    # The objective mixes weight and move penalties; every move costs at most the penalty.
    bound = math.floor(solver.best_objective_bound + 1e-6) + instance.move_penalty * len(dm.keep)
    chosen: dict[str, list[int]] = {}
    for cid, xc in dm.x.items():
        if solver.value(xc):
            chosen[cid] = sorted(d for d, yd in dm.y[cid].items() for _ in range(solver.value(yd)))
    return chosen, bound if fill >= 1 else None, False

def _construct(
    instance: Instance, slots: dict[str, CourseSlots], chosen: dict[str, list[int]]
) -> dict[tuple[str, int], tuple[int, int]]:
    """List scheduling of phase 1's days: day by day, tightest deadline first, earliest fit.

    Gives phase 2 a nearly complete starting point; a course that does not fit is dropped."""
    courses = {c.id: c for c in instance.courses}
    fixed = {(f.course, f.visit): f for f in instance.fixed}
    board = Board(instance)
    placed: dict[tuple[str, int], tuple[int, int]] = {}
    for f in instance.fixed:
        if f.course in chosen:
            ch = board.chair_index[f.chair]
            board.place(courses[f.course], f.start, ch)
            placed[(f.course, f.visit)] = (f.start, ch)
    per_day: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for cid, days in chosen.items():
        for k, d in enumerate(days, start=1):
            if (cid, k) not in fixed:
                per_day[d].append((cid, k))
    dropped: set[str] = set()

    def window(cid: str, k: int) -> tuple[int, int]:
        course, days = courses[cid], chosen[cid]
        g = gap(course)
        dom = slots[cid].starts.get(days[k - 1], [])
        lo, hi = (dom[0], dom[-1]) if dom else (1, 0)
        if (cid, k - 1) in placed:
            lo = max(lo, placed[(cid, k - 1)][0] + g)
        nxt = fixed.get((cid, k + 1))
        if nxt is not None:
            hi = min(hi, nxt.start - g)
        elif k < len(days):
            later = slots[cid].starts.get(days[k], [])
            if later:
                hi = min(hi, later[-1] - g)
        return lo, hi

    for d in sorted(per_day):
        todo = [(window(cid, k), cid, k) for cid, k in per_day[d] if cid not in dropped]
        todo.sort(key=lambda t: (t[0][1], t[0][0]))
        for (lo, hi), cid, k in todo:
            if cid in dropped:
                continue
            course = courses[cid]
            spot: tuple[int, int] | None = None
            for s in slots[cid].starts.get(d, []):
                if lo <= s <= hi:
                    chair = board.fits(course, s)
                    if chair is not None:
                        spot = (s, chair)
                        break
            if spot is None:
                dropped.add(cid)
                for j in range(1, len(chosen[cid]) + 1):
                    got = placed.pop((cid, j), None)
                    if got is not None and (cid, j) not in fixed:
                        board.remove(course, *got)
                continue
            board.place(course, *spot)
            placed[(cid, k)] = spot
    return {key: v for key, v in placed.items() if key[0] not in dropped}


def _phase2(
    instance: Instance,
    slots: dict[str, CourseSlots],
    cap: npt.NDArray[np.int32],
    chosen: dict[str, list[int]],
    seconds: float,
    o: Options,
    hint: dict[tuple[str, int], tuple[int, int]],
) -> list[Assignment] | None:
    m = cp_model.CpModel()
    courses = {c.id: c for c in instance.courses}
    fixed = {(f.course, f.visit): f for f in instance.fixed}
    booked = {(b.course, b.visit): b for b in instance.booked}
    required = {f.course for f in instance.fixed} | {b.course for b in instance.booked}
    n_chairs = len(instance.chairs)

    present: dict[str, cp_model.IntVar] = {}
    start: dict[tuple[str, int], cp_model.IntVar] = {}
    per_day: dict[int, list[tuple[str, int]]] = defaultdict(list)
    objective: list[cp_model.LinearExprT] = []
    for cid, days in chosen.items():
        course = courses[cid]
        p = m.new_bool_var(f"p_{cid}")
        present[cid] = p
        if cid in required:
            m.add(p == 1)
        objective.append(course.weight * p)
        m.add_hint(p, all((cid, k) in hint for k in range(1, len(days) + 1)))
        domains: list[list[int]] = []
        for k, d in enumerate(days, start=1):
            f = fixed.get((cid, k))
            dom = [f.start] if f is not None else list(slots[cid].starts.get(d, []))
            if not dom:
                dom = [d * DAY + instance.open_days[0].open % DAY]
                m.add(p == 0)
            domains.append(dom)
            var = m.new_int_var_from_domain(cp_model.Domain.from_values(dom), f"s_{cid}_{k}")
            start[(cid, k)] = var
            per_day[d].append((cid, k))
            if (cid, k) in hint:
                m.add_hint(var, hint[(cid, k)][0])
            b = booked.get((cid, k))
            if b is not None and f is None:
                kept = m.new_bool_var(f"kept_{cid}_{k}")
                if b.start in dom:
                    m.add(var == b.start).only_enforce_if(kept)
                else:
                    m.add(kept == 0)
                objective.append(instance.move_penalty * kept)
        g = gap(course)
        for k in range(1, len(days)):
            if domains[k][0] - domains[k - 1][-1] < g:
                m.add(start[(cid, k + 1)] >= start[(cid, k)] + g).only_enforce_if(p)

    explicit: dict[tuple[str, int], dict[str, cp_model.IntVar]] = {}
    for day in instance.open_days:
        items = per_day.get(day.day, [])
        if not items:
            continue
        chair_iv: list[cp_model.IntervalVar] = []
        inf_iv: list[cp_model.IntervalVar] = []
        inf_dem: list[int] = []
        has_fixed = any(key in fixed for key in items)
        by_chair: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
        for cid, k in items:
            ph = courses[cid].phases
            p, s = present[cid], start[(cid, k)]
            chair_iv.append(m.new_optional_fixed_size_interval_var(s, ph.total, p, f"c_{cid}_{k}"))
            inf_iv.append(m.new_optional_fixed_size_interval_var(s + ph.checkin, ph.infusion, p, f"i_{cid}_{k}"))
            inf_dem.append(1)
            if has_fixed:
                f = fixed.get((cid, k))
                if f is not None:
                    by_chair[f.chair].append(chair_iv[-1])
                    continue
                pick = {h: m.new_bool_var(f"a_{cid}_{k}_{h}") for h in instance.chairs}
                m.add(sum(pick.values()) == p)
                for h, lit in pick.items():
                    by_chair[h].append(m.new_optional_fixed_size_interval_var(s, ph.total, lit, f"ch_{cid}_{k}_{h}"))
                explicit[(cid, k)] = pick
        if has_fixed:
            for ivs in by_chair.values():
                m.add_no_overlap(ivs)
        else:
            m.add_cumulative(chair_iv, [1] * len(chair_iv), n_chairs)
        # Nurse capacity varies with shifts: top it at the day's peak, fill the dips with fixed blocks.
        prof = cap[day.open : day.close]
        peak = int(prof.max()) if prof.size else 0
        edges = [0, *(np.flatnonzero(np.diff(prof)) + 1).tolist(), int(prof.size)]
        for lo, hi in itertools.pairwise(edges):
            short = peak - int(prof[lo])
            if short > 0 and hi > lo:
                inf_iv.append(m.new_fixed_size_interval_var(day.open + lo, hi - lo, f"dip_{day.day}_{lo}"))
                inf_dem.append(short)
        m.add_cumulative(inf_iv, inf_dem, peak)

    m.maximize(sum(objective))
    solver = _solver(seconds, o)
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    visits: list[tuple[str, int, int]] = []
    chairs_of: dict[tuple[str, int], str] = {}
    for (cid, k), var in start.items():
        if not solver.value(present[cid]):
            continue
        visits.append((cid, k, solver.value(var)))
        if (cid, k) in fixed:
            chairs_of[(cid, k)] = fixed[(cid, k)].chair
        elif (cid, k) in explicit:
            chairs_of[(cid, k)] = next(h for h, lit in explicit[(cid, k)].items() if solver.value(lit))
    colours = colour_chairs(instance, visits, chairs_of)
    if colours is None:
        return None
    return [Assignment(cid, k, colours[(cid, k)], s) for cid, k, s in visits]


def _fill(instance: Instance, slots: dict[str, CourseSlots], assignments: list[Assignment]) -> list[Assignment]:
    """Phase 3: first-fit whatever still fits around the optimized plan, shortest courses first."""
    board = Board(instance)
    courses = {c.id: c for c in instance.courses}
    for a in assignments:
        board.place(courses[a.course], a.start, board.chair_index[a.chair])
    done = {a.course for a in assignments}
    result = list(assignments)
    waiting = sorted((c for c in instance.courses if c.id not in done), key=lambda c: c.visits)
    for course in waiting:
        got = first_fit_course(board, slots[course.id], {})
        if got is not None:
            result.extend(Assignment(course.id, 0, instance.chairs[ch], s) for s, ch in got)
    return result


def _score(instance: Instance, plan: Plan) -> int:
    return plan.objective - instance.move_penalty * plan.moved


def solve_cpsat(instance: Instance, opts: Options | None = None) -> Plan:
    o = opts or Options()
    t0 = time.perf_counter()

    def left() -> float:
        return o.time_limit - (time.perf_counter() - t0)

    slots = course_slots(instance)
    cap = nurse_capacity(instance)
    greedy = solve_greedy(instance)
    cache: dict[tuple[object, ...], int] = {}
    exact, bound, infeasible = _phase1(instance, slots, cap, greedy, left() * 0.45, o, fill=1.0, cache=cache)
    if infeasible:
        return make_plan(instance, "cpsat", [], status="infeasible", bound=0, seconds=time.perf_counter() - t0)
    log.info("relaxation: %s courses, bound %s (%.1fs)", None if exact is None else len(exact), bound,
             time.perf_counter() - t0)
    trivial = trivial_bound(instance)
    bound = trivial if bound is None else min(bound, trivial)
    candidates = [greedy]
    required = {f.course for f in instance.fixed} | {b.course for b in instance.booked}
    # Day plans to realise: the relaxation's own, and, when time allows, one that fills each
    # window only to 95% (perfect packings exist on paper but are hard to find in seconds).
    slack = None
    if left() > o.time_limit * 0.6:
        slack, _, _ = _phase1(instance, slots, cap, greedy, left() * 0.3, o, fill=0.95, cache=cache)
    for chosen in (exact, slack):
        if chosen is None or left() < 0.5:
            continue
        hint = _construct(instance, slots, chosen)
        log.info("day plan: %d courses, list scheduling keeps %d (%.1fs)", len(chosen),
                 len({k[0] for k in hint}), time.perf_counter() - t0)
        share = 0.5 if chosen is exact and slack is not None else 0.9
        assignments = _phase2(instance, slots, cap, chosen, left() * share, o, hint)
        if assignments is None:
            assignments = [Assignment(cid, k, instance.chairs[ch], s) for (cid, k), (s, ch) in hint.items()]
        plan = make_plan(instance, "cpsat", _fill(instance, slots, assignments), status="feasible", bound=bound,
                         seconds=0.0)
        log.info("times: %s courses, after fill %d (%.1fs)", "-" if assignments is None else
                 len({a.course for a in assignments}), plan.objective, time.perf_counter() - t0)
        if required.issubset({a.course for a in plan.assignments}):
            candidates.append(plan)
    best = max(candidates, key=lambda p: _score(instance, p))
    status = best.status
    if status == "feasible" and best.objective >= bound and best.moved == 0:
        status = "optimal"
    return make_plan(instance, "cpsat", list(best.assignments), status=status, bound=bound,
                     seconds=time.perf_counter() - t0)
