"""Independent plan validator.

Checks every rule from scratch, minute by minute where that is simplest. It deliberately
shares nothing with the solvers except the parsed instance, so a solver bug shows up here
instead of being repeated.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta

from ketaclinic.scheduling.model import DAY, Assignment, Instance, Plan, format_stamp


@dataclass(frozen=True)
class Violation:
    rule: str
    detail: str


def validate(instance: Instance, plan: Plan) -> list[Violation]:
    out: list[Violation] = []
    ep = instance.epoch

    def stamp(minute: int) -> str:
        return format_stamp(ep, minute)

    courses = {c.id: c for c in instance.courses}
    chairs = set(instance.chairs)
    days = {d.day: d for d in instance.open_days}

    by_course: dict[str, list[Assignment]] = defaultdict(list)
    known: list[Assignment] = []
    for a in plan.assignments:
        if a.course not in courses:
            out.append(Violation("unknown_course", f"{a.course} visit {a.visit} at {stamp(a.start)}"))
            continue
        if a.chair not in chairs:
            out.append(Violation("unknown_chair", f"{a.course} visit {a.visit} on {a.chair}"))
            continue
        by_course[a.course].append(a)
        known.append(a)

    # Whole course or nothing, numbered 1..n in time order.
    for cid, visits in by_course.items():
        course = courses[cid]
        numbers = sorted(v.visit for v in visits)
        if len(visits) != course.visits:
            out.append(Violation("whole_course", f"{cid} has {len(visits)} of {course.visits} visits scheduled"))
        if numbers != list(range(1, len(visits) + 1)):
            out.append(Violation("visit_numbering", f"{cid} visits numbered {numbers}"))
        ordered = sorted(visits, key=lambda v: v.visit)
        for earlier, later in itertools.pairwise(ordered):
            if later.start < earlier.start:
                detail = f"{cid} visit {later.visit} starts before visit {earlier.visit}"
                out.append(Violation("visit_numbering", detail))

    listed = set(plan.unscheduled)
    for cid in courses:
        if cid not in by_course and cid not in listed:
            out.append(Violation("unscheduled_list", f"{cid} is neither scheduled nor listed as unscheduled"))
        if cid in by_course and cid in listed:
            out.append(Violation("unscheduled_list", f"{cid} is scheduled but listed as unscheduled"))
    for cid in listed - set(courses):
        out.append(Violation("unknown_course", f"unscheduled lists unknown course {cid}"))

    # Each visit on its own: open day, hours, grid, patient availability.
    for a in known:
        course = courses[a.course]
        end = a.start + course.phases.total
        day_index, minute = divmod(a.start, DAY)
        day = days.get(day_index)
        where = f"{a.course} visit {a.visit} at {stamp(a.start)}"
        if day is None:
            out.append(Violation("open_hours", f"{where}: the clinic is closed that day"))
        else:
            if a.start < day.open or end > day.close:
                out.append(Violation("open_hours", f"{where}: outside opening hours"))
            if (a.start - day.open) % instance.slot_minutes:
                out.append(Violation("grid", f"{where}: not on the {instance.slot_minutes}-minute grid"))
        weekday = (instance.epoch + timedelta(days=day_index)).weekday()
        av = course.availability
        if weekday not in av.weekdays:
            out.append(Violation("availability", f"{where}: patient is not available on weekday {weekday}"))
        if minute < av.start or minute + course.phases.total > av.end:
            out.append(Violation("availability", f"{where}: visit is outside the patient's hours"))

    # Chairs: one visit at a time.
    per_chair: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for a in known:
        per_chair[a.chair].append((a.start, a.start + courses[a.course].phases.total, f"{a.course}#{a.visit}"))
    for chair, spans in per_chair.items():
        spans.sort()
        reach = spans[0]
        for span in spans[1:]:
            # Compare with the furthest-reaching earlier visit, not only the previous one.
            if span[0] < reach[1]:
                out.append(Violation("chair_overlap", f"{chair}: {reach[2]} and {span[2]} overlap at {stamp(span[0])}"))
            if span[1] > reach[1]:
                reach = span

    # Nurses: infusions at each minute <= N x nurses on shift at that minute.
    load: Counter[int] = Counter()
    for a in known:
        ph = courses[a.course].phases
        for m in range(a.start + ph.checkin, a.start + ph.checkin + ph.infusion):
            load[m] += 1
    on_shift: Counter[int] = Counter()
    for nurse in instance.nurses:
        covered: set[int] = set()
        for start, end in nurse.shifts:
            covered.update(range(start, end))
        on_shift.update(covered)
    bad = sorted(m for m, n in load.items() if n > instance.max_infusions_per_nurse * on_shift[m])
    run_start = None
    for i, m in enumerate(bad):
        if run_start is None:
            run_start = m
        if i + 1 == len(bad) or bad[i + 1] != m + 1:
            out.append(
                Violation(
                    "nurse_capacity",
                    f"{stamp(run_start)} to {stamp(m + 1)}: {load[run_start]} infusions, "
                    f"{on_shift[run_start]} nurses on shift",
                )
            )
            run_start = None

    # Course spacing rules.
    for cid, visits in by_course.items():
        course = courses[cid]
        starts: list[int] = sorted(v.start for v in visits)
        for prev, nxt in itertools.pairwise(starts):
            if nxt - prev < course.phases.total:
                out.append(Violation("patient_overlap", f"{cid}: visits at {stamp(prev)} and {stamp(nxt)} overlap"))
            if nxt - prev < course.min_gap:
                out.append(
                    Violation("min_gap", f"{cid}: starts {stamp(prev)} and {stamp(nxt)} closer than the minimum gap")
                )
        day_list = [s // DAY for s in starts]
        for first in day_list:
            count = sum(1 for d in day_list if first <= d <= first + 6)
            if count > course.max_per_7_days:
                out.append(
                    Violation("max_per_7_days", f"{cid}: {count} visits in the 7 days from {stamp(first * DAY)[:10]}")
                )
                break
        if day_list[-1] - day_list[0] >= course.window_days:
            out.append(Violation("window", f"{cid}: visits span more than {course.window_days} days"))
        if day_list[0] < course.earliest:
            out.append(Violation("earliest", f"{cid}: first visit before the earliest date"))
        if day_list[0] > course.latest_start:
            out.append(Violation("latest_start", f"{cid}: first visit after the latest start date"))

    # Re-planning: fixed visits exactly as given, booked courses kept.
    placed = {(a.course, a.visit): a for a in known}
    for f in instance.fixed:
        got = placed.get((f.course, f.visit))
        if got is None or got.start != f.start or got.chair != f.chair:
            out.append(Violation("fixed", f"{f.course} visit {f.visit} must stay on {f.chair} at {stamp(f.start)}"))
    moved = 0
    for b in instance.booked:
        if b.course not in by_course:
            out.append(Violation("booked_course", f"{b.course} has booked visits but is not scheduled"))
            continue
        got = placed.get((b.course, b.visit))
        if got is None or got.start != b.start:
            moved += 1

    # The plan's own figures must be true.
    weight = sum(courses[c].weight for c in by_course)
    if plan.objective != weight:
        out.append(Violation("objective", f"objective {plan.objective} but scheduled weight is {weight}"))
    if plan.bound < plan.objective:
        out.append(Violation("bound", f"bound {plan.bound} is below objective {plan.objective}"))
    score = plan.objective - instance.move_penalty * plan.moved
    if plan.score_bound is not None and plan.score_bound < score:
        out.append(Violation("bound", f"score bound {plan.score_bound} is below objective - penalty x moved {score}"))
    if plan.moved != moved:
        out.append(Violation("moved", f"moved {plan.moved} but {moved} booked visits changed start"))
    return _dedupe(out)


def _dedupe(items: list[Violation]) -> list[Violation]:
    seen: set[Violation] = set()
    result = []
    for v in items:
        if v not in seen:
            seen.add(v)
            result.append(v)
    return result
