"""Table tests for the personal preparation timeline (issue 6; clinical-reference §5)."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ketaclinic.protocol import patient_text
from ketaclinic.protocol.config import default_protocol, load_protocol
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.preparation import (
    STEP_KINDS,
    MedicationInstruction,
    PreparationTimeline,
    build_timeline,
    localize,
    what_to_bring,
)

NY = ZoneInfo("America/New_York")
P = default_protocol()


def timeline(start: str, tz: str = "America/New_York", visit_minutes: int = 105, **kwargs: Any) -> PreparationTimeline:
    return build_timeline(datetime.fromisoformat(start), tz, visit_minutes, P, **kwargs)


def iso(tl: PreparationTimeline) -> dict[str, str]:
    """The contract fields plus every single step time, as ISO strings."""
    out = {
        "appointment_start": tl.appointment_start.isoformat(),
        "last_solid_food": tl.last_solid_food.isoformat(),
        "last_clear_liquids": tl.last_clear_liquids.isoformat(),
        "no_alcohol_or_drugs_from": tl.no_alcohol_or_drugs_from.isoformat(),
        "arrive_by": tl.arrive_by.isoformat(),
        "expected_end": tl.expected_end.isoformat(),
        "ride_confirm_cutoff": tl.ride_confirm_cutoff.isoformat(),
    }
    for step in tl.steps:
        if step.kind not in ("medication",):
            out[f"step:{step.kind}"] = step.at.isoformat()
    return out


# Each row: start (as given), zone, and the expected ISO values (clinic zone, with offsets).
# Times were worked out by hand in UTC; comments show where wall-clock arithmetic would be wrong.
TABLE = [
    pytest.param(
        "2027-06-15T10:00:00", "America/New_York",
        {
            "appointment_start": "2027-06-15T10:00:00-04:00",
            "last_solid_food": "2027-06-15T04:00:00-04:00",
            "last_clear_liquids": "2027-06-15T08:00:00-04:00",
            "no_alcohol_or_drugs_from": "2027-06-14T10:00:00-04:00",
            "arrive_by": "2027-06-15T09:45:00-04:00",
            "expected_end": "2027-06-15T11:45:00-04:00",
            "ride_confirm_cutoff": "2027-06-14T16:00:00-04:00",
            "step:health_update": "2027-06-12T10:00:00-04:00",
            "step:ride_confirmation": "2027-06-14T10:00:00-04:00",
            "step:no_alcohol_or_drugs": "2027-06-14T10:00:00-04:00",
            "step:caffeine": "2027-06-15T00:00:00-04:00",
            "step:morning_reminder": "2027-06-15T03:00:00-04:00",
            "step:last_solid_food": "2027-06-15T04:00:00-04:00",
            "step:last_clear_liquids": "2027-06-15T08:00:00-04:00",
            "step:arrive": "2027-06-15T09:45:00-04:00",
            "step:infusion_start": "2027-06-15T10:00:00-04:00",
            "step:expected_end": "2027-06-15T11:45:00-04:00",
        },
        id="ordinary-day",
    ),
    pytest.param(
        # Spring forward: 02:00 EST jumps to 03:00 EDT (07:00 UTC). 09:00 EDT = 13:00 UTC.
        # 6 h before = 07:00 UTC = 03:00 EDT. 24 h before = 13:00 UTC Mar 13 = 08:00 EST (not 09:00).
        "2027-03-14T09:00:00", "America/New_York",
        {
            "appointment_start": "2027-03-14T09:00:00-04:00",
            "last_solid_food": "2027-03-14T03:00:00-04:00",
            "last_clear_liquids": "2027-03-14T07:00:00-04:00",
            "no_alcohol_or_drugs_from": "2027-03-13T08:00:00-05:00",
            "arrive_by": "2027-03-14T08:45:00-04:00",
            "expected_end": "2027-03-14T10:45:00-04:00",
            "ride_confirm_cutoff": "2027-03-13T14:00:00-05:00",
            "step:health_update": "2027-03-11T08:00:00-05:00",
            "step:ride_confirmation": "2027-03-13T08:00:00-05:00",
            "step:no_alcohol_or_drugs": "2027-03-13T08:00:00-05:00",
            "step:caffeine": "2027-03-14T00:00:00-05:00",
            "step:morning_reminder": "2027-03-14T01:00:00-05:00",  # 06:00 UTC: 2 h of wall clock before 03:00
            "step:last_solid_food": "2027-03-14T03:00:00-04:00",
            "step:last_clear_liquids": "2027-03-14T07:00:00-04:00",
            "step:arrive": "2027-03-14T08:45:00-04:00",
            "step:infusion_start": "2027-03-14T09:00:00-04:00",
            "step:expected_end": "2027-03-14T10:45:00-04:00",
        },
        id="spring-forward-0900",
    ),
    pytest.param(
        # 07:00 EDT = 11:00 UTC; 6 h before = 05:00 UTC = 00:00 EST (wall arithmetic says 01:00).
        "2027-03-14T07:00:00", "America/New_York",
        {
            "last_solid_food": "2027-03-14T00:00:00-05:00",
            "last_clear_liquids": "2027-03-14T05:00:00-04:00",
            "step:morning_reminder": "2027-03-13T23:00:00-05:00",
        },
        id="spring-forward-fast-spans-gap",
    ),
    pytest.param(
        # 04:00 EDT = 08:00 UTC; 2 h before = 06:00 UTC = 01:00 EST (02:00 does not exist that night).
        "2027-03-14T04:00:00", "America/New_York",
        {
            "last_clear_liquids": "2027-03-14T01:00:00-05:00",
            "arrive_by": "2027-03-14T03:45:00-04:00",
        },
        id="spring-forward-liquids-span-gap",
    ),
    pytest.param(
        # Fall back: 02:00 EDT returns to 01:00 EST (06:00 UTC). 09:00 EST = 14:00 UTC.
        # 24 h before = 14:00 UTC Nov 6 = 10:00 EDT (wall arithmetic says 09:00).
        "2027-11-07T09:00:00", "America/New_York",
        {
            "appointment_start": "2027-11-07T09:00:00-05:00",
            "last_solid_food": "2027-11-07T03:00:00-05:00",
            "last_clear_liquids": "2027-11-07T07:00:00-05:00",
            "no_alcohol_or_drugs_from": "2027-11-06T10:00:00-04:00",
            "step:health_update": "2027-11-04T10:00:00-04:00",
            "step:morning_reminder": "2027-11-07T02:00:00-05:00",
        },
        id="fall-back-0900",
    ),
    pytest.param(
        # 07:00 EST = 12:00 UTC; 6 h before = 06:00 UTC = the second 01:00 (EST);
        # the reminder 1 h earlier = 05:00 UTC = the first 01:00 (EDT).
        "2027-11-07T07:00:00", "America/New_York",
        {
            "last_solid_food": "2027-11-07T01:00:00-05:00",
            "step:morning_reminder": "2027-11-07T01:00:00-04:00",
            "step:caffeine": "2027-11-07T00:00:00-04:00",
        },
        id="fall-back-fast-in-repeated-hour",
    ),
    pytest.param(
        # Just after midnight: the cut-offs fall on the previous day; caffeine is clamped to the
        # clear-liquid cut-off because midnight comes after it.
        "2027-06-15T00:30:00", "America/New_York",
        {
            "last_solid_food": "2027-06-14T18:30:00-04:00",
            "last_clear_liquids": "2027-06-14T22:30:00-04:00",
            "no_alcohol_or_drugs_from": "2027-06-14T00:30:00-04:00",
            "arrive_by": "2027-06-15T00:15:00-04:00",
            "expected_end": "2027-06-15T02:15:00-04:00",
            "step:caffeine": "2027-06-14T22:30:00-04:00",
            "step:morning_reminder": "2027-06-14T17:30:00-04:00",
        },
        id="near-midnight",
    ),
    pytest.param(
        "2027-06-14T23:45:00", "America/New_York",
        {"expected_end": "2027-06-15T01:30:00-04:00", "step:caffeine": "2027-06-14T00:00:00-04:00"},
        id="late-evening-ends-next-day",
    ),
    pytest.param(
        # Los Angeles springs forward the same night: 09:00 PDT = 16:00 UTC.
        "2027-03-14T09:00:00", "America/Los_Angeles",
        {
            "appointment_start": "2027-03-14T09:00:00-07:00",
            "last_solid_food": "2027-03-14T03:00:00-07:00",
            "no_alcohol_or_drugs_from": "2027-03-13T08:00:00-08:00",
        },
        id="los-angeles-spring-forward",
    ),
    pytest.param(
        # Madrid springs forward on the last Sunday of March: 02:00 CET → 03:00 CEST (01:00 UTC).
        # 10:00 CEST = 08:00 UTC; 6 h before = 02:00 UTC = 04:00 CEST; 24 h before = 09:00 CET.
        "2027-03-28T10:00:00", "Europe/Madrid",
        {
            "appointment_start": "2027-03-28T10:00:00+02:00",
            "last_solid_food": "2027-03-28T04:00:00+02:00",
            "last_clear_liquids": "2027-03-28T08:00:00+02:00",
            "no_alcohol_or_drugs_from": "2027-03-27T09:00:00+01:00",
            "step:caffeine": "2027-03-28T00:00:00+01:00",
        },
        id="madrid-spring-forward",
    ),
    pytest.param(
        # An explicit offset is accepted even for a wall time that is ambiguous in the zone.
        # 01:30 EST = 06:30 UTC; 6 h before = 00:30 UTC = 20:30 EDT (wall arithmetic says 19:30).
        "2027-11-07T01:30:00-05:00", "America/New_York",
        {"appointment_start": "2027-11-07T01:30:00-05:00", "last_solid_food": "2027-11-06T20:30:00-04:00"},
        id="offset-resolves-ambiguous",
    ),
    pytest.param(
        # An offset in another zone (or UTC, "Z") is converted to the clinic's zone.
        "2027-06-15T14:00:00Z", "America/New_York",
        {"appointment_start": "2027-06-15T10:00:00-04:00", "last_solid_food": "2027-06-15T04:00:00-04:00"},
        id="utc-converted",
    ),
    pytest.param(
        # A nonexistent wall time with an explicit offset names one instant: 07:30 UTC = 03:30 EDT.
        "2027-03-14T02:30:00-05:00", "America/New_York",
        {"appointment_start": "2027-03-14T03:30:00-04:00"},
        id="offset-in-gap-converted",
    ),
]


@pytest.mark.parametrize(("start", "tz", "expected"), TABLE)
def test_timeline_table(start: str, tz: str, expected: dict[str, str]) -> None:
    got = iso(timeline(start, tz))
    assert {key: got[key] for key in expected} == expected


def test_steps_are_sorted_and_use_stable_kinds() -> None:
    tl = timeline("2027-06-15T10:00:00")
    assert [s.at for s in tl.steps] == sorted(s.at for s in tl.steps)
    kinds = [s.kind for s in tl.steps]
    assert set(kinds) == set(STEP_KINDS) - {"medication"}
    # Ties are broken in STEP_KINDS order: the ride confirmation and the alcohol window both start 24 h before.
    assert kinds.index("ride_confirmation") < kinds.index("no_alcohol_or_drugs")
    assert all(s.at.tzinfo is NY for s in tl.steps)


def test_repeated_hour_steps_sorted_in_real_time() -> None:
    # 07:00 EST = 12:00Z. Solid food 6 h before = 06:00Z = 01:00 EST (the second 01:00).
    # Reminder 20 min before that = 05:40Z = 01:40 EDT (the first 01:40): earlier, though its wall time is later.
    protocol = load_protocol({"preparation.morning_reminder_before_solids_min": 20})
    tl = build_timeline(datetime(2027, 11, 7, 7), NY, 105, protocol)
    kinds = [s.kind for s in tl.steps]
    assert kinds.index("morning_reminder") < kinds.index("last_solid_food")
    assert tl.steps_of("morning_reminder")[0].at.isoformat() == "2027-11-07T01:40:00-04:00"


def test_windows_differing_by_the_repeated_hour_still_give_two_steps() -> None:
    # Alcohol 25 h, drugs 24 h before 02:30 EST Nov 7 (07:30Z): 06:30Z Nov 6 vs 07:30Z Nov 6 — different instants.
    tl = timeline("2027-11-08T01:30:00", alcohol_free_hours=25)
    assert [s.subject for s in tl.steps_of("no_alcohol_or_drugs")] == ["alcohol", "recreational_drugs"]


def test_steps_of() -> None:
    tl = timeline("2027-06-15T10:00:00")
    assert [s.at for s in tl.steps_of("arrive")] == [tl.arrive_by]
    assert tl.steps_of("medication") == ()
    with pytest.raises(ValueError, match="unknown step kind"):
        tl.steps_of("lunch")


@pytest.mark.parametrize(
    ("start", "reason"),
    [
        ("2027-03-14T02:30:00", "does not exist"),  # New York springs forward 02:00 → 03:00
        ("2027-03-14T02:00:00", "does not exist"),
        ("2027-11-07T01:30:00", "happens twice"),  # New York falls back 02:00 → 01:00
        ("2027-11-07T01:00:00", "happens twice"),
    ],
)
def test_nonexistent_or_ambiguous_local_start_is_refused(start: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason) as info:
        timeline(start)
    assert info.value.field == "appointment_start"


@pytest.mark.parametrize(
    "start", ["2027-03-14T01:59:00", "2027-03-14T03:00:00", "2027-11-07T00:59:00", "2027-11-07T02:00:00"]
)
def test_edges_of_dst_transitions_are_fine(start: str) -> None:
    assert timeline(start).appointment_start.replace(tzinfo=None) == datetime.fromisoformat(start)


def test_localize_rejects_aware() -> None:
    with pytest.raises(ValueError, match="naive"):
        localize(datetime(2027, 6, 15, tzinfo=UTC), NY)


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "America", "", "../etc/passwd", "/etc/localtime"])
def test_unknown_time_zone(tz: str) -> None:
    with pytest.raises(InputError) as info:
        timeline("2027-06-15T10:00:00", tz)
    assert info.value.field == "timezone"


@pytest.mark.parametrize("visit_minutes", [0, -5, 1441, 1.5, True, "105"])
def test_bad_visit_minutes(visit_minutes: object) -> None:
    with pytest.raises(InputError) as info:
        timeline("2027-06-15T10:00:00", visit_minutes=visit_minutes)  # type: ignore[arg-type]
    assert info.value.field == "visit_minutes"


def test_overrides_replace_protocol_windows() -> None:
    tl = timeline(
        "2027-06-15T10:00:00",
        fasting_solids_hours=8,
        fasting_clear_liquids_hours=3,
        alcohol_free_hours=48,
        arrive_minutes_early=30,
    )
    assert tl.last_solid_food.isoformat() == "2027-06-15T02:00:00-04:00"
    assert tl.last_clear_liquids.isoformat() == "2027-06-15T07:00:00-04:00"
    assert tl.arrive_by.isoformat() == "2027-06-15T09:30:00-04:00"
    assert tl.no_alcohol_from.isoformat() == "2027-06-13T10:00:00-04:00"
    # Recreational drugs keep the protocol's 24 h; the windows differ, so there are two steps.
    assert tl.no_recreational_drugs_from.isoformat() == "2027-06-14T10:00:00-04:00"
    assert tl.no_alcohol_or_drugs_from == tl.no_alcohol_from
    steps = tl.steps_of("no_alcohol_or_drugs")
    assert [(s.subject, s.at.isoformat()) for s in steps] == [
        ("alcohol", "2027-06-13T10:00:00-04:00"),
        ("recreational_drugs", "2027-06-14T10:00:00-04:00"),
    ]
    assert "alcohol" in steps[0].text and "drugs" not in steps[0].text
    assert "recreational drugs" in steps[1].text and "alcohol" not in steps[1].text


def test_fractional_hour_override() -> None:
    tl = timeline("2027-06-15T10:00:00", fasting_solids_hours=6.5)
    assert tl.last_solid_food.isoformat() == "2027-06-15T03:30:00-04:00"


def test_protocol_settings_drive_the_timeline() -> None:
    protocol = load_protocol(
        {
            "preparation.fast_solids_h": 8,
            "preparation.arrive_minutes_early": 20,
            "preparation.health_update_lead_h": 48,
            "preparation.ride_confirm_lead_h": 36,
            "preparation.morning_reminder_before_solids_min": 90,
        }
    )
    tl = build_timeline(datetime(2027, 6, 15, 10), NY, 105, protocol)
    assert tl.last_solid_food.isoformat() == "2027-06-15T02:00:00-04:00"
    assert tl.arrive_by.isoformat() == "2027-06-15T09:40:00-04:00"
    assert tl.steps_of("health_update")[0].at.isoformat() == "2027-06-13T10:00:00-04:00"
    assert tl.steps_of("ride_confirmation")[0].at.isoformat() == "2027-06-13T22:00:00-04:00"
    assert tl.steps_of("morning_reminder")[0].at.isoformat() == "2027-06-15T00:30:00-04:00"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"fasting_solids_hours": -1}, "fasting_solids_hours"),
        ({"fasting_solids_hours": 25}, "fasting_solids_hours"),
        ({"fasting_solids_hours": "6"}, "fasting_solids_hours"),
        ({"fasting_solids_hours": True}, "fasting_solids_hours"),
        ({"fasting_solids_hours": float("nan")}, "fasting_solids_hours"),
        ({"fasting_clear_liquids_hours": 30}, "fasting_clear_liquids_hours"),
        ({"alcohol_free_hours": 169}, "alcohol_free_hours"),
        ({"arrive_minutes_early": 121}, "arrive_minutes_early"),
        ({"arrive_minutes_early": 10.5}, "arrive_minutes_early"),
        # A solid-food fast shorter than the clear-liquid fast makes no sense.
        ({"fasting_solids_hours": 1, "fasting_clear_liquids_hours": 2}, "fasting_solids_hours"),
    ],
)
def test_bad_overrides(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as info:
        timeline("2027-06-15T10:00:00", **overrides)
    assert info.value.field == field


# --- medication instructions ---------------------------------------------------------------

MEDS = (
    MedicationInstruction("lorazepam", "hold_evening_before", "Dr Lee"),
    MedicationInstruction("lamotrigine", "hold_morning_of", "Dr Patel"),
    MedicationInstruction("sertraline", "take_as_usual", "Dr Lee"),
)


def test_medication_steps_are_placed_at_clock_times() -> None:
    tl = timeline("2027-06-15T10:00:00", medication_instructions=MEDS)
    got = {s.subject: s for s in tl.steps_of("medication")}
    assert got["lorazepam"].at.isoformat() == "2027-06-14T18:00:00-04:00"
    assert got["lamotrigine"].at.isoformat() == "2027-06-15T06:00:00-04:00"
    assert got["sertraline"].at.isoformat() == "2027-06-15T06:00:00-04:00"
    assert got["lorazepam"].text == (
        "Do not take your evening dose of lorazepam on Monday, June 14. You agreed on this with Dr Lee."
    )
    assert "morning dose of lamotrigine on Tuesday, June 15" in got["lamotrigine"].text
    assert "Dr Patel" in got["lamotrigine"].text
    assert "Take your sertraline as usual" in got["sertraline"].text
    # Same instant: input order is kept.
    morning = [s.subject for s in tl.steps if s.kind == "medication" and s.at.hour == 6]
    assert morning == ["lamotrigine", "sertraline"]


def test_morning_medication_step_never_after_arrival() -> None:
    tl = timeline("2027-06-15T00:30:00", medication_instructions=MEDS)
    got = {s.subject: s.at.isoformat() for s in tl.steps_of("medication")}
    assert got == {
        "lorazepam": "2027-06-14T18:00:00-04:00",
        "lamotrigine": "2027-06-15T00:15:00-04:00",
        "sertraline": "2027-06-15T00:15:00-04:00",
    }
    assert all(s.at <= tl.appointment_start for s in tl.steps_of("medication"))


def test_medication_clock_time_across_spring_forward() -> None:
    # 2027-03-14 06:00 is EDT; the evening before (Mar 13, 18:00) is EST.
    tl = timeline("2027-03-14T09:00:00", medication_instructions=MEDS)
    got = {s.subject: s.at.isoformat() for s in tl.steps_of("medication")}
    assert got["lorazepam"] == "2027-03-13T18:00:00-05:00"
    assert got["lamotrigine"] == "2027-03-14T06:00:00-04:00"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("lorazepam", "skip_it", "Dr Lee"), "instruction"),
        (("", "hold_morning_of", "Dr Lee"), "medication"),
        (("  ", "hold_morning_of", "Dr Lee"), "medication"),
        (("lorazepam", "hold_morning_of", ""), "agreed_by"),
        (("x" * 121, "hold_morning_of", "Dr Lee"), "medication"),
    ],
)
def test_bad_medication_instruction(args: tuple[str, str, str], field: str) -> None:
    with pytest.raises(InputError) as info:
        MedicationInstruction(*args)
    assert info.value.field == field


# --- wording ---------------------------------------------------------------------------------


def test_texts_show_clock_times_in_the_clinic_zone() -> None:
    tl = timeline("2027-03-14T09:00:00")
    text = {s.kind: s.text for s in tl.steps}
    assert text["last_solid_food"].startswith("Stop eating solid food by 3:00 AM on Sunday, March 14.")
    assert text["last_clear_liquids"].startswith("Stop drinking clear liquids by 7:00 AM on Sunday, March 14.")
    assert "Starting at 8:00 AM on Saturday, March 13" in text["no_alcohol_or_drugs"]
    assert "by 8:45 AM on Sunday, March 14" in text["arrive"]
    assert "around 10:45 AM on Sunday, March 14" in text["expected_end"]
    # The 8 h fatty-food window (§5.1) ends at local midnight: both days are named.
    assert "midnight, the night between Saturday, March 13 and Sunday, March 14" in text["last_solid_food"]


def test_clear_liquids_are_explained() -> None:
    text = timeline("2027-06-15T10:00:00").steps_of("last_clear_liquids")[0].text
    for words in ("water", "no pulp", "soda", "sports drinks", "clear tea", "black coffee", "no milk or cream"):
        assert words in text
    assert "Alcohol is not a clear liquid." in text
    assert "usual medicines with a small sip of water" in text


def test_milk_and_fatty_food_follow_the_protocol() -> None:
    default_text = timeline("2027-06-15T10:00:00").steps_of("last_solid_food")[0].text
    assert "Treat milk and drinks with milk like food." in default_text
    assert "fatty food or meat by 2:00 AM on Tuesday, June 15" in default_text
    longer = timeline("2027-06-15T10:00:00", fasting_solids_hours=8).steps_of("last_solid_food")[0].text
    assert "fatty" not in longer  # the solid-food cut-off already covers the 8 h fatty-food window
    shorter = timeline("2027-06-15T10:00:00", fasting_solids_hours=4).steps_of("last_solid_food")[0].text
    assert "Have your last milk or drinks with milk by 4:00 AM on Tuesday, June 15." in shorter


def test_repeated_hour_says_which_one() -> None:
    tl = timeline("2027-11-07T07:00:00")
    text = tl.steps_of("last_solid_food")[0].text
    assert "1:00 AM (the second one, after clocks go back) on Sunday, November 7" in text
    first = datetime(2027, 11, 7, 1, 30, tzinfo=NY, fold=0)
    assert patient_text.clock_phrase(first) == "1:30 AM (the first one, before clocks go back)"


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [(0, 5, "12:05 AM"), (9, 0, "9:00 AM"), (12, 0, "12:00 noon"), (12, 30, "12:30 PM"), (23, 59, "11:59 PM")],
)
def test_clock_phrase(hour: int, minute: int, expected: str) -> None:
    assert patient_text.clock_phrase(datetime(2027, 6, 15, hour, minute, tzinfo=NY)) == expected


def test_caffeine_wording_follows_the_limit() -> None:
    zero = load_protocol({"preparation.caffeine_limit_cups": 0})
    tl = build_timeline(datetime(2027, 6, 15, 10), NY, 105, zero)
    assert "no coffee, tea, soda or energy drinks with caffeine" in tl.steps_of("caffeine")[0].text
    two = load_protocol({"preparation.caffeine_limit_cups": 2})
    tl = build_timeline(datetime(2027, 6, 15, 10), NY, 105, two)
    assert "no more than 2 cups" in tl.steps_of("caffeine")[0].text
    assert "no more than 1 cup of" in timeline("2027-06-15T10:00:00").steps_of("caffeine")[0].text


def test_escort_wording_follows_the_protocol() -> None:
    text = timeline("2027-06-15T10:00:00").steps_of("ride_confirmation")[0].text
    assert "An adult you know must take you home." in text
    assert "taxi or rideshare driver alone is not enough" in text
    no_escort = load_protocol({"preparation.escort_required": False})
    tl = build_timeline(datetime(2027, 6, 15, 10), NY, 105, no_escort)
    assert "must not drive yourself" in tl.steps_of("ride_confirmation")[0].text
    assert "adult" not in tl.steps_of("expected_end")[0].text


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def _all_patient_texts() -> list[str]:
    texts: list[str] = []
    for start, tz in [("2027-06-15T10:00:00", "America/New_York"), ("2027-11-07T07:00:00", "America/New_York")]:
        tl = build_timeline(datetime.fromisoformat(start), tz, 105, P, medication_instructions=MEDS)
        texts += [s.text for s in tl.steps]
    lists = what_to_bring(P)
    texts += [item.text for item in lists.bring + lists.leave_at_home]
    texts += [lists.getting_home, lists.no_driving]
    return texts


def test_reading_level_crude_sentence_length() -> None:
    """A crude stand-in for a grade-level score: short sentences, mostly short words."""
    sentences = [s for text in _all_patient_texts() for s in _sentences(text)]
    lengths = [len(s.split()) for s in sentences]
    assert max(lengths) <= 25, max(zip(lengths, sentences, strict=True))
    assert sum(lengths) / len(lengths) <= 14
    words = [w.strip(".,:()") for s in sentences for w in s.split()]
    long_words = [w for w in words if len(w) >= 11]
    assert len(long_words) / len(words) < 0.03, long_words


def test_texts_have_no_leftover_placeholders() -> None:
    for text in _all_patient_texts():
        assert "{" not in text and "}" not in text and "None" not in text
        assert text == text.strip() and "  " not in text


# --- what to bring ---------------------------------------------------------------------------


def test_what_to_bring() -> None:
    lists = what_to_bring(P)
    codes = [item.code for item in lists.bring]
    assert codes == ["headphones", "eye_mask", "blanket", "comfortable_clothes", "escort"]
    assert "playlist" in lists.bring[0].text
    assert [item.code for item in lists.leave_at_home] == ["laptop", "work"]
    assert lists.no_driving == "Do not drive until the next day, after a good night's sleep."
    assert "taxi or rideshare" in lists.getting_home
    data = lists.to_json()
    assert data["bring"][0] == {"code": "headphones", "text": lists.bring[0].text}
    assert what_to_bring() == lists  # the default protocol


def test_what_to_bring_without_escort_rule() -> None:
    lists = what_to_bring(load_protocol({"preparation.escort_required": False}))
    assert "escort" not in [item.code for item in lists.bring]
    assert "must not drive yourself" in lists.getting_home


# --- structure -------------------------------------------------------------------------------


def test_to_json_is_the_contract_shape() -> None:
    data = timeline("2027-06-15T10:00:00", medication_instructions=MEDS[:1]).to_json()
    contract = ("last_solid_food", "last_clear_liquids", "no_alcohol_or_drugs_from", "arrive_by", "expected_end")
    for key in (*contract, "steps"):
        assert key in data
    assert datetime.fromisoformat(data["last_solid_food"]).utcoffset() == timedelta(hours=-4)
    for step in data["steps"]:
        assert set(step) <= {"at", "kind", "text", "subject"}
        assert ("subject" in step) == (step["kind"] == "medication")


def test_module_imports_no_django() -> None:
    code = (
        "import sys, ketaclinic.protocol.preparation, ketaclinic.protocol.patient_text;"
        "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
