"""Instance and plan: frozen dataclasses, JSON parsing with field-named errors.

Time is clinic-local wall clock. Internally every instant is an integer number of minutes
since midnight of the first open day (the *epoch*); a calendar day index is `minute // 1440`.
Working in plain minutes keeps this package free of naive datetimes and makes spacing rules
(hours between starts, 7-day windows) simple arithmetic. DST shifts are ignored on purpose:
rules are stated in wall-clock terms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

DAY = 1440

DEFAULT_SLOT = 10
DEFAULT_MAX_INFUSIONS = 2
DEFAULT_CHECKIN, DEFAULT_INFUSION, DEFAULT_RECOVERY = 20, 40, 45
DEFAULT_VISITS = 6
DEFAULT_WINDOW_DAYS = 21
DEFAULT_MAX_PER_7 = 3
DEFAULT_MIN_GAP_HOURS = 20
PLAN_STATUSES = ("optimal", "feasible", "infeasible", "unknown")

_TIME = re.compile(r"^(\d{2}):(\d{2})$")
_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})$")


class ScheduleInputError(ValueError):
    """An instance or plan is malformed. `field` names the offending item (JSON path)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Phases:
    checkin: int
    infusion: int
    recovery: int

    @property
    def total(self) -> int:
        return self.checkin + self.infusion + self.recovery


@dataclass(frozen=True)
class OpenDay:
    day: int  # days since epoch
    date: date
    open: int  # minutes since epoch
    close: int


@dataclass(frozen=True)
class Nurse:
    id: str
    shifts: tuple[tuple[int, int], ...]  # [start, end) in minutes since epoch


@dataclass(frozen=True)
class Availability:
    weekdays: frozenset[int]  # 0 = Monday
    start: int  # minute of day; the whole visit must fit in [start, end]
    end: int


@dataclass(frozen=True)
class Course:
    id: str
    visits: int
    window_days: int
    max_per_7_days: int
    min_gap: int  # minutes between starts
    earliest: int  # day index (may be before the epoch or after the last open day)
    latest_start: int
    weight: int
    availability: Availability
    phases: Phases


@dataclass(frozen=True)
class VisitRef:
    course: str
    visit: int
    chair: str
    start: int


@dataclass(frozen=True)
class Instance:
    epoch: date
    slot_minutes: int
    open_days: tuple[OpenDay, ...]
    chairs: tuple[str, ...]
    nurses: tuple[Nurse, ...]
    max_infusions_per_nurse: int
    phases: Phases
    courses: tuple[Course, ...]
    fixed: tuple[VisitRef, ...]
    booked: tuple[VisitRef, ...]
    move_penalty: int

    def course(self, course_id: str) -> Course:
        for c in self.courses:
            if c.id == course_id:
                return c
        raise KeyError(course_id)

    def day_of(self, day: int) -> OpenDay | None:
        for d in self.open_days:
            if d.day == day:
                return d
        return None


@dataclass(frozen=True)
class Assignment:
    course: str
    visit: int
    chair: str
    start: int


@dataclass(frozen=True)
class Plan:
    status: str
    method: str
    objective: int
    bound: int
    moved: int
    assignments: tuple[Assignment, ...]
    unscheduled: tuple[str, ...]
    solve_seconds: float
    # Re-planning only: proven upper bound on objective - move_penalty x moved, the quantity
    # the optimizer maximises (`bound` is on the objective alone).
    score_bound: int | None = None


# --- time formatting -------------------------------------------------------------------


def format_stamp(epoch: date, minute: int) -> str:
    day, rest = divmod(minute, DAY)
    return f"{(epoch + timedelta(days=day)).isoformat()}T{rest // 60:02d}:{rest % 60:02d}"


def format_time(minute_of_day: int) -> str:
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


def _parse_time(value: object, field: str, *, allow_24: bool = True) -> int:
    if not isinstance(value, str):
        raise ScheduleInputError(field, "must be a time string HH:MM")
    m = _TIME.match(value)
    if not m:
        raise ScheduleInputError(field, f"must be a time string HH:MM, got {value!r}")
    hours, minutes = int(m.group(1)), int(m.group(2))
    total = hours * 60 + minutes
    if minutes > 59 or total > DAY or (total == DAY and not allow_24):
        raise ScheduleInputError(field, f"impossible time {value!r}")
    return total


def _parse_date(value: object, field: str) -> date:
    if not isinstance(value, str):
        raise ScheduleInputError(field, "must be an ISO date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ScheduleInputError(field, f"impossible date {value!r}") from None


def parse_stamp(value: object, field: str, epoch: date) -> int:
    if not isinstance(value, str):
        raise ScheduleInputError(field, "must be a local date-time YYYY-MM-DDTHH:MM")
    m = _STAMP.match(value)
    if not m:
        raise ScheduleInputError(field, f"must be a local date-time YYYY-MM-DDTHH:MM, got {value!r}")
    day = _parse_date(m.group(1), field)
    return (day - epoch).days * DAY + _parse_time(m.group(2), field, allow_24=False)


# --- generic field readers -----------------------------------------------------------


def _obj(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScheduleInputError(field, "must be an object")
    return value


def _list(value: object, field: str) -> Sequence[Any]:
    if not isinstance(value, list):
        raise ScheduleInputError(field, "must be a list")
    return value


def _required(obj: Mapping[str, Any], key: str, field: str) -> Any:
    if key not in obj:
        raise ScheduleInputError(f"{field}.{key}" if field else key, "is required")
    return obj[key]


def _int(value: object, field: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        word = "a positive" if minimum == 1 else "a non-negative" if minimum == 0 else "an"
        raise ScheduleInputError(field, f"must be {word} integer")
    if value < minimum:
        word = "positive" if minimum == 1 else "non-negative" if minimum == 0 else f">= {minimum}"
        raise ScheduleInputError(field, f"must be a {word} integer")
    return value


def _str(value: object, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise ScheduleInputError(field, "must be a non-empty string")
    return value


def _at(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key


# --- instance --------------------------------------------------------------------------


def _parse_phases(value: object, field: str, default: Phases) -> Phases:
    obj = _obj(value, field)
    checkin = _int(obj.get("checkin", default.checkin), f"{field}.checkin", minimum=0)
    infusion = _int(obj.get("infusion", default.infusion), f"{field}.infusion", minimum=1)
    recovery = _int(obj.get("recovery", default.recovery), f"{field}.recovery", minimum=0)
    return Phases(checkin, infusion, recovery)


def parse_instance(data: object) -> Instance:
    """Parse and check an instance JSON value. Raises ScheduleInputError naming the field."""
    root = _obj(data, "instance")
    slot = _int(root.get("slot_minutes", DEFAULT_SLOT), "slot_minutes", minimum=1)

    raw_days = _list(_required(root, "open_days", ""), "open_days")
    if not raw_days:
        raise ScheduleInputError("open_days", "must list at least one open day")
    parsed_days: list[tuple[date, int, int, str]] = []
    for i, raw in enumerate(raw_days):
        f = f"open_days[{i}]"
        obj = _obj(raw, f)
        day = _parse_date(_required(obj, "date", f), f"{f}.date")
        opens = _parse_time(_required(obj, "open", f), f"{f}.open")
        closes = _parse_time(_required(obj, "close", f), f"{f}.close")
        if closes <= opens:
            raise ScheduleInputError(f"{f}.close", "must be after open")
        parsed_days.append((day, opens, closes, f))
    parsed_days.sort()
    epoch = parsed_days[0][0]
    open_days: list[OpenDay] = []
    for day, opens, closes, f in parsed_days:
        if open_days and open_days[-1].date == day:
            raise ScheduleInputError(f"{f}.date", f"{day.isoformat()} is listed twice")
        index = (day - epoch).days
        open_days.append(OpenDay(index, day, index * DAY + opens, index * DAY + closes))

    raw_chairs = _list(_required(root, "chairs", ""), "chairs")
    if not raw_chairs:
        raise ScheduleInputError("chairs", "must list at least one chair")
    chairs = tuple(_str(c, f"chairs[{i}]") for i, c in enumerate(raw_chairs))
    if len(set(chairs)) != len(chairs):
        raise ScheduleInputError("chairs", "chair ids must be unique")

    nurses: list[Nurse] = []
    for i, raw in enumerate(_list(_required(root, "nurses", ""), "nurses")):
        f = f"nurses[{i}]"
        obj = _obj(raw, f)
        nurse_id = _str(_required(obj, "id", f), f"{f}.id")
        shifts: list[tuple[int, int]] = []
        for j, raw_shift in enumerate(_list(obj.get("shifts", []), f"{f}.shifts")):
            g = f"{f}.shifts[{j}]"
            sh = _obj(raw_shift, g)
            base = (_parse_date(_required(sh, "date", g), f"{g}.date") - epoch).days * DAY
            start = _parse_time(_required(sh, "start", g), f"{g}.start")
            end = _parse_time(_required(sh, "end", g), f"{g}.end")
            if end <= start:
                raise ScheduleInputError(f"{g}.end", "must be after start")
            shifts.append((base + start, base + end))
        nurses.append(Nurse(nurse_id, tuple(sorted(shifts))))
    if len({n.id for n in nurses}) != len(nurses):
        raise ScheduleInputError("nurses", "nurse ids must be unique")

    per_nurse = _int(root.get("max_infusions_per_nurse", DEFAULT_MAX_INFUSIONS), "max_infusions_per_nurse", minimum=1)
    phases = _parse_phases(
        root.get("phases", {}), "phases", Phases(DEFAULT_CHECKIN, DEFAULT_INFUSION, DEFAULT_RECOVERY)
    )
    first_day, last_day = open_days[0].day, open_days[-1].day

    courses: list[Course] = []
    seen: set[str] = set()
    for i, raw in enumerate(_list(_required(root, "courses", ""), "courses")):
        f = f"courses[{i}]"
        obj = _obj(raw, f)
        cid = _str(_required(obj, "id", f), f"{f}.id")
        if cid in seen:
            raise ScheduleInputError(f"{f}.id", f"duplicate course id {cid!r}")
        seen.add(cid)
        visits = _int(_required(obj, "visits", f), f"{f}.visits", minimum=1)
        window = _int(obj.get("window_days", DEFAULT_WINDOW_DAYS), f"{f}.window_days", minimum=1)
        per7 = _int(obj.get("max_per_7_days", DEFAULT_MAX_PER_7), f"{f}.max_per_7_days", minimum=1)
        gap_h = obj.get("min_gap_hours", DEFAULT_MIN_GAP_HOURS)
        if isinstance(gap_h, bool) or not isinstance(gap_h, int | float) or gap_h < 0:
            raise ScheduleInputError(f"{f}.min_gap_hours", "must be a non-negative number")
        earliest = first_day
        if "earliest" in obj:
            earliest = (_parse_date(obj["earliest"], f"{f}.earliest") - epoch).days
        latest = last_day
        if "latest_start" in obj:
            latest = (_parse_date(obj["latest_start"], f"{f}.latest_start") - epoch).days
        if latest < earliest:
            raise ScheduleInputError(f"{f}.latest_start", "must not be before earliest")
        weight = _int(obj.get("weight", 1), f"{f}.weight", minimum=1)
        av = _obj(obj.get("availability", {}), f"{f}.availability")
        weekdays_raw = _list(av.get("weekdays", [0, 1, 2, 3, 4, 5, 6]), f"{f}.availability.weekdays")
        weekdays: set[int] = set()
        for j, wd in enumerate(weekdays_raw):
            value = _int(wd, f"{f}.availability.weekdays[{j}]", minimum=0)
            if value > 6:
                raise ScheduleInputError(f"{f}.availability.weekdays[{j}]", "must be 0 (Monday) to 6 (Sunday)")
            weekdays.add(value)
        av_from = _parse_time(av.get("from", "00:00"), f"{f}.availability.from")
        av_until = _parse_time(av.get("until", "24:00"), f"{f}.availability.until")
        if av_until <= av_from:
            raise ScheduleInputError(f"{f}.availability.until", "must be after from")
        course_phases = _parse_phases(obj.get("phases", {}), f"{f}.phases", phases)
        courses.append(
            Course(
                id=cid,
                visits=visits,
                window_days=window,
                max_per_7_days=per7,
                min_gap=round(float(gap_h) * 60),
                earliest=earliest,
                latest_start=latest,
                weight=weight,
                availability=Availability(frozenset(weekdays), av_from, av_until),
                phases=course_phases,
            )
        )
    by_id = {c.id: c for c in courses}
    chair_set = set(chairs)
    days_by_index = {d.day: d for d in open_days}

    refs: dict[str, tuple[VisitRef, ...]] = {}
    taken: set[tuple[str, int]] = set()
    for key in ("fixed", "booked"):
        items: list[VisitRef] = []
        for i, raw in enumerate(_list(root.get(key, []), key)):
            f = f"{key}[{i}]"
            obj = _obj(raw, f)
            cid = _str(_required(obj, "course", f), f"{f}.course")
            if cid not in by_id:
                raise ScheduleInputError(f"{f}.course", f"unknown course {cid!r}")
            visit = _int(_required(obj, "visit", f), f"{f}.visit", minimum=1)
            if visit > by_id[cid].visits:
                raise ScheduleInputError(f"{f}.visit", f"course {cid} has only {by_id[cid].visits} visits")
            if (cid, visit) in taken:
                raise ScheduleInputError(f"{f}.visit", f"visit {visit} of {cid} is listed twice")
            taken.add((cid, visit))
            chair = _str(_required(obj, "chair", f), f"{f}.chair")
            if chair not in chair_set:
                raise ScheduleInputError(f"{f}.chair", f"unknown chair {chair!r}")
            start = parse_stamp(_required(obj, "start", f), f"{f}.start", epoch)
            if key == "fixed":
                # A fixed visit is a fact; one the clinic could not have held is a data error.
                open_day = days_by_index.get(start // DAY)
                length = by_id[cid].phases.total
                if open_day is None:
                    raise ScheduleInputError(f"{f}.start", "is not on an open day")
                if start < open_day.open or start + length > open_day.close:
                    raise ScheduleInputError(f"{f}.start", "visit does not fit inside opening hours")
                if (start - open_day.open) % slot:
                    raise ScheduleInputError(f"{f}.start", f"is not on the {slot}-minute slot grid")
            items.append(VisitRef(cid, visit, chair, start))
        refs[key] = tuple(items)

    move_penalty = _int(root.get("move_penalty", 1), "move_penalty", minimum=0)
    return Instance(
        epoch=epoch,
        slot_minutes=slot,
        open_days=tuple(open_days),
        chairs=chairs,
        nurses=tuple(nurses),
        max_infusions_per_nurse=per_nurse,
        phases=phases,
        courses=tuple(courses),
        fixed=refs["fixed"],
        booked=refs["booked"],
        move_penalty=move_penalty,
    )


# --- plan ------------------------------------------------------------------------------


def plan_to_json(plan: Plan, epoch: date) -> dict[str, Any]:
    return {
        "status": plan.status,
        "method": plan.method,
        "objective": plan.objective,
        "bound": plan.bound,
        "moved": plan.moved,
        "assignments": [
            {"course": a.course, "visit": a.visit, "chair": a.chair, "start": format_stamp(epoch, a.start)}
            for a in sorted(plan.assignments, key=lambda a: (a.start, a.chair, a.course))
        ],
        "unscheduled": list(plan.unscheduled),
        "solve_seconds": round(plan.solve_seconds, 3),
    } | ({} if plan.score_bound is None else {"score_bound": plan.score_bound})


def parse_plan(data: object, epoch: date) -> Plan:
    root = _obj(data, "plan")
    status = root.get("status", "unknown")
    if status not in PLAN_STATUSES:
        raise ScheduleInputError("status", f"must be one of {', '.join(PLAN_STATUSES)}")
    assignments: list[Assignment] = []
    for i, raw in enumerate(_list(_required(root, "assignments", ""), "assignments")):
        f = f"assignments[{i}]"
        obj = _obj(raw, f)
        assignments.append(
            Assignment(
                course=_str(_required(obj, "course", f), f"{f}.course"),
                visit=_int(_required(obj, "visit", f), f"{f}.visit", minimum=1),
                chair=_str(_required(obj, "chair", f), f"{f}.chair"),
                start=parse_stamp(_required(obj, "start", f), f"{f}.start", epoch),
            )
        )
    unscheduled = tuple(
        _str(u, f"unscheduled[{i}]") for i, u in enumerate(_list(root.get("unscheduled", []), "unscheduled"))
    )
    seconds = root.get("solve_seconds", 0.0)
    raw_score = root.get("score_bound")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ScheduleInputError("solve_seconds", "must be a number")
    return Plan(
        status=str(status),
        method=str(root.get("method", "")),
        objective=_int(root.get("objective", 0), "objective", minimum=0),
        bound=_int(root.get("bound", 0), "bound", minimum=0),
        moved=_int(root.get("moved", 0), "moved", minimum=0),
        assignments=tuple(assignments),
        unscheduled=unscheduled,
        solve_seconds=float(seconds),
        score_bound=None if raw_score is None else _int(raw_score, "score_bound", minimum=-(10**15)),
    )
