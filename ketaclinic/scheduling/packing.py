"""Packing one day exactly, and realising a whole day plan day by day.

A day's visits are grouped into *types*: same phases, allowed starts, weight and booked start.
Visits of one type are interchangeable, so the day is a tiny time-indexed integer program
over counts `n[type, start]`: at every start at most #chairs visits overlap (enough for a
chair colouring, interval graphs being perfect) and at every infusion start or change of
shift the infusions stay within the nurse profile. Its LP relaxation is strong, so CP-SAT
proves most days in a fraction of a second, where a model with one interval per visit
stalls for seconds on 90-visit days.

`pack` also returns a proven bound; with each visit's whole-day domain that bound limits
any plan, which is what the relaxation's day cuts use (see `cpsat.py`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from ketaclinic.scheduling.common import CourseSlots, gap
from ketaclinic.scheduling.model import Course, Instance, Phases

Key = tuple[str, int]


@dataclass(frozen=True)
class Item:
    """One visit to place on a day."""

    key: Key
    phases: Phases
    domain: tuple[int, ...]
    weight: int
    must: bool = False  # a locked visit: placed or the day is infeasible
    rank: int = 0  # among interchangeable visits, lower ranks take the earlier starts
    booked: int | None = None  # a booked start that earns `bonus` when kept
    bonus: int = 0


@dataclass(frozen=True)
class Packed:
    starts: dict[Key, int]
    bound: int  # proven upper bound on the packed weight (bonuses included)
    optimal: bool


def pack(
    items: Sequence[Item], chairs: int, cap: npt.NDArray[np.int32], seconds: float, workers: int = 1
) -> Packed | None:
    """Most weight of `items` that fits one day; None if the locked visits alone do not fit
    (or nothing was found in time)."""
    if not items:
        return Packed({}, 0, True)
    groups: dict[tuple[object, ...], list[Item]] = defaultdict(list)
    for it in items:
        groups[(it.phases, it.domain, it.weight, it.must, it.booked, it.bonus)].append(it)
    m = cp_model.CpModel()
    cells: list[tuple[cp_model.IntVar, int, Phases]] = []
    by_group: list[tuple[list[Item], dict[int, cp_model.IntVar]]] = []
    objective: list[cp_model.LinearExprT] = []
    for members in groups.values():
        first = members[0]
        size = len(members)
        var = {t: m.new_int_var(0, min(size, chairs), f"n{len(cells) + i}") for i, t in enumerate(first.domain)}
        cells.extend((v, t, first.phases) for t, v in var.items())
        total = sum(var.values())
        if first.must:
            m.add(total == size)
        else:
            m.add(total <= size)
        objective.append(first.weight * total)
        if first.booked is not None and first.booked in var:
            objective.append(first.bonus * var[first.booked])
        by_group.append((members, var))
    for tau in sorted({t for _, t, _ in cells}):
        covering = [v for v, t, ph in cells if t <= tau < t + ph.total]
        if len(covering) > 1:
            m.add(sum(covering) <= chairs)
    lo = min(t + ph.checkin for _, t, ph in cells)
    hi = max(t + ph.checkin + ph.infusion for _, t, ph in cells)
    points = {t + ph.checkin for _, t, ph in cells}
    points.update(int(p) for p in np.flatnonzero(np.diff(cap[lo:hi])) + lo + 1)
    for tau in sorted(points):
        covering = [v for v, t, ph in cells if t + ph.checkin <= tau < t + ph.checkin + ph.infusion]
        if covering:
            m.add(sum(covering) <= int(cap[tau]))
    m.maximize(sum(objective))
    start = _first_fit(by_group, chairs, cap)
    for (_, var), count in zip(by_group, start, strict=True):
        for t, v in var.items():
            m.add_hint(v, count.get(t, 0))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, seconds)
    # Measured on 90-visit days: one worker without presolve proves a day fastest (~0.1 s).
    solver.parameters.num_workers = 1 if workers <= 2 else workers
    solver.parameters.cp_model_presolve = False
    # Out of time: first-fit alone (a solve costs its presolve however short the limit).
    status = solver.solve(m) if seconds >= 0.05 else cp_model.UNKNOWN
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    if not found and any(count.get(t, 0) != len(g) for (g, var), count in zip(by_group, start, strict=True)
                         if g[0].must for t in var):
        return None  # locked visits that do not fit
    starts: dict[Key, int] = {}
    for (members, var), count in zip(by_group, start, strict=True):
        taken = sorted(t for t, v in var.items() for _ in range(solver.value(v) if found else count.get(t, 0)))
        for it, t in zip(sorted(members, key=lambda i: i.rank), taken, strict=False):
            starts[it.key] = t
    if not found:  # out of time before the solver reported: first-fit, with the trivial bound
        return Packed(starts, sum(it.weight + it.bonus for it in items), False)
    bound = int(solver.best_objective_bound + 1e-6)
    return Packed(starts, bound, status == cp_model.OPTIMAL)


@dataclass(frozen=True)
class Realised:
    whole: dict[Key, int]  # starts of every visit of the courses placed whole
    partial: dict[str, dict[int, int]]  # courses that lost a visit: the starts they did get
    short: dict[int, tuple[list[str], int]]  # days that could not take all: (courses tried, placed)


def pack_days(
    instance: Instance,
    slots: dict[str, CourseSlots],
    cap: npt.NDArray[np.int32],
    chosen: dict[str, list[int]],
    seconds: float,
    workers: int,
) -> Realised | None:
    """Realise a day plan (the days of each chosen course's visits) day by day.

    None when the plan cannot be handled this way (two visits of a course on one day, or
    locked visits that clash)."""
    t0 = time.perf_counter()
    courses = {c.id: c for c in instance.courses}
    fixed = {(f.course, f.visit): f.start for f in instance.fixed}
    booked = {(b.course, b.visit): b.start for b in instance.booked}
    required = {f.course for f in instance.fixed} | {b.course for b in instance.booked}
    heavy = 1 + sum(c.weight for c in instance.courses)
    # A newcomer's visit here is worth little until its other days work out too; a booking
    # kept is worth its penalty for sure. Keep bookings unless a required course needs room.
    keep = instance.move_penalty * max((c.visits for c in instance.courses), default=1)
    per_day: dict[int, list[Key]] = defaultdict(list)
    for cid, days in chosen.items():
        if len(set(days)) < len(days):
            return None
        for k, d in enumerate(days, start=1):
            per_day[d].append((cid, k))
    placed: dict[Key, int] = {}
    lost: set[str] = set()
    short: dict[int, tuple[list[str], int]] = {}
    order = sorted(per_day)
    plan_days = {cid: list(ds) for cid, ds in chosen.items()}
    order = sorted(set(per_day) | {day.day for day in instance.open_days})

    def lose(cid: str, k: int, d: int) -> None:
        """A visit whose start window on day d is empty (the previous visit ended late) moves
        to a later day of the plan if the course's day rules allow it, else the course is lost."""
        e = None if (cid, k) in fixed else _later_day(courses[cid], slots[cid], plan_days[cid], k, d)
        if e is None:
            lost.add(cid)
        else:
            plan_days[cid][k - 1] = e
            per_day[e].append((cid, k))

    for i, d in enumerate(order):
        items: list[Item] = []
        for cid, k in per_day.get(d, []):
            if cid in lost:
                continue
            course, days = courses[cid], plan_days[cid]
            g = gap(course)
            lo, hi = -1, 1 << 40
            if k > 1 and (cid, k - 1) in placed:
                lo = placed[(cid, k - 1)] + g
            nxt = fixed.get((cid, k + 1))
            later = slots[cid].starts.get(days[k], []) if k < len(days) else []
            if nxt is not None:
                hi = nxt - g
            elif later:
                hi = later[-1] - g
            if (cid, k) in fixed:
                dom: tuple[int, ...] = (fixed[(cid, k)],)
            else:
                dom = tuple(s for s in slots[cid].starts.get(d, []) if lo <= s <= hi)
            if not dom:
                lose(cid, k, d)
                continue
            weight = course.weight + (heavy if cid in required else 0)
            rank = later[-1] if later and days[k] - d <= 1 else 1 << 40
            b = booked.get((cid, k))
            items.append(Item((cid, k), course.phases, dom, weight, (cid, k) in fixed, rank,
                              b if (cid, k) not in fixed else None, keep))
        if not items:
            continue
        share = (seconds - (time.perf_counter() - t0)) / (len(order) - i)
        got = pack(items, len(instance.chairs), cap, share, workers)
        if got is None:
            return None
        for it in items:
            if it.key in got.starts:
                placed[it.key] = got.starts[it.key]
            else:
                lost.add(it.key[0])  # moving these on overfills later days (measured: worse)
        if len(got.starts) < len(items):
            short[d] = ([it.key[0] for it in items], len(got.starts))
    whole = {key: s for key, s in placed.items() if key[0] not in lost}
    partial: dict[str, dict[int, int]] = defaultdict(dict)
    for (cid, k), s in placed.items():
        if cid in lost:
            partial[cid][k] = s
    return Realised(whole, dict(partial), short)


def _first_fit(
    by_group: list[tuple[list[Item], dict[int, cp_model.IntVar]]], chairs: int, cap: npt.NDArray[np.int32]
) -> list[dict[int, int]]:
    """A starting point for the solver: each visit at its earliest start that still fits
    (a booked visit tries its booked start first): locked visits, booked ones, heavier ones,
    then the least flexible types."""
    lo = min(t for _, var in by_group for t in var)
    hi = max(t + g[0].phases.total for g, var in by_group for t in var)
    seats = np.zeros(hi - lo, dtype=np.int32)
    load = np.zeros(hi - lo, dtype=np.int32)
    room = cap[lo:hi]
    counts: list[dict[int, int]] = [defaultdict(int) for _ in by_group]
    order = sorted(range(len(by_group)), key=lambda i: (not by_group[i][0][0].must, by_group[i][0][0].booked is None,
                                                        -by_group[i][0][0].weight, len(by_group[i][1])))
    for i in order:
        members, var = by_group[i]
        ph = members[0].phases
        booked = members[0].booked
        tries = ([booked] if booked in var else []) + sorted(var)
        for _ in members:
            for t in tries:
                a, b = t - lo, t - lo + ph.total
                c, e = a + ph.checkin, a + ph.checkin + ph.infusion
                if seats[a:b].max(initial=0) < chairs and np.all(load[c:e] < room[c:e]):
                    seats[a:b] += 1
                    load[c:e] += 1
                    counts[i][t] += 1
                    break
    return counts


def _later_day(course: Course, slots: CourseSlots, days: list[int], k: int, d: int) -> int | None:
    """The first day after `d` that visit k (1-based) of a course on `days` may move to while
    the order of visits, the first-visit days, the window and the 7-day maximum still hold."""
    limit = days[k] if k < len(days) else days[0] + course.window_days
    for e in sorted(x for x in slots.starts if d < x < limit):
        if k == 1 and e not in slots.first_days:
            continue
        new = [*days[: k - 1], e, *days[k:]]
        if new[-1] >= new[0] + course.window_days:
            continue
        if any(sum(1 for y in new if x <= y <= x + 6) > course.max_per_7_days for x in new):
            continue
        return e
    return None
