"""An exact, deliberately plain optimizer for tiny instances, to check the real one against.

One boolean per (course, visit, grid start) over the whole horizon, every rule written out
directly from the model description, nothing shared with the solver code (only the parsed
instance). At most #chairs visits overlapping at every start suffices for a chair
assignment (interval graphs are perfect); the chairs are then given by interval colouring.
Booked visits: their courses must be scheduled, a booked start kept is one boolean, and
`score=True` maximises weight − move_penalty × moves. Not for `fixed` visits (their given
chairs would need more than interval colouring).
"""

from __future__ import annotations

import math
from datetime import timedelta

from ortools.sat.python import cp_model

from ketaclinic.scheduling.model import DAY, Assignment, Course, Instance, Plan


def _starts(instance: Instance, course: Course) -> list[int]:
    out: list[int] = []
    for day in instance.open_days:
        if (instance.epoch + timedelta(days=day.day)).weekday() not in course.availability.weekdays:
            continue
        base = day.day * DAY
        lo = max(day.open, base + course.availability.start)
        hi = min(day.close, base + course.availability.end) - course.phases.total
        first = day.open + math.ceil((lo - day.open) / instance.slot_minutes) * instance.slot_minutes
        out.extend(range(first, hi + 1, instance.slot_minutes))
    return out


def _capacity(instance: Instance, minute: int) -> int:
    on = sum(1 for n in instance.nurses if any(a <= minute < b for a, b in n.shifts))
    return on * instance.max_infusions_per_nurse


def solve_exact(instance: Instance, seconds: float = 60.0, *, score: bool = False) -> tuple[Plan, bool]:
    """The best plan (by weight, or by score) and whether CP-SAT proved it optimal."""
    assert not instance.fixed
    m = cp_model.CpModel()
    present: dict[str, cp_model.IntVar] = {}
    x: dict[tuple[str, int, int], cp_model.IntVar] = {}
    cells: list[tuple[cp_model.IntVar, int, Course]] = []
    for c in instance.courses:
        p = m.new_bool_var(f"p_{c.id}")
        present[c.id] = p
        starts = _starts(instance, c)
        first_ok = [t for t in starts if c.earliest <= t // DAY <= c.latest_start]
        begin: list[cp_model.LinearExpr] = []
        day: list[cp_model.LinearExpr] = []
        for k in range(1, c.visits + 1):
            mine = first_ok if k == 1 else starts
            lits = {t: m.new_bool_var(f"x_{c.id}_{k}_{t}") for t in mine}
            for t, lit in lits.items():
                x[(c.id, k, t)] = lit
                cells.append((lit, t, c))
            m.add(sum(lits.values()) == p)
            begin.append(cp_model.LinearExpr.weighted_sum(list(lits.values()), list(lits)))
            day.append(cp_model.LinearExpr.weighted_sum(list(lits.values()), [t // DAY for t in lits]))
        gap = max(c.min_gap, c.phases.total)
        for k in range(1, c.visits):
            m.add(begin[k] >= begin[k - 1] + gap).only_enforce_if(p)
            m.add(day[k] - day[0] <= c.window_days - 1).only_enforce_if(p)
        for k in range(c.visits - c.max_per_7_days):
            m.add(day[k + c.max_per_7_days] >= day[k] + 7).only_enforce_if(p)
    for tau in sorted({t for _, t, _ in cells}):
        m.add(sum(v for v, t, c in cells if t <= tau < t + c.phases.total) <= len(instance.chairs))
    points = {t + c.phases.checkin for _, t, c in cells}
    for n in instance.nurses:
        points.update(b for _, b in n.shifts)
        points.update(a for a, _ in n.shifts)
    for tau in sorted(points):
        inf = [v for v, t, c in cells if t + c.phases.checkin <= tau < t + c.phases.checkin + c.phases.infusion]
        if inf:
            m.add(sum(inf) <= _capacity(instance, tau))
    kept = []
    for b in instance.booked:
        m.add(present[b.course] == 1)
        kept.append(x.get((b.course, b.visit, b.start), 0))
    weight = sum(c.weight * present[c.id] for c in instance.courses)
    moves = len(kept) - sum(kept)
    m.maximize(weight - instance.move_penalty * moves if score else weight)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    status = solver.solve(m)
    assert status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    visits = sorted(((t, cid, k) for (cid, k, t), lit in x.items() if solver.value(lit)))
    courses = {c.id: c for c in instance.courses}
    free_at = dict.fromkeys(instance.chairs, -1)
    assignments: list[Assignment] = []
    for t, cid, k in visits:
        chair = next(ch for ch in instance.chairs if free_at[ch] <= t)
        free_at[chair] = t + courses[cid].phases.total
        assignments.append(Assignment(cid, k, chair, t))
    scheduled = {a.course for a in assignments}
    placed = {(a.course, a.visit): a.start for a in assignments}
    plan = Plan(
        status="optimal" if status == cp_model.OPTIMAL else "feasible",
        method="exact",
        objective=sum(courses[c].weight for c in scheduled),
        # By score, the solver's bound is on the score; the weight bound is then the trivial one.
        bound=sum(c.weight for c in instance.courses) if score else math.floor(solver.best_objective_bound + 1e-6),
        moved=sum(1 for b in instance.booked if placed.get((b.course, b.visit)) != b.start),
        assignments=tuple(assignments),
        unscheduled=tuple(c.id for c in instance.courses if c.id not in scheduled),
        solve_seconds=solver.wall_time,
    )
    return plan, status == cp_model.OPTIMAL
