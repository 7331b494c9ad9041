"""First-fit baseline: what a front desk does by hand.

Courses are taken in request order. Each visit goes to the earliest slot that respects the
course rules and has a free chair and nurse capacity, on the lowest-numbered free chair.
If the rest of a course cannot follow its first visit, the first visit moves to the next
day; a course that never fits waits on the list. Visits already done or locked are placed
first; booked courses are tried at their booked times before anyone else is placed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ketaclinic.scheduling.common import Board, CourseSlots, course_slots, gap, make_plan
from ketaclinic.scheduling.model import DAY, Assignment, Course, Instance, Plan


@dataclass(frozen=True)
class Pin:
    start: int
    chair: int
    on_board: bool  # fixed visits are put on the board up front and must keep their chair


def first_fit_course(board: Board, slots: CourseSlots, pins: dict[int, Pin]) -> list[tuple[int, int]] | None:
    """Place one whole course on the board, or leave the board as it was and return None."""
    course = slots.course
    first_days = [pins[1].start // DAY] if 1 in pins else slots.first_days
    for first_day in first_days:
        placed = _try_from(board, slots, course, pins, first_day)
        if placed is not None:
            return placed
    return None


def _try_from(
    board: Board, slots: CourseSlots, course: Course, pins: dict[int, Pin], first_day: int
) -> list[tuple[int, int]] | None:
    g = gap(course)
    per7 = course.max_per_7_days
    last_day = first_day + course.window_days - 1
    placed: list[tuple[int, int]] = []
    added: list[tuple[int, int]] = []

    def undo() -> None:
        for s, ch in added:
            board.remove(course, s, ch)

    for k in range(1, course.visits + 1):
        lo = placed[-1][0] + g if placed else first_day * DAY
        lo_day = first_day
        if k > per7:
            lo_day = max(lo_day, placed[k - 1 - per7][0] // DAY + 7)
        hi_day = first_day if k == 1 else last_day
        later = [p.start for j, p in pins.items() if j > k]
        hi = min(later) - g if later else hi_day * DAY + DAY - 1
        pin = pins.get(k)
        if pin is not None:
            day = pin.start // DAY
            if not (lo <= pin.start <= hi and lo_day <= day <= hi_day):
                undo()
                return None
            if pin.on_board:
                placed.append((pin.start, pin.chair))
                continue
            if pin.start not in slots.starts.get(day, ()):
                undo()  # the booking no longer suits the clinic's or the patient's hours
                return None
            chair = board.fits(course, pin.start, prefer=pin.chair)
            if chair is None:
                undo()
                return None
            board.place(course, pin.start, chair)
            added.append((pin.start, chair))
            placed.append((pin.start, chair))
            continue
        found: tuple[int, int] | None = None
        for day in range(max(lo_day, lo // DAY), hi_day + 1):
            for s in slots.starts.get(day, ()):
                if s < lo:
                    continue
                if s > hi:
                    break
                chair = board.fits(course, s)
                if chair is not None:
                    found = (s, chair)
                    break
            if found is not None or day * DAY > hi:
                break
        if found is None:
            undo()
            return None
        board.place(course, *found)
        added.append(found)
        placed.append(found)
    return placed


def schedulable_alone(instance: Instance) -> list[str]:
    """Courses that first-fit can place in an otherwise empty clinic (ignoring re-planning).

    Used to tell congestion from courses that cannot be held in the horizon at all."""
    board = Board(instance)
    slots = course_slots(instance)
    found: list[str] = []
    for c in instance.courses:
        got = first_fit_course(board, slots[c.id], {})
        if got is not None:
            found.append(c.id)
            for s, ch in got:
                board.remove(c, s, ch)
    return found


def trivial_bound(instance: Instance) -> int:
    """Weight of every course that has somewhere to start: a bound no plan can beat."""
    slots = course_slots(instance)
    return sum(c.weight for c in instance.courses if slots[c.id].first_days)


def solve_greedy(instance: Instance, *, bound: int | None = None) -> Plan:
    t0 = time.perf_counter()
    board = Board(instance)
    slots = course_slots(instance)
    by_id = {c.id: c for c in instance.courses}
    fixed: dict[str, dict[int, Pin]] = {}
    for f in instance.fixed:
        chair = board.chair_index[f.chair]
        board.place(by_id[f.course], f.start, chair)
        fixed.setdefault(f.course, {})[f.visit] = Pin(f.start, chair, on_board=True)
    booked: dict[str, dict[int, Pin]] = {}
    for b in instance.booked:
        booked.setdefault(b.course, {})[b.visit] = Pin(b.start, board.chair_index[b.chair], on_board=False)

    required = [c.id for c in instance.courses if c.id in fixed or c.id in booked]
    others = [c.id for c in instance.courses if c.id not in fixed and c.id not in booked]
    assignments: list[Assignment] = []
    complete = True
    # Booked courses first at their booked times, then let them move, then everyone else.
    pending = list(required)
    for attempt in ("keep", "move"):
        still: list[str] = []
        for cid in pending:
            pins = dict(fixed.get(cid, {}))
            if attempt == "keep":
                pins.update(booked.get(cid, {}))
            got = first_fit_course(board, slots[cid], pins)
            if got is None:
                still.append(cid)
            else:
                assignments.extend(Assignment(cid, 0, instance.chairs[ch], s) for s, ch in got)
        pending = still
    if pending:
        complete = False
        # Keep the locked visits of a course we could not complete: they happened.
        assignments.extend(
            Assignment(f.course, f.visit, f.chair, f.start) for f in instance.fixed if f.course in pending
        )
    for cid in others:
        got = first_fit_course(board, slots[cid], {})
        if got is not None:
            assignments.extend(Assignment(cid, 0, instance.chairs[ch], s) for s, ch in got)
    return make_plan(
        instance,
        "greedy",
        assignments,
        status="feasible" if complete else "unknown",
        bound=trivial_bound(instance) if bound is None else bound,
        seconds=time.perf_counter() - t0,
    )
