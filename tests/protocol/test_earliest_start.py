"""Earliest safe start from the patient's attestations (issue 7 contract; clinical-reference §5.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.protocol.config import default_protocol, load_protocol
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.preparation import EarliestStart, cli_earliest_start, earliest_safe_start

P = default_protocol()
NY = ZoneInfo("America/New_York")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# Defaults: solids 6 h, clear liquids 2 h, alcohol 24 h.
TABLE = [
    pytest.param({"last_solid_food": "2027-06-15T07:30:00-04:00"}, "2027-06-15T13:30:00-04:00", "solid_food",
                 id="ate-0730-not-before-1330"),
    pytest.param({"last_clear_liquids": "2027-06-15T12:00:00-04:00"}, "2027-06-15T14:00:00-04:00", "clear_liquids",
                 id="drank-only"),
    pytest.param({"last_solid_food": "2027-06-15T07:30:00-04:00", "last_clear_liquids": "2027-06-15T12:00:00-04:00"},
                 "2027-06-15T14:00:00-04:00", "clear_liquids", id="late-drink-limits"),
    pytest.param({"last_solid_food": "2027-06-15T07:30:00-04:00", "last_clear_liquids": "2027-06-15T11:00:00-04:00"},
                 "2027-06-15T13:30:00-04:00", "solid_food", id="early-drink-does-not-limit"),
    pytest.param({"last_solid_food": "2027-06-15T07:30:00-04:00", "last_clear_liquids": "2027-06-15T11:30:00-04:00"},
                 "2027-06-15T13:30:00-04:00", "solid_food", id="tie-goes-to-solid-food"),
    pytest.param({"last_solid_food": "2027-06-15T07:30:00-04:00", "last_alcohol": "2027-06-14T20:00:00-04:00"},
                 "2027-06-15T20:00:00-04:00", "alcohol", id="alcohol-last-night"),
    pytest.param({"last_solid_food": "2027-06-15T07:30:00-04:00", "last_alcohol": "2027-06-13T20:00:00-04:00"},
                 "2027-06-15T13:30:00-04:00", "solid_food", id="alcohol-two-days-ago"),
    pytest.param({"last_solid_food": "2027-06-15T11:30:00Z"}, "2027-06-15T17:30:00+00:00", "solid_food",
                 id="utc-stays-utc"),
    # Different offsets: 07:30-04:00 = 11:30Z (+6 h = 17:30Z); clear 16:00Z (+2 h = 18:00Z) limits.
    pytest.param({"last_solid_food": "2027-06-15T07:30:00-04:00", "last_clear_liquids": "2027-06-15T16:00:00+00:00"},
                 "2027-06-15T18:00:00+00:00", "clear_liquids", id="mixed-offsets"),
    # Spring forward: 23:30 EST = 04:30Z; +6 h = 10:30Z, shown in the given offset (-05:00).
    pytest.param({"last_solid_food": "2027-03-13T23:30:00-05:00"}, "2027-03-14T05:30:00-05:00", "solid_food",
                 id="spring-forward-fixed-offset"),
    pytest.param({}, None, "none", id="nothing-attested"),
]


@pytest.mark.parametrize(("given_", "expected", "limiting"), TABLE)
def test_earliest_start_table(given_: dict[str, str], expected: str | None, limiting: str) -> None:
    attested: dict[str, Any] = {k: at(v) for k, v in given_.items()}
    result = earliest_safe_start(P, **attested)
    assert result.limiting == limiting
    assert (None if result.earliest_start is None else result.earliest_start.isoformat()) == expected


def test_nothing_attested_is_null_and_none() -> None:
    assert earliest_safe_start(P) == EarliestStart(None, "none")
    assert cli_earliest_start({}, P) == {"earliest_start": None, "limiting": "none"}


def test_zoneinfo_input_uses_real_elapsed_hours() -> None:
    # Ate at 23:30 EST the night clocks spring forward: 6 real hours later is 06:30 EDT, not 05:30.
    result = earliest_safe_start(P, last_solid_food=datetime(2027, 3, 13, 23, 30, tzinfo=NY))
    assert result.earliest_start is not None
    assert result.earliest_start.isoformat() == "2027-03-14T06:30:00-04:00"
    assert result.earliest_start.tzinfo is NY
    # Fall back: drank at 00:30 EDT; 2 real hours later is 01:30 EST (the second 01:30).
    result = earliest_safe_start(P, last_clear_liquids=datetime(2027, 11, 7, 0, 30, tzinfo=NY))
    assert result.earliest_start is not None
    assert result.earliest_start.isoformat() == "2027-11-07T01:30:00-05:00"


def test_repeated_hour_compared_in_real_time() -> None:
    # Clocks go back at 06:00Z on Nov 7: 01:40 EDT (the first 01:40) is 05:40Z, before 01:20 EST (06:20Z),
    # though its wall time is later. Wall-time comparison would wrongly pick clear_liquids.
    ate = datetime(2027, 11, 6, 20, 20, tzinfo=NY)  # 00:20Z; + 6 h = 06:20Z = 01:20 EST
    drank = datetime(2027, 11, 6, 23, 40, tzinfo=NY)  # 03:40Z; + 2 h = 05:40Z = 01:40 EDT
    result = earliest_safe_start(P, last_solid_food=ate, last_clear_liquids=drank)
    assert result.limiting == "solid_food"
    assert result.earliest_start is not None
    assert result.earliest_start.isoformat() == "2027-11-07T01:20:00-05:00"


def test_cli_timezone_shows_the_result_in_the_clinic_zone() -> None:
    out = cli_earliest_start({"last_solid_food": "2027-03-13T23:30:00-05:00", "timezone": "America/New_York"}, P)
    assert out == {"earliest_start": "2027-03-14T06:30:00-04:00", "limiting": "solid_food"}


def test_overrides_and_protocol_windows() -> None:
    ate = at("2027-06-15T07:30:00-04:00")
    assert earliest_safe_start(P, last_solid_food=ate, fasting_solids_hours=8).earliest_start == at(
        "2027-06-15T15:30:00-04:00"
    )
    eight = load_protocol({"preparation.fast_solids_h": 8})
    assert earliest_safe_start(eight, last_solid_food=ate).earliest_start == at("2027-06-15T15:30:00-04:00")
    drank = at("2027-06-15T12:00:00-04:00")
    result = earliest_safe_start(P, last_clear_liquids=drank, fasting_clear_liquids_hours=3)
    assert result.earliest_start == at("2027-06-15T15:00:00-04:00")
    result = earliest_safe_start(P, last_alcohol=drank, alcohol_free_hours=48)
    assert result.earliest_start == at("2027-06-17T12:00:00-04:00")


@pytest.mark.parametrize("field", ["last_solid_food", "last_clear_liquids", "last_alcohol"])
def test_naive_attestation_is_refused(field: str) -> None:
    with pytest.raises(InputError) as info:
        naive: dict[str, Any] = {field: datetime(2027, 6, 15, 7, 30)}  # naive on purpose
        earliest_safe_start(P, **naive)
    assert info.value.field == field
    with pytest.raises(InputError) as info:
        cli_earliest_start({field: "2027-06-15T07:30:00"}, P)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"last_solid_food": "07:30"}, "last_solid_food"),
        ({"last_solid_food": "2027-06-15"}, "last_solid_food"),
        ({"last_solid_food": "yesterday at 7"}, "last_solid_food"),
        ({"last_solid_food": 1781523000}, "last_solid_food"),
        ({"last_alcohol": "2027-02-30T20:00:00-05:00"}, "last_alcohol"),
        ({"timezone": "Nowhere/Town"}, "timezone"),
        ({"last_food": "2027-06-15T07:30:00-04:00"}, "last_food"),
        ({"fasting_solids_hours": -2}, "fasting_solids_hours"),
    ],
)
def test_cli_bad_input(payload: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as info:
        cli_earliest_start(payload, P)
    assert info.value.field == field


attested = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(2026, 1, 1),  # hypothesis takes naive bounds
        max_value=datetime(2028, 12, 31),
        timezones=st.sampled_from([UTC, NY, ZoneInfo("Europe/Madrid"), ZoneInfo("Australia/Lord_Howe")]),
    ),
)


@given(solid=attested, clear=attested, alcohol=attested)
def test_earliest_start_properties(solid: datetime | None, clear: datetime | None, alcohol: datetime | None) -> None:
    result = earliest_safe_start(P, last_solid_food=solid, last_clear_liquids=clear, last_alcohol=alcohol)
    windows = {
        "solid_food": (solid, P.preparation.fast_solids_h),
        "clear_liquids": (clear, P.preparation.fast_clear_liquids_h),
        "alcohol": (alcohol, P.preparation.alcohol_abstinence_h),
    }
    ready = {k: v.astimezone(UTC) + timedelta(hours=h) for k, (v, h) in windows.items() if v is not None}
    if not ready:
        assert result == EarliestStart(None, "none")
        return
    assert result.earliest_start is not None
    # The earliest start respects every window, in real elapsed time, and equals the binding one.
    # (Compared in UTC: an aware datetime in a repeated hour never == one in another zone, PEP 495.)
    got = result.earliest_start.astimezone(UTC)
    assert all(got >= r for r in ready.values())
    assert got == ready[result.limiting] == max(ready.values())
