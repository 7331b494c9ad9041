"""Insertion by re-packing: add a lost course to a plan, moving other visits within their day.

Phase 2 realises the day plan one day at a time, so a day that is one visit too full drops a
course although a different arrangement of that day would have held it. Here each lost
course is put back along the days the day plan gave it, visit by visit: a visit takes the
earliest start that fits as things stand; if none does, the whole day is packed again
exactly (`packing.pack`) with every visit of that day locked in and free to move inside its
own window (the starts its course's neighbouring visits, on other days, allow). If that
fails too, every change made for the course is undone. Days holding locked (`fixed`) visits
are never re-packed: their chairs are given, and counting overlaps is not enough there.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict

import numpy as np
import numpy.typing as npt

from ketaclinic.scheduling.common import CourseSlots, colour_chairs, gap, horizon
from ketaclinic.scheduling.model import DAY, Assignment, Course, Instance
from ketaclinic.scheduling.packing import Item, pack

Key = tuple[str, int]


class Timetable:
    """Starts of a plan's visits with per-minute chair and infusion counts (chairs are given
    at the end by interval colouring, which succeeds whenever the counts hold)."""

    def __init__(self, instance: Instance, slots: dict[str, CourseSlots], cap: npt.NDArray[np.int32],
                 assignments: list[Assignment], reach: int = 120, pin_booked: bool = False) -> None:
        self.instance = instance
        self.reach = reach  # minutes either side of a newcomer's span in which visits may move
        self.slots = slots
        self.cap = cap
        self.courses = {c.id: c for c in instance.courses}
        self.chairs = len(instance.chairs)
        h = horizon(instance)
        self.seats = np.zeros(h, dtype=np.int32)
        self.load = np.zeros(h, dtype=np.int32)
        self.start: dict[Key, int] = {}
        self.on_day: dict[int, set[Key]] = defaultdict(set)
        self.locked_days = {f.start // DAY for f in instance.fixed}
        self.fixed_chairs = {(f.course, f.visit): f.chair for f in instance.fixed}
        by_course: dict[str, list[Assignment]] = defaultdict(list)
        for a in assignments:
            by_course[a.course].append(a)
        for cid, items in by_course.items():
            for k, a in enumerate(sorted(items, key=lambda a: a.start), start=1):
                self._put((cid, k), a.start)
        self.refused: set[tuple[object, ...]] = set()  # re-packs that failed, by the day's exact state
        # Visits that a re-pack must not move: kept bookings (a move costs the move penalty).
        self.pinned = {(b.course, b.visit) for b in instance.booked
                       if pin_booked and self.start.get((b.course, b.visit)) == b.start}
        # Elsewhere a re-pack may move a booking, but keeping (or regaining) its booked start
        # earns the move penalty, so a booking moves only when the newcomer needs its room.
        self.booked_at = {(b.course, b.visit): b.start for b in instance.booked}

    def _put(self, key: Key, start: int) -> None:
        ph = self.courses[key[0]].phases
        self.start[key] = start
        self.on_day[start // DAY].add(key)
        self.seats[start : start + ph.total] += 1
        self.load[start + ph.checkin : start + ph.checkin + ph.infusion] += 1

    def _take(self, key: Key) -> int:
        ph = self.courses[key[0]].phases
        start = self.start.pop(key)
        self.on_day[start // DAY].discard(key)
        self.seats[start : start + ph.total] -= 1
        self.load[start + ph.checkin : start + ph.checkin + ph.infusion] -= 1
        return start

    def fits(self, course: Course, start: int) -> bool:
        ph = course.phases
        a, b = start + ph.checkin, start + ph.checkin + ph.infusion
        return bool(self.seats[start : start + ph.total].max(initial=0) < self.chairs
                    and np.all(self.load[a:b] < self.cap[a:b]))

    def window(self, key: Key, day: int) -> tuple[int, ...]:
        """Starts on `day` that keep the minimum gap to the course's placed neighbours."""
        cid, k = key
        g = gap(self.courses[cid])
        lo = self.start[(cid, k - 1)] + g if (cid, k - 1) in self.start else -1
        hi = self.start[(cid, k + 1)] - g if (cid, k + 1) in self.start else 1 << 40
        return tuple(s for s in self.slots[cid].starts.get(day, ()) if lo <= s <= hi)

    def insert(self, cid: str, planned: list[int], seconds: float, workers: int, repacks: int = 12) -> bool:
        """Place course `cid`, preferring the days of `planned` (visit k on planned[k-1]), else
        the earliest days its rules allow; at most `repacks` day re-packs. True on success,
        else nothing changed."""
        t0 = time.perf_counter()
        slots = self.slots[cid]
        if planned:
            first_days = sorted(slots.first_days, key=lambda f: (f != planned[0], abs(f - planned[0]), f))
        else:
            first_days = list(slots.first_days)
        budget = [repacks]
        for f in first_days:
            if seconds - (time.perf_counter() - t0) < 0.05 or budget[0] <= 0:
                return False
            if self._insert_from(cid, f, planned if planned and f == planned[0] else [], t0 + seconds, workers,
                                 budget):
                return True
        return False

    def _insert_from(self, cid: str, first: int, planned: list[int], deadline: float, workers: int,
                     budget: list[int]) -> bool:
        course = self.courses[cid]
        slots = self.slots[cid]
        g = gap(course)
        undo: list[tuple[Key, int | None]] = []  # (visit, start before) in order of change
        days: list[int] = []

        def rollback() -> None:
            for key, before in reversed(undo):
                if key in self.start:
                    self._take(key)
                if before is not None:
                    self._put(key, before)

        for k in range(1, course.visits + 1):
            key = (cid, k)
            lo = self.start[(cid, k - 1)] + g if k > 1 else -1
            if k == 1:
                candidates = [first]
            else:
                allowed = [d for d in slots.days if days[-1] < d < first + course.window_days
                           and sum(1 for e in days if e > d - 7) < course.max_per_7_days]
                candidates = sorted(allowed)
            want = planned[k - 1] if len(planned) >= k else None
            doms: dict[int, tuple[int, ...]] = {}
            for d in candidates:
                hi = 1 << 40
                if d == want and len(planned) > k:
                    later = slots.starts.get(planned[k], [])
                    hi = later[-1] - g if later else -1
                dom = tuple(s for s in slots.starts.get(d, ()) if lo <= s <= hi)
                if dom:
                    doms[d] = dom
            # The planned day (as is, then re-packed), then any other day as is, then re-packed.
            tries = [(d, False) for d in doms if d == want] + [(d, True) for d in doms if d == want]
            tries += [(d, False) for d in doms if d != want] + [(d, True) for d in doms if d != want]
            done = False
            for d, repack in tries:
                if not repack:
                    spot = next((s for s in doms[d] if self.fits(course, s)), None)
                    if spot is not None:
                        undo.append((key, None))
                        self._put(key, spot)
                        done = True
                        break
                    continue
                left = deadline - time.perf_counter()
                if d in self.locked_days or left < 0.05 or budget[0] <= 0:
                    continue
                if self._repack(d, key, doms[d], left, workers, undo, budget):
                    done = True
                    break
            if not done:
                rollback()
                return False
            days.append(self.start[key] // DAY)
        return True

    def _repack(self, day: int, new: Key, dom: tuple[int, ...], seconds: float, workers: int,
                undo: list[tuple[Key, int | None]], budget: list[int]) -> bool:
        """Pack `day` again with every visit on it plus `new`, all required. A solve spends one
        of `budget`; a day already refused in exactly this state is refused without one."""
        keys = sorted(self.on_day[day])
        if len({cid for cid, _ in keys} | {new[0]}) < len(keys) + 1:
            return False  # two visits of one course on a day: their mutual gap is not modelled
        # Only visits near the newcomer's possible span may move (a smaller, faster model);
        # the rest keep their starts.
        lo = dom[0] - self.reach
        hi = dom[-1] + self.courses[new[0]].phases.total + self.reach
        items = []
        for key in keys:
            ph = self.courses[key[0]].phases
            s = self.start[key]
            free = s < hi and lo < s + ph.total and key not in self.pinned
            booked = self.booked_at.get(key)
            items.append(Item(key, ph, self.window(key, day) if free else (s,), 1, must=True, booked=booked,
                              bonus=0 if booked is None else self.instance.move_penalty))
        state = (day, self.courses[new[0]].phases, dom, tuple(items))
        if state in self.refused:
            return False
        items.append(Item(new, self.courses[new[0]].phases, dom, 1, must=True))
        budget[0] -= 1
        got = pack(items, self.chairs, self.cap, min(seconds, 1.0), workers)
        if got is None or len(got.starts) < len(items):
            self.refused.add(state)
            return False
        for key in keys:
            if got.starts[key] != self.start[key]:
                undo.append((key, self._take(key)))
                self._put(key, got.starts[key])
        undo.append((new, None))
        self._put(new, got.starts[new])
        return True

    def moved(self) -> int:
        """Booked visits placed away from their booked start."""
        return sum(1 for key, s in self.booked_at.items() if self.start.get(key, s) != s)

    def restore(self, before: dict[Key, int]) -> None:
        """Back to the starts of `before` (a copy of `self.start` taken earlier)."""
        for key in [k for k, s in self.start.items() if before.get(k) != s]:
            self._take(key)
        for key, s in before.items():
            if key not in self.start:
                self._put(key, s)

    def regain_bookings(self) -> int:
        """Put moved bookings back on their booked starts wherever those are free as things
        stand and the course's rules still hold: a course's moved visits together, else one by
        one. Days with locked visits are left alone (their chairs are given). Returns how many
        went back."""
        moved: dict[str, list[Key]] = defaultdict(list)
        for key, booked in sorted(self.booked_at.items(), key=lambda kv: kv[1]):
            now = self.start.get(key)
            if now is not None and now != booked and not {booked // DAY, now // DAY} & self.locked_days:
                moved[key[0]].append(key)
        back = 0
        for keys in moved.values():
            if self._back(keys):
                back += len(keys)
            elif len(keys) > 1:
                back += sum(1 for key in keys if self._back([key]))
        return back

    def _back(self, keys: list[Key]) -> bool:
        """Move visits `keys` (of one course) to their booked starts if everything still holds."""
        cid = keys[0][0]
        course, slots = self.courses[cid], self.slots[cid]
        want = {key: self.booked_at[key] for key in keys}
        starts = [want.get((cid, j), self.start.get((cid, j), -1)) for j in range(1, course.visits + 1)]
        days = [t // DAY for t in starts]
        g = gap(course)
        if (min(starts) < 0 or any(b - a < g for a, b in itertools.pairwise(starts))
                or any(t not in slots.starts.get(t // DAY, ()) for t in want.values())
                or days[0] not in slots.first_days or days[-1] >= days[0] + course.window_days
                or any(sum(1 for e in days if d <= e <= d + 6) > course.max_per_7_days for d in days)):
            return False
        before = {key: self._take(key) for key in keys}
        for key in keys:
            if not self.fits(course, want[key]):
                for other in keys:
                    if other in self.start:
                        self._take(other)
                for other, t in before.items():
                    self._put(other, t)
                return False
            self._put(key, want[key])
        return True

    def assignments(self) -> list[Assignment] | None:
        """The plan with chairs, or None if the chairs cannot be coloured (locked chairs)."""
        visits = [(cid, k, s) for (cid, k), s in self.start.items()]
        fixed = {key: ch for key, ch in self.fixed_chairs.items() if key in self.start}
        colours = colour_chairs(self.instance, visits, fixed)
        if colours is None:
            return None
        return [Assignment(cid, k, colours[(cid, k)], s) for cid, k, s in visits]


def insert_lost(
    instance: Instance,
    slots: dict[str, CourseSlots],
    cap: npt.NDArray[np.int32],
    assignments: list[Assignment],
    planned: dict[str, list[int]],
    seconds: float,
    workers: int,
    *,
    wanted: list[str] | None = None,
    repacks: int = 12,
    pin_booked: bool = False,
) -> list[Assignment]:
    """Put courses that `assignments` lacks into it: by default those of the day plan
    `planned` (on their planned days or nearby), else the `wanted` ones (on planned days when
    known, else the earliest). With `pin_booked`, kept bookings never move; without, a course
    stays only if its weight exceeds the move penalty of the bookings its insertion moved, and
    moved bookings go back to their booked starts where those are free at the end. Returns
    the (possibly larger) plan."""
    t0 = time.perf_counter()
    table = Timetable(instance, slots, cap, assignments, pin_booked=pin_booked)
    have = {a.course for a in assignments}
    todo = list(planned) if wanted is None else wanted
    lost = [cid for cid in todo if cid not in have and slots[cid].first_days
            and len(set(planned.get(cid, []))) == len(planned.get(cid, []))]
    courses = table.courses
    added = 0
    pins = set(table.pinned)
    for cid in sorted(lost, key=lambda c: (courses[c].visits, c)):
        left = seconds - (time.perf_counter() - t0)
        if left <= 0.05:
            break
        # A course worth no more than one move cannot pay for any: its insertion moves no booking.
        cheap = courses[cid].weight <= instance.move_penalty
        table.pinned = pins | {key for key, s in table.booked_at.items() if cheap and table.start.get(key) == s}
        before, moved = dict(table.start), table.moved()
        if table.insert(cid, sorted(planned.get(cid, [])), left, workers, repacks):
            if courses[cid].weight <= instance.move_penalty * (table.moved() - moved):
                table.restore(before)  # the bookings it moved cost more than the course is worth
                continue
            added += 1
    regained = table.regain_bookings() if table.booked_at else 0
    if not added and not regained:
        return assignments
    result = table.assignments()
    return assignments if result is None else result
