"""Consensus Sleep Diary metrics: clinical-reference.md §10.1 (SE ≥ 85 % normal), §10.2 (formulas)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.protocol.config import default_protocol, load_protocol
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.sleep import SleepDiaryResult, compute_sleep_diary

P = default_protocol()
NY = ZoneInfo("America/New_York")


def night(
    in_bed: str, tried: str, sol: float, waso: float, final: str, out: str, *, tz: ZoneInfo | None = None,
    awakenings: int | None = None, quality: int | None = None,
) -> SleepDiaryResult:
    def at(text: str) -> datetime:
        parsed = datetime.fromisoformat(text)
        return parsed.replace(tzinfo=tz) if tz is not None else parsed

    return compute_sleep_diary(
        in_bed=at(in_bed), tried_to_sleep=at(tried), sleep_onset_minutes=sol, wake_after_sleep_onset_minutes=waso,
        final_wake=at(final), out_of_bed=at(out), protocol=P, awakenings=awakenings, quality=quality,
    )


@pytest.mark.parametrize(
    ("times", "sol", "waso", "tib", "tst", "se", "normal"),
    [
        # the contract example, across midnight
        (("2027-01-10T22:30", "2027-01-10T23:00", "2027-01-11T06:30", "2027-01-11T07:00"), 30, 40, 510, 380, 74.5,
         False),
        # bed after midnight, same calendar day
        (("2027-01-11T00:30", "2027-01-11T00:30", "2027-01-11T08:30", "2027-01-11T08:30"), 0, 0, 480, 480, 100.0,
         True),
        # SE exactly 85.0 is normal
        (("2027-01-10T23:00", "2027-01-10T23:00", "2027-01-11T07:00", "2027-01-11T07:00"), 42, 30, 480, 408, 85.0,
         True),
        # 84.8 is not
        (("2027-01-10T23:00", "2027-01-10T23:00", "2027-01-11T07:00", "2027-01-11T07:00"), 43, 30, 480, 407, 84.8,
         False),
        # rounding half-up to one decimal: TST 407.4 → 407 min; 407.4 / 480 = 84.875 → 84.9
        (("2027-01-10T23:00", "2027-01-10T23:00", "2027-01-11T07:00", "2027-01-11T07:00"), 42.6, 30, 480, 407, 84.9,
         False),
        # no sleep at all: TST 0, SE 0
        (("2027-01-10T23:00", "2027-01-10T23:00", "2027-01-11T05:00", "2027-01-11T05:00"), 360, 0, 360, 0, 0.0,
         False),
        # afternoon sleeper / shift worker, no midnight
        (("2027-01-11T08:00", "2027-01-11T08:15", "2027-01-11T15:15", "2027-01-11T16:00"), 15, 0, 480, 405, 84.4,
         False),
    ],
)
def test_examples(
    times: tuple[str, str, str, str], sol: float, waso: float, tib: int, tst: int, se: float, normal: bool
) -> None:
    r = night(times[0], times[1], sol, waso, times[2], times[3])
    assert (r.time_in_bed_minutes, r.total_sleep_minutes, r.sleep_efficiency_percent) == (tib, tst, se)
    assert r.normal_efficiency is normal


def test_normal_threshold_from_config() -> None:
    p80 = load_protocol({"outcomes.sleep_efficiency_normal_min_pct": 80})
    r = compute_sleep_diary(
        in_bed=datetime(2027, 1, 10, 23), tried_to_sleep=datetime(2027, 1, 10, 23), sleep_onset_minutes=43,
        wake_after_sleep_onset_minutes=30, final_wake=datetime(2027, 1, 11, 7), out_of_bed=datetime(2027, 1, 11, 7),
        protocol=p80,
    )
    assert r.sleep_efficiency_percent == 84.8 and r.normal_efficiency


def test_passthrough_items() -> None:
    r = night("2027-01-10T22:30", "2027-01-10T23:00", 30, 40, "2027-01-11T06:30", "2027-01-11T07:00",
              awakenings=2, quality=4)
    assert (r.awakenings, r.quality, r.sleep_onset_minutes, r.wake_after_sleep_onset_minutes) == (2, 4, 30.0, 40.0)


def test_aware_times_count_real_minutes_across_dst() -> None:
    # US DST began 2027-03-14 at 02:00: the clock jumps to 03:00, the night is one hour shorter.
    aware = night("2027-03-13T23:00", "2027-03-13T23:00", 0, 0, "2027-03-14T07:00", "2027-03-14T07:00", tz=NY)
    assert aware.time_in_bed_minutes == 420 and aware.total_sleep_minutes == 420
    naive = night("2027-03-13T23:00", "2027-03-13T23:00", 0, 0, "2027-03-14T07:00", "2027-03-14T07:00")
    assert naive.time_in_bed_minutes == 480  # wall clock as written


def test_aware_times_with_offsets() -> None:
    r = night("2027-01-10T22:30-05:00", "2027-01-11T04:00+00:00", 30, 40, "2027-01-11T06:30-05:00",
              "2027-01-11T12:00Z")
    assert (r.time_in_bed_minutes, r.total_sleep_minutes, r.sleep_efficiency_percent) == (510, 380, 74.5)


@pytest.mark.parametrize(
    ("times", "sol", "waso", "field"),
    [
        (("2027-01-10T23:00", "2027-01-10T22:59", "2027-01-11T06:30", "2027-01-11T07:00"), 0, 0, "tried_to_sleep"),
        (("2027-01-10T23:00", "2027-01-11T06:30", "2027-01-11T06:30", "2027-01-11T07:00"), 0, 0, "final_wake"),
        (("2027-01-10T23:00", "2027-01-10T23:30", "2027-01-10T06:30", "2027-01-11T07:00"), 0, 0, "final_wake"),
        (("2027-01-10T23:00", "2027-01-10T23:30", "2027-01-11T06:30", "2027-01-11T06:29"), 0, 0, "out_of_bed"),
        (("2027-01-10T23:00", "2027-01-10T23:30", "2027-01-11T06:30", "2027-01-12T07:00"), 0, 0, "out_of_bed"),
        # TST negative: SOL alone exceeds the sleep period / SOL + WASO exceed it
        (("2027-01-10T23:00", "2027-01-10T23:00", "2027-01-11T01:00", "2027-01-11T01:00"), 121, 0,
         "sleep_onset_minutes"),
        (("2027-01-10T23:00", "2027-01-10T23:00", "2027-01-11T01:00", "2027-01-11T01:00"), 60, 61,
         "wake_after_sleep_onset_minutes"),
        (("2027-01-10T23:00", "2027-01-10T23:00", "2027-01-11T07:00", "2027-01-11T07:00"), -1, 0,
         "sleep_onset_minutes"),
        (("2027-01-10T23:00", "2027-01-10T23:00", "2027-01-11T07:00", "2027-01-11T07:00"), 0, -5,
         "wake_after_sleep_onset_minutes"),
        (("2027-01-10T23:00", "2027-01-10T23:00", "2027-01-11T07:00", "2027-01-11T07:00"), True, 0,
         "sleep_onset_minutes"),
        (("2027-01-10T23:00", "2027-01-10T23:00", "2027-01-11T07:00", "2027-01-11T07:00"), float("nan"), 0,
         "sleep_onset_minutes"),
        # mixing naive and aware
        (("2027-01-10T23:00", "2027-01-10T23:00+00:00", "2027-01-11T07:00", "2027-01-11T07:00"), 0, 0,
         "tried_to_sleep"),
    ],
)
def test_invalid_nights(times: tuple[str, str, str, str], sol: float, waso: float, field: str) -> None:
    with pytest.raises(InputError) as exc:
        night(times[0], times[1], sol, waso, times[2], times[3])
    assert exc.value.field == field


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"awakenings": -1}, "awakenings"), ({"awakenings": True}, "awakenings"),
     ({"awakenings": 0}, "wake_after_sleep_onset_minutes"),  # WASO 40 with no awakenings
     ({"quality": 0}, "quality"), ({"quality": 6}, "quality"), ({"quality": 3.5}, "quality")],
)
def test_invalid_extras(extra: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as exc:
        night("2027-01-10T22:30", "2027-01-10T23:00", 30, 40, "2027-01-11T06:30", "2027-01-11T07:00", **extra)
    assert exc.value.field == field


# --- properties ------------------------------------------------------------------------------


@st.composite
def valid_nights(draw: st.DrawFn) -> dict[str, object]:
    tz = draw(st.sampled_from([None, NY, timezone(timedelta(hours=2))]))
    start = draw(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)))
    start = start.replace(second=0, microsecond=0, tzinfo=tz)
    to_try = draw(st.integers(0, 180))
    period = draw(st.integers(1, 14 * 60))
    after = draw(st.integers(0, 180))
    sol = draw(st.integers(0, period))
    waso = draw(st.integers(0, period - sol))
    tried = start + timedelta(minutes=to_try)
    final = tried + timedelta(minutes=period)
    return {
        "in_bed": start, "tried_to_sleep": tried, "final_wake": final, "out_of_bed": final + timedelta(minutes=after),
        "sleep_onset_minutes": sol, "wake_after_sleep_onset_minutes": waso, "awakenings": 1 if waso else 0,
    }


@given(valid_nights())
def test_efficiency_within_bounds(kwargs: dict[str, object]) -> None:
    try:
        r = compute_sleep_diary(protocol=P, **kwargs)  # type: ignore[arg-type]
    except InputError as exc:
        # Only a DST jump can turn an aware wall-clock sequence into a non-positive real interval.
        assert kwargs["in_bed"].tzinfo is NY, exc  # type: ignore[attr-defined]
        return
    assert 0 <= r.sleep_efficiency_percent <= 100
    assert 0 <= r.total_sleep_minutes <= r.time_in_bed_minutes
    assert r.normal_efficiency is (r.sleep_efficiency_percent >= P.outcomes.sleep_efficiency_normal_min_pct)
