"""Consensus Sleep Diary core items → derived sleep metrics (clinical-reference.md §10.1, §10.2).

Carney CE et al., Sleep 2012;35:287. Core items: bedtime (got into bed), time tried to sleep,
sleep onset latency (SOL), number of awakenings, wake after sleep onset (WASO), final wake
time, time out of bed, sleep quality (1 very poor … 5 very good).

    TIB (time in bed)     = out_of_bed - in_bed
    TST (total sleep)     = (final_wake - tried_to_sleep) - SOL - WASO
    SE  (sleep efficiency) = TST / TIB x 100, rounded half-up to one decimal

Times are datetimes, all naive (wall clock, the clinic's local time as the patient wrote it)
or all aware. Naive times are subtracted as wall-clock times; aware times are converted to
UTC first so the minutes are real elapsed minutes (a night across a DST change counts 7 h or
9 h, not 8 h). Nights crossing midnight are ordinary: the dates carry the day.

Public API: ``compute_sleep_diary(...) -> SleepDiaryResult``; ``cli`` for
``ketaclinic protocol sleep-diary``. No Django import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Final

from ketaclinic.protocol.config import Protocol
from ketaclinic.protocol.errors import InputError

QUALITY_LABELS: Final = {1: "very poor", 2: "poor", 3: "fair", 4: "good", 5: "very good"}  # Carney 2012
MAX_NIGHT_MINUTES: Final = 24 * 60  # data sanity: one diary entry covers one night, not a typo'd date
TIME_FIELDS: Final = ("in_bed", "tried_to_sleep", "final_wake", "out_of_bed")


@dataclass(frozen=True)
class SleepDiaryResult:
    """Derived metrics of one diary night. Minutes are rounded half-up to whole minutes;
    `sleep_efficiency_percent` is computed from the exact values, one decimal.
    `normal_efficiency` compares the shown (rounded) SE with `sleep_efficiency_normal_min_pct`."""

    time_in_bed_minutes: int
    total_sleep_minutes: int
    sleep_efficiency_percent: float
    normal_efficiency: bool
    sleep_onset_minutes: float
    wake_after_sleep_onset_minutes: float
    awakenings: int | None
    quality: int | None


def _round_half_up(value: Fraction, places: int) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _elapsed_minutes(start: datetime, end: datetime) -> Fraction:
    if start.tzinfo is not None:
        # Same-tzinfo subtraction in Python ignores offset changes (DST); go through UTC.
        start, end = start.astimezone(UTC), end.astimezone(UTC)
    delta = end - start
    return Fraction(delta.days * 86_400 + delta.seconds, 60) + Fraction(delta.microseconds, 60_000_000)


def _check_minutes(field_name: str, value: object) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(field_name, f"must be a number of minutes, got {value!r}")
    if value < 0:
        raise InputError(field_name, f"must not be negative, got {value}")
    return Fraction(value)


def compute_sleep_diary(
    *,
    in_bed: datetime,
    tried_to_sleep: datetime,
    sleep_onset_minutes: float,
    wake_after_sleep_onset_minutes: float,
    final_wake: datetime,
    out_of_bed: datetime,
    protocol: Protocol,
    awakenings: int | None = None,
    quality: int | None = None,
) -> SleepDiaryResult:
    """Derive TIB, TST and SE from one night's core diary items (see module docstring).

    Raises InputError naming the field when: times are not all naive or all aware; the order
    in_bed ≤ tried_to_sleep < final_wake ≤ out_of_bed is broken; time in bed exceeds 24 h;
    SOL/WASO are negative or make TST negative; awakenings is negative or 0 while WASO > 0;
    quality is outside 1-5.
    """
    times = {"in_bed": in_bed, "tried_to_sleep": tried_to_sleep, "final_wake": final_wake, "out_of_bed": out_of_bed}
    for name, value in times.items():
        if not isinstance(value, datetime):
            raise InputError(name, f"must be a date and time, got {value!r}")
    aware = in_bed.tzinfo is not None and in_bed.utcoffset() is not None
    for name, value in times.items():
        if (value.tzinfo is not None and value.utcoffset() is not None) != aware:
            raise InputError(name, "mixes a time zone with times without one; give all times the same way")
    sol = _check_minutes("sleep_onset_minutes", sleep_onset_minutes)
    waso = _check_minutes("wake_after_sleep_onset_minutes", wake_after_sleep_onset_minutes)
    if awakenings is not None:
        if isinstance(awakenings, bool) or not isinstance(awakenings, int) or awakenings < 0:
            raise InputError("awakenings", f"must be a whole number 0 or more, got {awakenings!r}")
        if awakenings == 0 and waso > 0:
            raise InputError("wake_after_sleep_onset_minutes", "is more than 0 but awakenings is 0")
    if quality is not None and (isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 5):
        raise InputError("quality", f"must be a whole number 1\u20135, got {quality!r}")

    if _elapsed_minutes(in_bed, tried_to_sleep) < 0:
        raise InputError("tried_to_sleep", "must not be before in_bed")
    if _elapsed_minutes(tried_to_sleep, final_wake) <= 0:
        raise InputError("final_wake", "must be after tried_to_sleep")
    if _elapsed_minutes(final_wake, out_of_bed) < 0:
        raise InputError("out_of_bed", "must not be before final_wake")
    tib = _elapsed_minutes(in_bed, out_of_bed)
    if tib > MAX_NIGHT_MINUTES:
        raise InputError("out_of_bed", "is more than 24 hours after in_bed; check the dates")

    sleep_period = _elapsed_minutes(tried_to_sleep, final_wake)
    if sol > sleep_period:
        raise InputError("sleep_onset_minutes", "is longer than the time from tried_to_sleep to final_wake")
    tst = sleep_period - sol - waso
    if tst < 0:
        raise InputError(
            "wake_after_sleep_onset_minutes", "with sleep_onset_minutes is longer than the time from tried_to_sleep "
            "to final_wake (total sleep would be negative)"
        )
    se = _round_half_up(tst / tib * 100, 1)
    return SleepDiaryResult(
        time_in_bed_minutes=int(_round_half_up(tib, 0)),
        total_sleep_minutes=int(_round_half_up(tst, 0)),
        sleep_efficiency_percent=float(se),
        normal_efficiency=se >= protocol.outcomes.sleep_efficiency_normal_min_pct,
        sleep_onset_minutes=float(sol),
        wake_after_sleep_onset_minutes=float(waso),
        awakenings=awakenings,
        quality=quality,
    )


def parse_datetime(field_name: str, value: object) -> datetime:
    """An ISO 8601 date-time string (naive wall clock or with offset) → datetime."""
    if not isinstance(value, str):
        raise InputError(field_name, f"must be an ISO date and time such as 2027-01-10T22:30, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(field_name, f"must be an ISO date and time such as 2027-01-10T22:30, got {value!r}") from None
    if "T" not in value and " " not in value.strip():
        raise InputError(field_name, f"must include the time of day, got {value!r}")
    return parsed


def cli(payload: dict[str, Any], protocol: Protocol) -> dict[str, Any]:
    """`ketaclinic protocol sleep-diary`: core diary items in, TIB/TST/SE out."""
    times = {name: parse_datetime(name, payload.get(name)) for name in TIME_FIELDS}
    for name in ("sleep_onset_minutes", "wake_after_sleep_onset_minutes"):
        if name not in payload:
            raise InputError(name, "missing")
    result = compute_sleep_diary(
        in_bed=times["in_bed"],
        tried_to_sleep=times["tried_to_sleep"],
        final_wake=times["final_wake"],
        out_of_bed=times["out_of_bed"],
        sleep_onset_minutes=payload["sleep_onset_minutes"],
        wake_after_sleep_onset_minutes=payload["wake_after_sleep_onset_minutes"],
        awakenings=payload.get("awakenings"),
        quality=payload.get("quality"),
        protocol=protocol,
    )
    out: dict[str, Any] = {
        "time_in_bed_minutes": result.time_in_bed_minutes,
        "total_sleep_minutes": result.total_sleep_minutes,
        "sleep_efficiency_percent": result.sleep_efficiency_percent,
        "normal_efficiency": result.normal_efficiency,
    }
    if result.awakenings is not None:
        out["awakenings"] = result.awakenings
    if result.quality is not None:
        out["quality"] = result.quality
    return out
