"""Realistic random instances: a weekday clinic with a holiday, nurses on split shifts with
days off, and a waiting list mixing induction courses (some longer pain infusions) with
single-visit maintenance boosters, each patient with an availability pattern."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from ketaclinic.scheduling.greedy import solve_greedy
from ketaclinic.scheduling.model import DAY, format_stamp, parse_instance

START = date(2027, 1, 4)  # a Monday

# (weekdays, from, until, share): anytime, mornings, afternoons, after work, Mon/Wed/Fri, Tue/Thu.
AVAILABILITY: list[tuple[list[int], str, str, float]] = [
    ([0, 1, 2, 3, 4], "08:00", "18:00", 0.35),
    ([0, 1, 2, 3, 4], "08:00", "13:00", 0.20),
    ([0, 1, 2, 3, 4], "12:00", "18:00", 0.15),
    ([0, 1, 2, 3, 4], "14:00", "18:00", 0.10),
    ([0, 2, 4], "08:00", "18:00", 0.12),
    ([1, 3], "09:00", "17:00", 0.08),
]
# Early and late split shifts: a nurse's lunch break lowers infusion capacity mid-day.
SHIFTS = [
    [("07:45", "12:00"), ("12:30", "16:15")],
    [("09:45", "13:30"), ("14:00", "18:00")],
]


def _pick_availability(rng: random.Random) -> tuple[list[int], str, str]:
    r = rng.random()
    for weekdays, start, end, share in AVAILABILITY:
        r -= share
        if r <= 0:
            return weekdays, start, end
    weekdays, start, end, _ = AVAILABILITY[0]
    return weekdays, start, end


def generate(
    *, chairs: int, nurses: int, courses: int, days: int, seed: int, booster_share: float = 0.3
) -> dict[str, Any]:
    rng = random.Random(seed)  # noqa: S311 -- reproducible test data, not security
    open_days: list[date] = []
    current = START
    holiday_at = rng.randrange(5, max(6, days - 3)) if days > 8 else -1
    weekday_count = 0
    while len(open_days) < days:
        if current.weekday() < 5:
            if weekday_count != holiday_at:
                open_days.append(current)
            weekday_count += 1
        current += timedelta(days=1)
    hours = {d: ("08:00", "16:00" if d.weekday() == 4 else "18:00") for d in open_days}

    nurse_list: list[dict[str, Any]] = []
    for n in range(nurses):
        shifts: list[dict[str, str]] = []
        pattern = n % 2
        off_by_week: dict[int, int] = {}
        for d in open_days:
            week = (d - START).days // 7
            if week not in off_by_week:
                # Most nurses work four days a week; the day off varies.
                off_by_week[week] = rng.randrange(5) if rng.random() < 0.7 else -1
                pattern = 1 - pattern if rng.random() < 0.3 else pattern
            if d.weekday() == off_by_week[week]:
                continue
            close = hours[d][1]
            for start, end in SHIFTS[pattern]:
                end = min(end, close)
                if start < end:
                    shifts.append({"date": d.isoformat(), "start": start, "end": end})
        nurse_list.append({"id": f"N{n + 1}", "shifts": shifts})

    course_list: list[dict[str, Any]] = []
    last = len(open_days) - 1
    for i in range(courses):
        weekdays, av_from, av_until = _pick_availability(rng)
        item: dict[str, Any] = {"id": f"P{i + 1:03d}", "weight": 1}
        if rng.random() < booster_share:
            first = rng.randrange(0, last + 1)
            item.update(
                visits=1,
                earliest=open_days[first].isoformat(),
                latest_start=open_days[min(last, first + rng.randrange(3, 8))].isoformat(),
            )
        else:
            # Inductions are referred throughout the first half and may start within ~2 weeks.
            first = rng.randrange(0, max(1, last // 2))
            item.update(
                visits=6,
                earliest=open_days[first].isoformat(),
                latest_start=open_days[min(last, first + rng.randrange(5, 11))].isoformat(),
            )
            if rng.random() < 0.15:
                item["phases"] = {"checkin": 20, "infusion": 80, "recovery": 45}
        item["availability"] = {"weekdays": weekdays, "from": av_from, "until": av_until}
        course_list.append(item)

    return {
        "slot_minutes": 10,
        "open_days": [{"date": d.isoformat(), "open": hours[d][0], "close": hours[d][1]} for d in open_days],
        "chairs": [f"C{c + 1}" for c in range(chairs)],
        "nurses": nurse_list,
        "max_infusions_per_nurse": 2,
        "phases": {"checkin": 20, "infusion": 40, "recovery": 45},
        "courses": course_list,
        "move_penalty": 1,
        "generator": {"seed": seed, "chairs": chairs, "nurses": nurses, "courses": courses, "days": days},
    }


def with_bookings(data: dict[str, Any], *, share: float = 0.6, locked_days: int = 2) -> dict[str, Any]:
    """A re-planning version of a generated instance: the first `share` of the waiting list
    was booked earlier (by first-fit, as a front desk would); visits in the first
    `locked_days` open days have happened (`fixed`), the rest are `booked` and may move."""
    earlier = dict(data)
    earlier["courses"] = data["courses"][: int(len(data["courses"]) * share)]
    instance = parse_instance(earlier)
    plan = solve_greedy(instance)
    cutoff = instance.open_days[min(locked_days, len(instance.open_days) - 1)].day * DAY
    fixed: list[dict[str, Any]] = []
    booked: list[dict[str, Any]] = []
    for a in sorted(plan.assignments, key=lambda a: (a.course, a.visit)):
        ref = {"course": a.course, "visit": a.visit, "chair": a.chair, "start": format_stamp(instance.epoch, a.start)}
        (fixed if a.start < cutoff else booked).append(ref)
    out = dict(data)
    out["fixed"], out["booked"] = fixed, booked
    return out
