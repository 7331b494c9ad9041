"""`ketaclinic protocol sleep-diary` contract."""

from __future__ import annotations

from typing import Any

import pytest

from tests.protocol.test_scoring_cli import run

EXAMPLE = {
    "in_bed": "2027-01-10T22:30", "tried_to_sleep": "2027-01-10T23:00", "sleep_onset_minutes": 30,
    "awakenings": 2, "wake_after_sleep_onset_minutes": 40, "final_wake": "2027-01-11T06:30",
    "out_of_bed": "2027-01-11T07:00",
}


def test_contract_example() -> None:
    code, out = run("sleep-diary", EXAMPLE)
    assert code == 0
    assert (out["time_in_bed_minutes"], out["total_sleep_minutes"], out["sleep_efficiency_percent"]) == (510, 380, 74.5)
    assert out["normal_efficiency"] is False


def test_aware_times_and_quality() -> None:
    payload = {**EXAMPLE, "in_bed": "2027-01-10T22:30-05:00", "tried_to_sleep": "2027-01-10T23:00-05:00",
               "final_wake": "2027-01-11T06:30-05:00", "out_of_bed": "2027-01-11T07:00-05:00", "quality": 3}
    code, out = run("sleep-diary", payload)
    assert code == 0 and out["total_sleep_minutes"] == 380 and out["quality"] == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"final_wake": "2027-01-10T22:00"}, "final_wake:"),
        ({"out_of_bed": "2027-01-11T06:00"}, "out_of_bed:"),
        ({"tried_to_sleep": "2027-01-10T22:00"}, "tried_to_sleep:"),
        ({"in_bed": "22:30"}, "in_bed:"),
        ({"in_bed": "2027-01-10"}, "in_bed:"),
        ({"in_bed": None}, "in_bed:"),
        ({"sleep_onset_minutes": 400, "wake_after_sleep_onset_minutes": 100}, "wake_after_sleep_onset_minutes:"),
        ({"sleep_onset_minutes": "30"}, "sleep_onset_minutes:"),
        ({"sleep_onset_minutes": None}, "sleep_onset_minutes:"),
        ({"quality": 9}, "quality:"),
        ({"awakenings": -2}, "awakenings:"),
    ],
)
def test_invalid_exits_2(change: dict[str, Any], field: str) -> None:
    payload = {k: v for k, v in {**EXAMPLE, **change}.items() if v is not None}
    code, out = run("sleep-diary", payload)
    assert code == 2
    assert out["error"].startswith(field)
