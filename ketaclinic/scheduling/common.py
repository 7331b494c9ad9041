"""Helpers shared by the solvers (never by the validator): candidate starts, the nurse
capacity profile, a minute-resolution occupancy board, chair colouring and plan assembly."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import numpy.typing as npt

from ketaclinic.scheduling.model import DAY, Assignment, Course, Instance, Plan


def horizon(instance: Instance) -> int:
    return (instance.open_days[-1].day + 1) * DAY


def gap(course: Course) -> int:
    """Minimum distance between two starts; a patient is never in two chairs at once."""
    return max(course.min_gap, course.phases.total)


def starts_on_day(instance: Instance, course: Course, day_index: int) -> list[int]:
    """Grid starts on one open day at which the whole visit fits the clinic's and patient's hours."""
    day = instance.day_of(day_index)
    if day is None:
        return []
    if (instance.epoch + timedelta(days=day_index)).weekday() not in course.availability.weekdays:
        return []
    base = day_index * DAY
    lo = max(day.open, base + course.availability.start)
    hi = min(day.close, base + course.availability.end) - course.phases.total
    slot = instance.slot_minutes
    first = day.open + math.ceil((lo - day.open) / slot) * slot
    return list(range(first, hi + 1, slot))


@dataclass(frozen=True)
class CourseSlots:
    """Where one course can go: candidate starts per day, and the days its first visit may use."""

    course: Course
    starts: dict[int, list[int]]  # day index -> starts (only days with at least one start)
    first_days: list[int]

    @property
    def days(self) -> list[int]:
        return sorted(self.starts)


def course_slots(instance: Instance) -> dict[str, CourseSlots]:
    out: dict[str, CourseSlots] = {}
    for c in instance.courses:
        starts = {d.day: s for d in instance.open_days if (s := starts_on_day(instance, c, d.day))}
        first = [d for d in sorted(starts) if c.earliest <= d <= c.latest_start]
        out[c.id] = CourseSlots(c, starts, first)
    return out


def nurse_capacity(instance: Instance) -> npt.NDArray[np.int32]:
    """Infusions allowed at each minute of the horizon: N x nurses on shift."""
    h = horizon(instance)
    on = np.zeros(h, dtype=np.int32)
    for nurse in instance.nurses:
        mine = np.zeros(h, dtype=bool)
        for start, end in nurse.shifts:
            mine[max(0, start) : max(0, min(h, end))] = True
        on += mine
    result: npt.NDArray[np.int32] = on * instance.max_infusions_per_nurse
    return result


class Board:
    """Minute-resolution occupancy of chairs and infusion load over the horizon."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        h = horizon(instance)
        self.chairs = np.zeros((len(instance.chairs), h), dtype=bool)
        self.load = np.zeros(h, dtype=np.int32)
        self.cap = nurse_capacity(instance)
        self.chair_index = {c: i for i, c in enumerate(instance.chairs)}

    def nurse_ok(self, course: Course, start: int) -> bool:
        a = start + course.phases.checkin
        b = a + course.phases.infusion
        return bool(np.all(self.load[a:b] < self.cap[a:b]))

    def free_chair(self, course: Course, start: int, prefer: int | None = None) -> int | None:
        end = start + course.phases.total
        if prefer is not None and not self.chairs[prefer, start:end].any():
            return prefer
        busy = self.chairs[:, start:end].any(axis=1)
        free = np.flatnonzero(~busy)
        return int(free[0]) if free.size else None

    def fits(self, course: Course, start: int, prefer: int | None = None) -> int | None:
        """A free chair for this visit if the nurses can take it too, else None."""
        if not self.nurse_ok(course, start):
            return None
        return self.free_chair(course, start, prefer)

    def place(self, course: Course, start: int, chair: int) -> None:
        self.chairs[chair, start : start + course.phases.total] = True
        a = start + course.phases.checkin
        self.load[a : a + course.phases.infusion] += 1

    def remove(self, course: Course, start: int, chair: int) -> None:
        self.chairs[chair, start : start + course.phases.total] = False
        a = start + course.phases.checkin
        self.load[a : a + course.phases.infusion] -= 1


def colour_chairs(
    instance: Instance, visits: list[tuple[str, int, int]], fixed: dict[tuple[str, int], str]
) -> dict[tuple[str, int], str] | None:
    """Give each (course, visit, start) a chair. Fixed visits keep theirs.

    Without fixed visits, taking visits by start time and any free chair always succeeds when
    at most #chairs overlap (interval graphs are perfect). With fixed visits we prefer the free
    chair whose next fixed block comes soonest (best fit); None if that fails.
    """
    courses = {c.id: c for c in instance.courses}
    names = instance.chairs
    blocks: dict[str, list[tuple[int, int]]] = defaultdict(list)
    result: dict[tuple[str, int], str] = {}
    for (cid, k, start) in visits:
        if (cid, k) in fixed:
            chair = fixed[(cid, k)]
            blocks[chair].append((start, start + courses[cid].phases.total))
            result[(cid, k)] = chair
    busy_until = dict.fromkeys(names, -1)
    for cid, k, start in sorted(visits, key=lambda v: v[2]):
        if (cid, k) in result:
            continue
        end = start + courses[cid].phases.total
        best: str | None = None
        best_next = math.inf
        for chair in names:
            if busy_until[chair] > start:
                continue
            clash = False
            nxt = math.inf
            for b0, b1 in blocks[chair]:
                if b0 < end and start < b1:
                    clash = True
                    break
                if b0 >= end:
                    nxt = min(nxt, b0)
            if clash:
                continue
            if best is None or nxt < best_next:
                best, best_next = chair, nxt
        if best is None:
            return None
        busy_until[best] = end
        blocks[best].append((start, end))
        result[(cid, k)] = best
    return result


def make_plan(
    instance: Instance,
    method: str,
    assignments: list[Assignment],
    *,
    status: str,
    bound: int,
    seconds: float,
    score_bound: int | None = None,
) -> Plan:
    """Assemble a plan: numbering by time, objective, moves and the waiting list."""
    by_course: dict[str, list[Assignment]] = defaultdict(list)
    for a in assignments:
        by_course[a.course].append(a)
    final: list[Assignment] = []
    for cid, items in by_course.items():
        items.sort(key=lambda a: a.start)
        final.extend(Assignment(cid, i + 1, a.chair, a.start) for i, a in enumerate(items))
    placed = {(a.course, a.visit): a.start for a in final}
    moved = sum(1 for b in instance.booked if b.course in by_course and placed.get((b.course, b.visit)) != b.start)
    weight = sum(c.weight for c in instance.courses if c.id in by_course)
    return Plan(
        status=status,
        method=method,
        objective=weight,
        bound=bound,
        moved=moved,
        assignments=tuple(final),
        unscheduled=tuple(c.id for c in instance.courses if c.id not in by_course),
        solve_seconds=seconds,
        score_bound=score_bound,
    )
