"""The day-level relaxation: an upper bound on scheduled weight, and phase 1 of the optimizer.

The relaxation keeps every course rule that lives at day granularity exactly (how many
visits on which days, the 7-day maximum, the window from the first visit, earliest and
latest start, pairs of days too close for the minimum gap) and replaces the exact times
inside a day with *window capacity cuts*: for each day and each time window [a, b] built
from the courses' own windows, the visits that must lie inside [a, b] cannot outnumber
the most visits that fit there at all (chairs and the nurse profile of that day), a number
found exactly by a tiny time-indexed integer program.

Why the cuts are valid for mixed visit lengths: a visit with phases (c, i, r), each at least
the minimum (c0, i0, r0) over the window's courses, contains a minimum visit started c - c0
minutes later (its chair time and its infusion are both subsets of the original), so any
feasible set of real visits maps to a feasible set of minimum visits of the same size, on a
grid of gcd(slot, c - c0) minutes.

Any plan satisfies this relaxation, so CP-SAT's proven bound on it bounds every plan.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from ketaclinic.scheduling.common import CourseSlots, gap
from ketaclinic.scheduling.model import DAY, Course, Instance, Phases


def max_visits(
    *,
    types: list[tuple[Phases, list[int], int]],
    chairs: int,
    cap: npt.NDArray[np.int32],
) -> int:
    """Largest weighted count of visits, each type given as (phases, allowed starts, weight),
    that fit `chairs` chairs and the nurse capacity `cap` (per absolute minute).

    Exact, by a time-indexed integer program: at most `chairs` overlapping intervals can
    always be given chairs (interval graphs are perfect), whatever their lengths."""
    m = cp_model.CpModel()
    n: list[tuple[cp_model.IntVar, int, Phases, int]] = []
    for ph, starts, w in types:
        n.extend((m.new_int_var(0, chairs, f"n{len(n)}"), t, ph, w) for t in starts)
    if not n:
        return 0
    for tau in sorted({t for _, t, _, _ in n}):
        covering = [v for v, t, ph, _ in n if t <= tau < t + ph.total]
        m.add(sum(covering) <= chairs)
    # Infusion load changes only where an infusion starts or the capacity changes.
    lo = min(t + ph.checkin for _, t, ph, _ in n)
    hi = max(t + ph.checkin + ph.infusion for _, t, ph, _ in n)
    points = {t + ph.checkin for _, t, ph, _ in n}
    points.update(int(p) for p in np.flatnonzero(np.diff(cap[lo:hi])) + lo + 1)
    for tau in sorted(points):
        covering = [v for v, t, ph, _ in n if t + ph.checkin <= tau < t + ph.checkin + ph.infusion]
        if covering:
            m.add(sum(covering) <= int(cap[tau]))
    m.maximize(sum(w * v for v, _, _, w in n))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 2.0
    solver.parameters.cp_model_presolve = False  # tiny models: presolve costs more than it saves
    status = solver.solve(m)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return math.floor(solver.best_objective_bound + 1e-6)
    return chairs * sum(w * len(starts) for _, starts, w in types)


@dataclass
class DayModel:
    """CP-SAT model of the day-level relaxation."""

    model: cp_model.CpModel
    x: dict[str, cp_model.IntVar]
    y: dict[str, dict[int, cp_model.IntVar]]
    z: dict[str, dict[int, cp_model.IntVar]]
    keep: list[tuple[str, int, cp_model.IntVar]]  # (course, visit, literal) for booked visits
    ub: dict[str, dict[int, int]]  # most visits of a course on a day
    weight: cp_model.LinearExpr
    penalty_weight: int
    impossible: set[str] = field(default_factory=set)


def _windows(
    instance: Instance, slots: dict[str, CourseSlots], fixed_by_day: dict[int, list[tuple[Course, int]]]
) -> dict[int, dict[str, tuple[int, int]]]:
    """Per day: each course's window [first start, last end] there (fixed times included)."""
    out: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    for cid, sl in slots.items():
        total = sl.course.phases.total
        for d, starts in sl.starts.items():
            out[d][cid] = (starts[0], starts[-1] + total)
    for d, items in fixed_by_day.items():
        for course, start in items:
            a, b = out[d].get(course.id, (start, start + course.phases.total))
            out[d][course.id] = (min(a, start), max(b, start + course.phases.total))
    return out


def build_day_model(
    instance: Instance,
    slots: dict[str, CourseSlots],
    cap: npt.NDArray[np.int32],
    *,
    with_cuts: bool = True,
    fill: float = 1.0,
    cache: dict[tuple[object, ...], int] | None = None,
) -> DayModel:
    """The relaxation itself with `fill` = 1. With `fill` < 1 every window may only be filled
    to that share of its capacity: no longer a relaxation, but a day plan that phase 2 can
    realise (perfect packings exist on paper and are hard to find in seconds)."""
    m = cp_model.CpModel()
    courses = {c.id: c for c in instance.courses}
    fixed: dict[str, dict[int, int]] = defaultdict(dict)
    fixed_by_day: dict[int, list[tuple[Course, int]]] = defaultdict(list)
    for f in instance.fixed:
        fixed[f.course][f.visit] = f.start
        fixed_by_day[f.start // DAY].append((courses[f.course], f.start))
    booked: dict[str, dict[int, int]] = defaultdict(dict)
    for b in instance.booked:
        booked[b.course][b.visit] = b.start

    x: dict[str, cp_model.IntVar] = {}
    y: dict[str, dict[int, cp_model.IntVar]] = {}
    z: dict[str, dict[int, cp_model.IntVar]] = {}
    keep: list[tuple[str, int, cp_model.IntVar]] = []
    ubs: dict[str, dict[int, int]] = {}
    impossible: set[str] = set()
    for course in instance.courses:
        cid = course.id
        sl = slots[cid]
        g = gap(course)
        fixed_days: dict[int, int] = defaultdict(int)
        for start in fixed[cid].values():
            fixed_days[start // DAY] += 1
        days = sorted(set(sl.starts) | set(fixed_days))
        first_days = [fixed[cid][1] // DAY] if 1 in fixed[cid] else sl.first_days
        must = bool(fixed.get(cid)) or bool(booked.get(cid))
        if not first_days or not days:
            impossible.add(cid)
            if not must:
                continue
        xc = m.new_bool_var(f"x_{cid}")
        x[cid] = xc
        if must:
            m.add(xc == 1)
        # Most visits one day can hold for this course (more than one only if the gap allows).
        ub: dict[int, int] = {}
        for d in days:
            st = sl.starts.get(d, [])
            per_day = 1 + (st[-1] - st[0]) // g if st else 0
            ub[d] = max(fixed_days.get(d, 0), min(per_day, course.visits, course.max_per_7_days))
        ubs[cid] = ub
        yc = {d: m.new_int_var(0, ub[d], f"y_{cid}_{d}") for d in days if ub[d] > 0}
        zc = {fd: m.new_bool_var(f"z_{cid}_{fd}") for fd in first_days if fd in yc}
        y[cid], z[cid] = yc, zc
        m.add(sum(yc.values()) == course.visits * xc)
        m.add(sum(zc.values()) == xc)
        for fd, zf in zc.items():
            m.add(yc[fd] >= 1).only_enforce_if(zf)
        for d, yd in yc.items():
            opens = [zf for fd, zf in zc.items() if d - course.window_days < fd <= d]
            if opens:
                m.add(yd <= ub[d] * sum(opens))
            else:
                m.add(yd == 0)
        dlist = sorted(yc)
        for t in range(dlist[0] - 6, dlist[-1] + 1) if dlist else range(0):
            inside = [d for d in dlist if t <= d <= t + 6]
            if sum(ub[d] for d in inside) > course.max_per_7_days:
                m.add(sum(yc[d] for d in inside) <= course.max_per_7_days)
        for i, d1 in enumerate(dlist):
            for d2 in dlist[i + 1 :]:
                s1, s2 = sl.starts.get(d1), sl.starts.get(d2)
                if not s1 or not s2 or ub[d1] > 1 or ub[d2] > 1:
                    continue
                if s2[-1] - s1[0] >= g:
                    break
                m.add(yc[d1] + yc[d2] <= 1)
        # Locked visits pin their day and their rank among the course's visits.
        for k, start in fixed[cid].items():
            d = start // DAY
            m.add(yc[d] >= fixed_days[d])
            m.add(sum(yc[e] for e in dlist if e < d) <= k - 1)
            m.add(sum(yc[e] for e in dlist if e <= d) >= k)
        for k, start in booked[cid].items():
            d = start // DAY
            lit = m.new_bool_var(f"keep_{cid}_{k}")
            keep.append((cid, k, lit))
            if d not in yc:
                m.add(lit == 0)
                continue
            m.add(yc[d] >= 1).only_enforce_if(lit)
            m.add(sum(yc[e] for e in dlist if e < d) <= k - 1).only_enforce_if(lit)
            m.add(sum(yc[e] for e in dlist if e <= d) >= k).only_enforce_if(lit)

    if with_cuts:
        windows = _windows(instance, slots, fixed_by_day)
        # A kept booking sits at its booked time: (start, course, literal) per day.
        kept: dict[int, list[tuple[int, str, cp_model.IntVar]]] = defaultdict(list)
        for cid, k, lit in keep:
            start = booked[cid][k]
            kept[start // DAY].append((start, cid, lit))
        _add_cuts(m, instance, y, ubs, windows, cap, fill, {} if cache is None else cache, kept)

    weight = cp_model.LinearExpr.weighted_sum(list(x.values()), [courses[c].weight for c in x])
    return DayModel(m, x, y, z, keep, ubs, weight, instance.move_penalty, impossible)


def _add_cuts(
    m: cp_model.CpModel,
    instance: Instance,
    y: dict[str, dict[int, cp_model.IntVar]],
    ubs: dict[str, dict[int, int]],
    windows: dict[int, dict[str, tuple[int, int]]],
    cap: npt.NDArray[np.int32],
    fill: float,
    cache: dict[tuple[object, ...], int],
    kept: dict[int, list[tuple[int, str, cp_model.IntVar]]] | None = None,
) -> None:
    """Window capacity cuts. With several visit types in a window, besides the plain count we
    add cuts weighting each longer type double: they see that long visits eat chair time and
    nurse time, which a count alone cannot.

    Re-planning: a booking kept at its booked time lies inside every window that holds its
    interval, whatever its course's window that day, so its keep literal joins the count of
    such windows (unless its course is a member already; only bookings of a visit type the
    window's limit was computed for). Valid for the score: a plan that keeps the start keeps
    the literal; one that moves it pays the penalty and escapes the cut, as it should."""
    courses = {c.id: c for c in instance.courses}
    chairs = len(instance.chairs)
    slot = instance.slot_minutes
    for day in instance.open_days:
        wins = {cid: w for cid, w in windows.get(day.day, {}).items() if cid in y and day.day in y[cid]}
        if not wins:
            continue
        lefts = sorted({a for a, _ in wins.values()})
        rights = sorted({b for _, b in wins.values()})
        base = day.day * DAY
        for a in lefts:
            for b in rights:
                members = [cid for cid, (wa, wb) in wins.items() if a <= wa and wb <= b]
                if b <= a or not members:
                    continue
                groups: dict[Phases, list[str]] = defaultdict(list)
                for cid in members:
                    groups[courses[cid].phases].append(cid)
                type_of = {p: p for p in groups}
                if len(groups) > 3:
                    # Many visit types: one type of minimum phases stands in for all of them.
                    ph = list(groups)
                    c0 = min(p.checkin for p in ph)
                    small = Phases(c0, min(p.infusion for p in ph), min(p.recovery for p in ph))
                    grid = slot
                    for p in ph:
                        grid = math.gcd(grid, p.checkin - c0)
                    groups = {small: members}
                    type_of = dict.fromkeys(ph, small)
                else:
                    grid = slot
                first = day.open + math.ceil((a - day.open) / grid) * grid
                shapes = sorted(groups, key=lambda p: p.total)
                # Bookings kept inside [a, b] of courses that are not members, by the type they count as.
                inside: list[tuple[Phases, cp_model.IntVar]] = []
                for start, cid, lit in (kept or {}).get(day.day, []):
                    shape = courses[cid].phases
                    if a <= start and start + shape.total <= b and cid not in members and shape in type_of:
                        inside.append((type_of[shape], lit))
                directions = [dict.fromkeys(shapes, 1)]
                directions += [{p: 2 if p == q else 1 for p in shapes} for q in shapes[1:]]
                for weights in directions:
                    demand = sum(weights[p] * ubs[cid][day.day] for p, cids in groups.items() for cid in cids)
                    demand += sum(weights[p] for p, _ in inside)
                    if b - a < shapes[0].total:
                        continue
                    key = (a - base, b - base, first - base, grid, tuple(sorted(weights.items(), key=str)),
                           cap[a:b].tobytes())
                    if key not in cache:
                        types = [(p, list(range(first, b - p.total + 1, grid)), weights[p]) for p in shapes]
                        cache[key] = max_visits(types=types, chairs=chairs, cap=cap)
                    limit = math.floor(cache[key] * fill)
                    if demand > limit:
                        m.add(sum(weights[p] * y[cid][day.day] for p, cids in groups.items() for cid in cids)
                              + sum(weights[p] * lit for p, lit in inside) <= limit)

