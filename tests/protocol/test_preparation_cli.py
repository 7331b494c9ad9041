"""Contract tests: `ketaclinic protocol preparation` and `ketaclinic protocol earliest-start`, via subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

_BESIDE = Path(sys.executable).with_name("ketaclinic")
KETACLINIC = str(_BESIDE) if _BESIDE.exists() else (shutil.which("ketaclinic") or "ketaclinic")


def run(rule: str, payload: Any) -> tuple[int, dict[str, Any]]:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    done = subprocess.run(
        [KETACLINIC, "protocol", rule], input=text, capture_output=True, text=True, timeout=60, check=False
    )
    return done.returncode, json.loads(done.stdout)


BASE = {"appointment_start": "2027-03-14T09:00:00", "timezone": "America/New_York", "visit_minutes": 105}


def test_preparation_contract() -> None:
    code, out = run(
        "preparation",
        {
            **BASE,
            "medication_instructions": [
                {"medication": "lorazepam", "instruction": "hold_evening_before", "agreed_by": "Dr Lee"}
            ],
        },
    )
    assert code == 0
    assert out["last_solid_food"] == "2027-03-14T03:00:00-04:00"
    assert out["last_clear_liquids"] == "2027-03-14T07:00:00-04:00"
    assert out["no_alcohol_or_drugs_from"] == "2027-03-13T08:00:00-05:00"
    assert out["arrive_by"] == "2027-03-14T08:45:00-04:00"
    assert out["expected_end"] == "2027-03-14T10:45:00-04:00"
    kinds = [step["kind"] for step in out["steps"]]
    assert kinds == [
        "health_update",
        "ride_confirmation",
        "no_alcohol_or_drugs",
        "medication",
        "caffeine",
        "morning_reminder",
        "last_solid_food",
        "last_clear_liquids",
        "arrive",
        "infusion_start",
        "expected_end",
    ]
    solid = out["steps"][kinds.index("last_solid_food")]
    assert solid["at"] == "2027-03-14T03:00:00-04:00"
    assert solid["text"].startswith("Stop eating solid food by 3:00 AM on Sunday, March 14.")
    med = out["steps"][kinds.index("medication")]
    assert med["at"] == "2027-03-13T18:00:00-05:00"
    assert med["subject"] == "lorazepam"
    assert "Dr Lee" in med["text"]


def test_preparation_overrides() -> None:
    code, out = run(
        "preparation",
        {
            **BASE,
            "fasting_solids_hours": 8,
            "fasting_clear_liquids_hours": 3,
            "alcohol_free_hours": 48,
            "arrive_minutes_early": 30,
        },
    )
    assert code == 0
    assert out["last_solid_food"] == "2027-03-14T00:00:00-05:00"  # 13:00Z - 8 h = 05:00Z = 00:00 EST
    assert out["last_clear_liquids"] == "2027-03-14T06:00:00-04:00"
    assert out["no_alcohol_or_drugs_from"] == "2027-03-12T08:00:00-05:00"
    assert out["arrive_by"] == "2027-03-14T08:30:00-04:00"


def test_offset_accepted_and_converted() -> None:
    code, out = run("preparation", {**BASE, "appointment_start": "2027-11-07T01:30:00-05:00"})
    assert code == 0
    assert out["appointment_start"] == "2027-11-07T01:30:00-05:00"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"appointment_start": "2027-03-14T02:30:00"}, "appointment_start"),  # does not exist
        ({"appointment_start": "2027-11-07T01:30:00"}, "appointment_start"),  # happens twice
        ({"appointment_start": "2027-03-14"}, "appointment_start"),
        ({"appointment_start": "soon"}, "appointment_start"),
        ({"appointment_start": None}, "appointment_start"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": 5}, "timezone"),
        ({"visit_minutes": 0}, "visit_minutes"),
        ({"visit_minutes": "105"}, "visit_minutes"),
        ({"fasting_solids_hours": 30}, "fasting_solids_hours"),
        ({"fasting_solids_hours": 1}, "fasting_solids_hours"),  # shorter than the 2 h clear-liquid fast
        ({"arrive_minutes_early": -5}, "arrive_minutes_early"),
        ({"fasting_solid_hours": 8}, "fasting_solid_hours"),  # misspelt: refused, not ignored
        ({"medication_instructions": "lorazepam"}, "medication_instructions"),
        ({"medication_instructions": [{"medication": "x", "instruction": "skip", "agreed_by": "Dr Lee"}]},
         "medication_instructions[0].instruction"),
        ({"medication_instructions": [{"medication": "x", "instruction": "take_as_usual"}]},
         "medication_instructions[0].agreed_by"),
    ],
)
def test_preparation_bad_input_exits_2_naming_the_field(change: dict[str, Any], field: str) -> None:
    code, out = run("preparation", {**BASE, **change})
    assert code == 2
    assert set(out) == {"error"}
    assert out["error"].startswith(f"{field}: ")


@pytest.mark.parametrize("missing", ["appointment_start", "timezone", "visit_minutes"])
def test_preparation_missing_field(missing: str) -> None:
    payload = {k: v for k, v in BASE.items() if k != missing}
    code, out = run("preparation", payload)
    assert code == 2
    assert out["error"].startswith(f"{missing}: ")


def test_not_json_or_not_an_object() -> None:
    assert run("preparation", "{not json")[0] == 2
    assert run("preparation", "[1, 2]")[0] == 2


def test_earliest_start_contract() -> None:
    code, out = run("earliest-start", {"last_solid_food": "2027-06-15T07:30:00-04:00"})
    assert (code, out) == (0, {"earliest_start": "2027-06-15T13:30:00-04:00", "limiting": "solid_food"})
    code, out = run(
        "earliest-start",
        {
            "last_solid_food": "2027-06-15T07:30:00-04:00",
            "last_clear_liquids": "2027-06-15T12:00:00-04:00",
            "last_alcohol": "2027-06-14T20:00:00-04:00",
        },
    )
    assert (code, out) == (0, {"earliest_start": "2027-06-15T20:00:00-04:00", "limiting": "alcohol"})


def test_earliest_start_nothing_given() -> None:
    assert run("earliest-start", {}) == (0, {"earliest_start": None, "limiting": "none"})


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"last_solid_food": "2027-06-15T07:30:00"}, "last_solid_food"),  # naive
        ({"last_alcohol": "last night"}, "last_alcohol"),
        ({"timezone": "Nowhere/Town", "last_alcohol": "2027-06-14T20:00:00-04:00"}, "timezone"),
    ],
)
def test_earliest_start_bad_input(payload: dict[str, Any], field: str) -> None:
    code, out = run("earliest-start", payload)
    assert code == 2
    assert out["error"].startswith(f"{field}: ")
