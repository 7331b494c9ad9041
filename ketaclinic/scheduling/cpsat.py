"""CP-SAT optimizer, decomposed days first, then times within days.

Phase 1 solves the day-level relaxation (bound.py): which courses, and on which days each
visit falls. Its proven bound is the plan's bound. Phase 2 fixes those days and places
start times with one CP-SAT model holding a chair cumulative and a nurse cumulative per day
(capacity following the shifts through fixed dummy intervals); courses stay optional so a
day that the relaxation over-filled drops a course instead of failing. Chairs come from
interval colouring, or from explicit chair choice on days with locked visits. Phase 3 lets
first-fit add any course that still fits. The first-fit plan is the fallback and the hint.

Re-planning (bookings that may move at a cost) has two routes, and the better score wins:
bookings kept (newcomers planned around them, then waiting courses worth more than a move
inserted where they outweigh the moves they cause), and the day model with moves priced in
its objective, hinted with the first route's plan and realised like any other day plan.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass, replace

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
from ketaclinic.scheduling.greedy import Pin, first_fit_course, solve_greedy, trivial_bound
from ketaclinic.scheduling.model import DAY, Assignment, Instance, Plan
from ketaclinic.scheduling.packing import Item, pack, pack_days
from ketaclinic.scheduling.repair import insert_lost

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Options:
    """`time_limit` is a wall-clock cap on the whole solve. The day-model solves, where most of
    the search happens, are also limited by `work`, CP-SAT's deterministic time (a count of
    work, not seconds; by default time_limit / 10, which an unloaded machine does in well under
    half the time limit), and the realise-and-cut loop by `rounds`: on a machine busy with other
    work the same solve then does the same work and finds the same plan, as long as the wall
    cap is not reached."""

    time_limit: float = 30.0
    workers: int = 2
    seed: int = 0
    work: float | None = None
    rounds: int = 6


def _solver(seconds: float, opts: Options, work: float | None = None) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, seconds)
    if work is not None:
        solver.parameters.max_deterministic_time = max(0.01, work)
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


def _day_model(
    instance: Instance,
    slots: dict[str, CourseSlots],
    cap: npt.NDArray[np.int32],
    greedy: Plan,
    cache: dict[tuple[object, ...], int],
) -> DayModel:
    """The day-level relaxation with its objective, hinted with the first-fit plan."""
    dm = build_day_model(instance, slots, cap, cache=cache)
    moves = len(dm.keep) - sum(lit for _, _, lit in dm.keep)
    dm.model.maximize(dm.weight - instance.move_penalty * moves)
    _hint_plan(instance, dm, greedy)
    return dm


def _hint_plan(instance: Instance, dm: DayModel, plan: Plan) -> None:
    dm.model.clear_hints()  # type: ignore[no-untyped-call]
    _hint_from(dm, plan)
    booked_day = {(b.course, b.visit): b.start // DAY for b in instance.booked}
    placed = {(a.course, a.visit): a.start // DAY for a in plan.assignments}
    for cid, k, lit in dm.keep:
        dm.model.add_hint(lit, placed.get((cid, k)) == booked_day[(cid, k)])


@dataclass(frozen=True)
class DayPlan:
    chosen: dict[str, list[int]] | None  # days per chosen course (None: no solution in time)
    bound: int | None  # proven bound on the day model's objective (None: none in time)
    infeasible: bool
    work: float  # deterministic time spent


def _phase1(instance: Instance, dm: DayModel, seconds: float, work: float, o: Options) -> DayPlan:
    """Solve the day model. Its bound is only valid while `dm` holds valid cuts; it bounds the
    model's objective: total weight, or weight minus move penalties when re-planning."""
    solver = _solver(seconds, o, work)
    # One presolve round: the full presolve of the large relaxations costs ~4 s of 30.
    solver.parameters.max_presolve_iterations = 1
    status = solver.solve(dm.model)
    spent = solver.deterministic_time
    if status == cp_model.INFEASIBLE:
        return DayPlan(None, 0, True, spent)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return DayPlan(None, None, False, spent)
    bound = math.floor(solver.best_objective_bound + 1e-6)
    chosen: dict[str, list[int]] = {}
    for cid, xc in dm.x.items():
        if solver.value(xc):
            chosen[cid] = sorted(d for d, yd in dm.y[cid].items() for _ in range(solver.value(yd)))
    return DayPlan(chosen, bound, False, spent)


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


def _realise(
    instance: Instance,
    slots: dict[str, CourseSlots],
    cap: npt.NDArray[np.int32],
    chosen: dict[str, list[int]],
    seconds: float,
    o: Options,
) -> tuple[list[Assignment], dict[int, tuple[list[str], int]]] | None:
    """Phase 2: pack the day plan day by day (packing.py), colour chairs, then repair the
    courses that lost a visit by moving only the missing visits (first-fit, the others pinned)."""
    got = pack_days(instance, slots, cap, chosen, seconds, o.workers)
    if got is None:
        return None
    whole, partial = got.whole, got.partial
    fixed_chairs = {(f.course, f.visit): f.chair for f in instance.fixed if (f.course, f.visit) in whole}
    visits = [(cid, k, s) for (cid, k), s in whole.items()]
    colours = colour_chairs(instance, visits, fixed_chairs)
    if colours is None:
        return None
    result = [Assignment(cid, k, colours[(cid, k)], s) for cid, k, s in visits]
    board = Board(instance)
    courses = {c.id: c for c in instance.courses}
    for a in result:
        board.place(courses[a.course], a.start, board.chair_index[a.chair])
    fixed = {(f.course, f.visit): f for f in instance.fixed}
    for cid, got_starts in sorted(partial.items(), key=lambda kv: courses[kv[0]].visits - len(kv[1])):
        course = courses[cid]
        pins: dict[int, Pin] = {}
        for k, s in got_starts.items():
            pins[k] = Pin(s, 0, on_board=False)
        locked = [f for key, f in fixed.items() if key[0] == cid]
        for f in locked:
            ch = board.chair_index[f.chair]
            if board.chairs[ch, f.start : f.start + course.phases.total].any():
                break
            board.place(course, f.start, ch)
            pins[f.visit] = Pin(f.start, ch, on_board=True)
        else:
            placed = first_fit_course(board, slots[cid], pins)
            if placed is not None:
                result.extend(Assignment(cid, 0, instance.chairs[ch], s) for s, ch in placed)
                continue
        for f in locked:
            if pins.get(f.visit) == Pin(f.start, board.chair_index[f.chair], on_board=True):
                board.remove(course, f.start, board.chair_index[f.chair])
    return result, got.short


def _day_cuts(
    instance: Instance,
    dm: DayModel,
    slots: dict[str, CourseSlots],
    cap: npt.NDArray[np.int32],
    chosen: dict[str, list[int]],
    days: list[int],
    seconds: float,
    o: Options,
) -> int:
    """Logic-based Benders cuts for days whose load did not pack.

    The day's load, with each visit free anywhere in its whole-day domain, is packed exactly
    (packing.py); if even that proves at most `f` < load visits fit, then with n[t] the load's
    count of type t (same phases and starts) and x[t] the visits of type t that day in any plan,
    sum(min(x[t], n[t])) <= f: the min picks a sub-load, which packs no better. Written
    linearly with e[t] >= x[t] - n[t]. Valid for every plan, so the bound stays a bound, and
    swapping one course for another of the same type does not escape it. Days with locked
    visits are skipped. Returns the number of cuts added."""
    t0 = time.perf_counter()
    locked_days = {f.start // DAY for f in instance.fixed}
    courses = {c.id: c for c in instance.courses}
    load: dict[int, list[str]] = defaultdict(list)
    for cid, ds in chosen.items():
        for d in ds:
            load[d].append(cid)
    added = 0
    for i, d in enumerate(days):
        if d in locked_days or not load.get(d):
            continue
        share = (seconds - (time.perf_counter() - t0)) / (len(days) - i)
        if share < 0.05:
            break
        kind: dict[str, tuple[object, ...]] = {}
        for cid, yc in dm.y.items():
            if d in yc and slots[cid].starts.get(d):
                kind[cid] = (courses[cid].phases, tuple(slots[cid].starts[d]))
        mine = [cid for cid in load[d] if cid in kind]
        items = [Item((cid, j), courses[cid].phases, tuple(slots[cid].starts[d]), 1) for j, cid in enumerate(mine)]
        got = pack(items, len(instance.chairs), cap, share, o.workers)
        if got is None or got.bound >= len(items):
            continue
        count: dict[tuple[object, ...], int] = defaultdict(int)
        for cid in mine:
            count[kind[cid]] += 1
        terms: list[cp_model.LinearExprT] = []
        for key, n in count.items():
            x = sum(dm.y[cid][d] for cid, k in kind.items() if k == key)
            e = dm.model.new_int_var(0, len(instance.chairs) * 100, f"e_{d}_{added}_{len(terms)}")
            dm.model.add(e >= x - n)
            terms.append(x - e)
        dm.model.add(sum(terms) <= got.bound)
        added += 1
    return added


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


def _keep_bookings(
    instance: Instance,
    slots: dict[str, CourseSlots],
    cap: npt.NDArray[np.int32],
    start: Plan,
    cache: dict[tuple[object, ...], int],
    seconds: float,
    work: float,
    o: Options,
) -> tuple[Plan, float] | None:
    """Re-planning with every booking on its booked day: the day model restricted so (not a
    relaxation any more, so its bound is not used), realised day by day, then newcomers the
    packing lost re-packed around the kept bookings. None if that day model has no solution."""
    t0 = time.perf_counter()
    dm = build_day_model(instance, slots, cap, cache=cache)
    for _, _, lit in dm.keep:
        dm.model.add(lit == 1)
    dm.model.maximize(dm.weight)
    _hint_plan(instance, dm, start)
    got = _phase1(instance, dm, seconds * 0.6, work, o)
    if got.chosen is None:
        return None
    left = seconds - (time.perf_counter() - t0)
    realised = _realise(instance, slots, cap, got.chosen, left * 0.5, o)
    if realised is None:
        return None
    left = seconds - (time.perf_counter() - t0)
    assignments = insert_lost(instance, slots, cap, realised[0], got.chosen, left, o.workers, pin_booked=True)
    plan = make_plan(instance, "cpsat", _fill(instance, slots, assignments), status="feasible", bound=0, seconds=0.0)
    return plan, got.work


def solve_cpsat(instance: Instance, opts: Options | None = None) -> Plan:
    o = opts or Options()
    t0 = time.perf_counter()

    def left() -> float:
        return o.time_limit - (time.perf_counter() - t0)

    work = o.work if o.work is not None else o.time_limit / 10
    replan = bool(instance.booked)
    # Re-planning keeps a share of the time for the weight-only bound at the end.
    reserve = 0.2 * o.time_limit if replan else 0.0
    slots = course_slots(instance)
    cap = nurse_capacity(instance)
    greedy = solve_greedy(instance)
    # First-fit by start window (earliest, then latest start) is usually far better than
    # request order: a better starting point for the day model.
    by_window = sorted(instance.courses, key=lambda c: (c.earliest, c.latest_start))
    ordered = solve_greedy(replace(instance, courses=tuple(by_window)))
    ordered = make_plan(instance, "cpsat", list(ordered.assignments), status=ordered.status, bound=0, seconds=0.0)
    candidates = [greedy, ordered]
    start = max(candidates, key=lambda p: _score(instance, p))
    cache: dict[tuple[object, ...], int] = {}
    trivial = trivial_bound(instance)
    required = {f.course for f in instance.fixed} | {b.course for b in instance.booked}
    weights = {c.id: c.weight for c in instance.courses}
    kept_route = False
    if replan:
        # Route 1: newcomers planned around the bookings, none moved. Often the best plan, and
        # a strong hint for route 2, which may move bookings where a move pays.
        kept = _keep_bookings(instance, slots, cap, start, cache, left() * 0.55, work, o)
        if kept is not None:
            plan, spent = kept
            work -= spent
            log.info("bookings kept, day plan for newcomers: %d courses, %d moved (%.1fs)", plan.objective,
                     plan.moved, time.perf_counter() - t0)
            if required.issubset({a.course for a in plan.assignments}):
                candidates.append(plan)
                kept_route = True
                # Waiting courses worth more than a move: insert them into that plan, moving
                # bookings where the course outweighs its moves.
                dear = [cid for cid in plan.unscheduled if weights[cid] > instance.move_penalty]
                if dear:
                    moved_in = insert_lost(instance, slots, cap, list(plan.assignments), {}, min(left() * 0.15, 4.0),
                                           o.workers, wanted=dear, repacks=4)
                    plan = make_plan(instance, "cpsat", moved_in, status="feasible", bound=0, seconds=0.0)
                    log.info("waiting courses inserted with moves: %d courses, %d moved", plan.objective, plan.moved)
                    candidates.append(plan)
    if replan and not kept_route:
        # First-fit's plan with newcomers re-packed around its bookings.
        inserted = insert_lost(instance, slots, cap, list(start.assignments), {}, min(left() * 0.15, 4.0),
                               o.workers, wanted=[c.id for c in instance.courses], repacks=4, pin_booked=True)
        plan = make_plan(instance, "cpsat", _fill(instance, slots, inserted), status=start.status, bound=0,
                         seconds=0.0)
        log.info("bookings kept, newcomers inserted: %d courses, %d moved", plan.objective, plan.moved)
        if required.issubset({a.course for a in plan.assignments}):
            candidates.append(plan)
    # Route 2 (the only one without bookings): the day model, with moves priced in its
    # objective when re-planning, hinted with the best plan so far; its bound bounds the score,
    # and its day plan is realised below, where bookings move only when the score gains.
    dm = _day_model(instance, slots, cap, max(candidates, key=lambda p: _score(instance, p)), cache)
    if kept_route:
        # The kept-bookings route used work; leave this solve a fair share all the same.
        work = max(work, 0.3 * (o.work or o.time_limit / 10))
    first = _phase1(instance, dm, (left() - reserve) * 0.7, work, o)
    if first.infeasible and not kept_route:  # (a relaxation of a plan in hand is never infeasible)
        return make_plan(instance, "cpsat", [], status="infeasible", bound=0, seconds=time.perf_counter() - t0)
    work -= first.work
    chosen = first.chosen
    log.info("relaxation: %s courses, bound %s (%.1fs, work %.2f)", None if chosen is None else len(chosen),
             first.bound, time.perf_counter() - t0, first.work)
    bound = score_bound = trivial
    if first.bound is not None:
        # The day model's objective is weight - penalty x moves; every move costs at most the penalty.
        score_bound = min(trivial, first.bound)
        bound = min(trivial, first.bound + instance.move_penalty * len(dm.keep))
    # Realise the day plan. Days that could not take their load get logic-based Benders cuts
    # (valid, so the bound stays a bound) and the day model is asked again, from the best plan.
    rounds = 0
    if max(_score(instance, p) for p in candidates) >= score_bound:
        chosen = None  # a plan in hand already meets the bound
    while chosen is not None and left() - reserve > 0.5:
        rounds += 1
        short: dict[int, tuple[list[str], int]] = {}
        began = time.perf_counter()
        got = _realise(instance, slots, cap, chosen, min((left() - reserve) * 0.8, 10.0), o)
        if got is not None:
            assignments, short = got
        else:
            hint = _construct(instance, slots, chosen)
            timed = _phase2(instance, slots, cap, chosen, (left() - reserve) * 0.9, o, hint)
            listed = [Assignment(cid, k, instance.chairs[ch], s) for (cid, k), (s, ch) in hint.items()]
            assignments = listed if timed is None else timed
        # Courses the day-by-day packing lost go back on their planned (or nearby) days, re-packing days.
        assignments = insert_lost(instance, slots, cap, assignments, chosen, min((left() - reserve) * 0.4, 10.0),
                                  o.workers)
        plan = make_plan(instance, "cpsat", _fill(instance, slots, assignments), status="feasible", bound=bound,
                         seconds=0.0)
        log.info("day plan: %d courses, packed %d, after repair and fill %d, %d moved, complete %s (%.1fs)",
                 len(chosen), len({a.course for a in assignments}), plan.objective, plan.moved,
                 required.issubset({a.course for a in plan.assignments}), time.perf_counter() - t0)
        if required.issubset({a.course for a in plan.assignments}):
            candidates.append(plan)
        best = max(candidates, key=lambda p: _score(instance, p))
        # Another round needs cuts, a re-solve and a realisation like this one.
        if _score(instance, best) >= score_bound or rounds >= o.rounds or work <= 0.01:
            break
        if left() - reserve < 2.5 * (time.perf_counter() - began) + 2.0:
            break
        cuts = _day_cuts(instance, dm, slots, cap, chosen, sorted(short), min(left() * 0.2, 3.0), o)
        _hint_plan(instance, dm, best)
        again = _phase1(instance, dm, (left() - reserve) * 0.5, work, o)
        work -= again.work
        chosen = again.chosen
        log.info("%d day cuts; relaxation again: %s courses, bound %s (%.1fs, work %.2f)", cuts,
                 None if chosen is None else len(chosen), again.bound, time.perf_counter() - t0, again.work)
        if chosen is not None and again.bound is not None:
            score_bound = min(score_bound, again.bound)
            bound = min(bound, again.bound + instance.move_penalty * len(dm.keep))
    best = max(candidates, key=lambda p: _score(instance, p))
    if replan and left() > 0.5:
        # A bound on the weight alone: the same relaxation (cuts included), weight as objective.
        dm.model.maximize(dm.weight)
        _hint_plan(instance, dm, best)
        alone = _phase1(instance, dm, left() * 0.9, max(work, 0.3 * (o.work or o.time_limit / 10)), o)
        log.info("weight-only relaxation: bound %s (%.1fs)", alone.bound, time.perf_counter() - t0)
        if alone.bound is not None and not alone.infeasible:
            bound = min(bound, alone.bound)
    score_bound = min(score_bound, bound)
    status = best.status
    if status == "feasible" and _score(instance, best) >= score_bound:
        status = "optimal"
    return make_plan(instance, "cpsat", list(best.assignments), status=status, bound=bound,
                     seconds=time.perf_counter() - t0, score_bound=score_bound if replan else None)
