"""The booking rules, checked against the database, with reasons a person can act on.

Every manual change (front desk booking, moving, a patient rescheduling, accepting a
proposal) goes through `check_course_plan`, which answers "is this placement allowed, and if
not, why": opening hours and closed days, the slot grid, chair and patient overlaps, nurse
capacity during the infusion phase, and the course's spacing rules (minimum gap, at most N
in any 7 days, the whole course inside its window, first visit between earliest and latest
start). The optimizer (ketaclinic.scheduling) plans many courses at once; this module checks
one course's placement against what is already booked, and is what the booking actions
trust.

A `DayBoard` loads one clinic day (hours, shifts, active visits) in a fixed number of
queries and answers slot questions in memory, so slot pickers stay cheap.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ketaclinic.clinics.models import Clinic
from ketaclinic.courses.models import TreatmentCourse
from ketaclinic.schedule.models import (
    ACTIVE_STATUSES,
    WEEKDAY_NAMES,
    Availability,
    Chair,
    ClosedDay,
    NurseShift,
    OpeningHours,
    Visit,
)


@dataclass(frozen=True)
class Problem:
    """Why a placement is not allowed (`blocking`) or worth a second look (not blocking)."""

    rule: str
    message: str
    blocking: bool = True


@dataclass(frozen=True)
class Placement:
    """One visit of a course: a chair and a start (aware datetime). `visit_id` when it moves an existing visit."""

    chair: Chair
    starts_at: datetime
    visit_id: int | None = None


def hhmm(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%H:%M")


def day_label(day: date) -> str:
    return f"{WEEKDAY_NAMES[day.weekday()]} {day:%b} {day.day}"


@dataclass
class DayBoard:
    """One clinic day in memory: hours, nurses on shift and infusions running, minute by minute."""

    clinic: Clinic
    day: date
    opens_at: datetime | None
    closes_at: datetime | None
    closed_reason: str
    visits: list[Visit]
    nurses_at: list[int]  # nurses on shift at each minute since local midnight
    slot_minutes: int
    per_nurse: int
    midnight: datetime = field(init=False)
    _infusing: dict[frozenset[int], list[int]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.midnight = datetime.combine(self.day, time(0), tzinfo=self.clinic.zone)

    def minute(self, moment: datetime) -> int:
        return int((moment - self.midnight).total_seconds() // 60)

    @property
    def is_open(self) -> bool:
        return self.opens_at is not None

    def infusing_at(self, ignore: set[int]) -> list[int]:
        """Infusions running at each minute, from the booked visits not in `ignore` (cached)."""
        key = frozenset(ignore)
        cached = self._infusing.get(key)
        if cached is None:
            cached = [0] * len(self.nurses_at)
            for v in self.visits:
                if v.pk in ignore:
                    continue
                begin = self.minute(v.starts_at) + v.course.checkin_min
                for m in range(max(begin, 0), min(begin + v.course.infusion_min, len(cached))):
                    cached[m] += 1
            self._infusing[key] = cached
        return cached

    def nurse_load(self) -> list[tuple[datetime, int, int]]:
        """(slot start, most infusions running in the slot, capacity) for each slot of the open day."""
        if self.opens_at is None or self.closes_at is None:
            return []
        counts = self.infusing_at(set())
        rows = []
        m0, m1 = self.minute(self.opens_at), self.minute(self.closes_at)
        for m in range(m0, m1, self.slot_minutes):
            window = range(m, min(m + self.slot_minutes, m1))
            rows.append((self.midnight + timedelta(minutes=m), max(counts[i] for i in window),
                         min(self.nurses_at[i] for i in window) * self.per_nurse))
        return rows

    def placement_problems(self, course: TreatmentCourse, chair: Chair, start: datetime, *,
                           ignore: set[int], extra: Sequence[tuple[Chair, datetime]] = ()) -> list[Problem]:
        """Hours, grid, chair, patient and nurse capacity for one visit of `course` on this day.

        `ignore`: visit ids being moved (they no longer hold their old slot). `extra`: other
        new visits of the same plan on this day (they count towards nurse load).
        """
        zone = self.clinic.zone
        end = start + timedelta(minutes=course.visit_minutes)
        when = f"{day_label(self.day)} at {hhmm(start, zone)}"
        if self.opens_at is None or self.closes_at is None:
            reason = f" ({self.closed_reason})" if self.closed_reason else ""
            return [Problem("closed", f"The clinic is closed on {day_label(self.day)}{reason}.")]
        out: list[Problem] = []
        if start < self.opens_at or end > self.closes_at:
            out.append(Problem("hours", f"{when}: the visit ({course.visit_minutes} min) must fit between "
                                        f"{hhmm(self.opens_at, zone)} and {hhmm(self.closes_at, zone)}."))
        if self.minute(start) % self.slot_minutes != self.minute(self.opens_at) % self.slot_minutes:
            out.append(Problem("grid", f"{when}: visits start on the {self.slot_minutes}-minute grid."))
        if not chair.active or chair.clinic_id != self.clinic.pk:
            out.append(Problem("chair", f"{chair.name} is not in use."))
        for v in self.visits:
            if v.pk in ignore or not (v.starts_at < end and v.ends_at > start):
                continue
            if v.chair_id == chair.pk:
                out.append(Problem("chair_taken", f"{chair.name} is taken {hhmm(v.starts_at, zone)}–"
                                                  f"{hhmm(v.ends_at, zone)} by another visit."))
            if v.patient_id == course.patient_id:
                out.append(Problem("patient_busy", f"The patient already has a visit {hhmm(v.starts_at, zone)}–"
                                                   f"{hhmm(v.ends_at, zone)}."))
        for other_chair, other_start in extra:
            if other_chair.pk == chair.pk and other_start < end and other_start + (end - start) > start:
                out.append(Problem("chair_taken", f"{chair.name} is used twice in this plan at {when}."))
        counts = self.infusing_at(ignore)
        begin = self.minute(start) + course.checkin_min
        extra_spans = [(self.minute(s) + course.checkin_min, course.infusion_min) for _, s in extra]
        for m in range(max(begin, 0), min(begin + course.infusion_min, len(counts))):
            running = counts[m] + 1 + sum(1 for b, n in extra_spans if b <= m < b + n)
            nurses = self.nurses_at[m]
            if running > nurses * self.per_nurse:
                at = hhmm(self.midnight + timedelta(minutes=m), zone)
                out.append(Problem("nurse_capacity",
                                   f"{when}: at {at} there would be {running} infusions running but "
                                   f"{'no nurse is' if nurses == 0 else f'{nurses} nurse(s) are'} on shift "
                                   f"(each watches at most {self.per_nurse})."))
                break
        return out


def load_boards(clinic: Clinic, days: Iterable[date]) -> dict[date, DayBoard]:
    """DayBoards for `days` in four queries (hours, closed days, shifts, visits)."""
    wanted = sorted(set(days))
    if not wanted:
        return {}
    zone = clinic.zone
    protocol = clinic.protocol().course
    first = datetime.combine(wanted[0], time(0), tzinfo=zone)
    last = datetime.combine(wanted[-1] + timedelta(days=1), time(0), tzinfo=zone)
    hours = {h.weekday: h for h in OpeningHours.objects.filter(clinic=clinic)}
    closed = dict(ClosedDay.objects.filter(clinic=clinic, date__in=wanted).values_list("date", "reason"))
    shifts = list(NurseShift.objects.filter(clinic=clinic, starts_at__lt=last, ends_at__gt=first))
    visits = list(Visit.objects.filter(clinic=clinic, status__in=ACTIVE_STATUSES, starts_at__lt=last,
                                       ends_at__gt=first).select_related("course"))
    boards: dict[date, DayBoard] = {}
    for day in wanted:
        midnight = datetime.combine(day, time(0), tzinfo=zone)
        size = int((datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone) - midnight)
                   .total_seconds() // 60)
        nurses_at = [0] * size
        per_nurse_minutes: dict[int, set[int]] = {}
        for s in shifts:
            a = max(0, int((s.starts_at - midnight).total_seconds() // 60))
            b = min(size, int((s.ends_at - midnight).total_seconds() // 60))
            per_nurse_minutes.setdefault(s.nurse_id, set()).update(range(a, b))
        for minutes in per_nurse_minutes.values():
            for m in minutes:
                nurses_at[m] += 1
        h = hours.get(day.weekday())
        is_open = h is not None and day not in closed
        boards[day] = DayBoard(
            clinic=clinic, day=day,
            opens_at=datetime.combine(day, h.opens_at, tzinfo=zone) if is_open and h else None,
            closes_at=datetime.combine(day, h.closes_at, tzinfo=zone) if is_open and h else None,
            closed_reason=closed.get(day, "") or ("" if h else "not a regular open day"),
            visits=[v for v in visits if v.starts_at < midnight + timedelta(minutes=size) and v.ends_at > midnight],
            nurses_at=nurses_at, slot_minutes=protocol.slot_minutes, per_nurse=protocol.nurse_max_chairs,
        )
    return boards


def availability_for(course: TreatmentCourse) -> Availability | None:
    """The course's own availability, else the patient's usual one, else None (any time)."""
    rows = list(Availability.objects.filter(patient_id=course.patient_id).filter(
        course__isnull=True) | Availability.objects.filter(course_id=course.pk))
    own = [a for a in rows if a.course_id == course.pk]
    return own[0] if own else (rows[0] if rows else None)


def availability_problem(availability: Availability | None, course: TreatmentCourse, start: datetime,
                         zone: ZoneInfo) -> Problem | None:
    if availability is None:
        return None
    local = start.astimezone(zone)
    end = (start + timedelta(minutes=course.visit_minutes)).astimezone(zone)
    if local.weekday() not in availability.weekday_list or local.time() < availability.from_time \
            or end.time() > availability.until_time or end.date() != local.date():
        return Problem("availability", f"{day_label(local.date())} at {local:%H:%M} is outside the times the "
                                       f"patient said they can come ({availability.describe()}).", blocking=False)
    if availability.has_escort_times and availability.escort_from is not None \
            and availability.escort_until is not None and (
            end.weekday() not in availability.escort_weekday_list or end.time() < availability.escort_from
            or end.time() > availability.escort_until):
        # Same rule name: everywhere the patient's times are a hard rule, so is the ride.
        return Problem("availability", f"{day_label(local.date())} at {local:%H:%M}: the ride home is not "
                                       f"available then; the visit ends at {end:%H:%M} and the ride can pick up "
                                       f"{availability.describe_escort()}.", blocking=False)
    return None


def course_rule_problems(course: TreatmentCourse, starts: Sequence[datetime], zone: ZoneInfo, *,
                         check_start_dates: bool = True) -> list[Problem]:
    """Spacing rules over all of a course's active visit starts (after the change)."""
    out: list[Problem] = []
    ordered = sorted(starts)
    if len(ordered) > course.planned_visits:
        out.append(Problem("visits", f"This course has {course.planned_visits} visits; this would make "
                                     f"{len(ordered)}."))
    if not ordered:
        return out
    gap = timedelta(hours=course.min_gap_hours)
    for a, b in itertools.pairwise(ordered):
        if b - a < gap:
            out.append(Problem("min_gap", f"Visits on {day_label(a.astimezone(zone).date())} and "
                                          f"{day_label(b.astimezone(zone).date())} are closer than "
                                          f"{course.min_gap_hours} hours apart."))
    days = [s.astimezone(zone).date() for s in ordered]
    for first in days:
        count = sum(1 for d in days if first <= d <= first + timedelta(days=6))
        if count > course.max_per_7_days:
            out.append(Problem("max_per_7_days", f"{count} visits in the 7 days from {day_label(first)}; "
                                                 f"the most allowed is {course.max_per_7_days}."))
            break
    if (days[-1] - days[0]).days >= course.window_days:
        out.append(Problem("window", f"All visits must fall within {course.window_days} days of the first "
                                     f"({day_label(days[0])}); the last would be {day_label(days[-1])}."))
    if check_start_dates and days[0] < course.earliest_on:
        out.append(Problem("earliest", f"The first visit may not be before {day_label(course.earliest_on)}."))
    if check_start_dates and course.latest_start_on and days[0] > course.latest_start_on:
        out.append(Problem("latest_start", f"The first visit must be on or before "
                                           f"{day_label(course.latest_start_on)}."))
    return out


def check_course_plan(course: TreatmentCourse, placements: Sequence[Placement], *,
                      boards: dict[date, DayBoard] | None = None) -> list[Problem]:
    """All problems with placing `placements` for `course`, on top of what is booked.

    Placements with a `visit_id` move that visit; others are new visits. The course's other
    active visits stay where they are and count for the spacing rules. Visits that already
    started or happened are never moved, so the earliest/latest-start rule only applies when
    the first visit is one of the placements.
    """
    zone = course.clinic.zone
    moving = {p.visit_id for p in placements if p.visit_id}
    staying = [v.starts_at for v in Visit.objects.filter(course=course, status__in=ACTIVE_STATUSES)
               .exclude(pk__in=moving).only("starts_at")]
    days = {p.starts_at.astimezone(zone).date() for p in placements}
    boards = boards if boards is not None else load_boards(course.clinic, days)
    availability = availability_for(course)
    out: list[Problem] = []
    for i, p in enumerate(placements):
        day = p.starts_at.astimezone(zone).date()
        board = boards.get(day) or load_boards(course.clinic, [day])[day]
        others = [(q.chair, q.starts_at) for j, q in enumerate(placements)
                  if j != i and q.starts_at.astimezone(zone).date() == day]
        # Count each same-day pair once, on the later placement.
        others = [(c, s) for c, s in others if s < p.starts_at]
        out.extend(board.placement_problems(course, p.chair, p.starts_at, ignore=moving, extra=others))
        soft = availability_problem(availability, course, p.starts_at, zone)
        if soft:
            out.append(soft)
    all_starts = staying + [p.starts_at for p in placements]
    first_is_new = not staying or min(all_starts) < min(staying)
    out.extend(course_rule_problems(course, all_starts, zone, check_start_dates=first_is_new))
    return _dedupe(out)


def _dedupe(items: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    return [p for p in items if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]


def blocking(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.blocking]


def free_slots(course: TreatmentCourse, days: Sequence[date], chairs: Sequence[Chair], *,
               moving: Visit | None = None, respect_availability: bool = True,
               limit_per_day: int = 48, step_minutes: int | None = None
               ) -> dict[date, list[tuple[datetime, Chair]]]:
    """Starts on `days` (with the first free chair) where one visit of `course` may go.

    With `moving`, that visit is the one that moves, and the whole course must stay valid.
    `step_minutes` (a multiple of the grid) thins the list for people choosing on a phone.
    Used by the patient's reschedule page and the waitlist offers. Queries: one set for
    all days (load_boards) plus the course's visits and availability.
    """
    zone = course.clinic.zone
    boards = load_boards(course.clinic, days)
    ignore = {moving.pk} if moving else set()
    staying = [v.starts_at for v in Visit.objects.filter(course=course, status__in=ACTIVE_STATUSES)
               .exclude(pk__in=ignore).only("starts_at")]
    availability = availability_for(course) if respect_availability else None
    out: dict[date, list[tuple[datetime, Chair]]] = {}
    length = timedelta(minutes=course.visit_minutes)
    for day in days:
        board = boards[day]
        if board.opens_at is None or board.closes_at is None:
            continue
        found: list[tuple[datetime, Chair]] = []
        start = board.opens_at
        while start + length <= board.closes_at and len(found) < limit_per_day:
            if availability_problem(availability, course, start, zone) is None:
                first_is_new = not staying or start < min(staying)
                if not blocking(course_rule_problems(course, [*staying, start], zone,
                                                     check_start_dates=first_is_new)):
                    for chair in chairs:
                        if not blocking(board.placement_problems(course, chair, start, ignore=ignore)):
                            found.append((start, chair))
                            break
            start += timedelta(minutes=max(step_minutes or 0, board.slot_minutes))
        if found:
            out[day] = found
    return out
