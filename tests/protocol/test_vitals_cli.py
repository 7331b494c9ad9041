"""`ketaclinic protocol vitals` contract: JSON in on stdin, JSON out; bad input -> exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(sys.executable).with_name("ketaclinic")


def run(payload: Any) -> tuple[int, dict[str, Any]]:
    proc = subprocess.run([str(SCRIPT), "protocol", "vitals"], input=json.dumps(payload), capture_output=True,
                          text=True, timeout=60, check=False)
    return proc.returncode, json.loads(proc.stdout)


def test_contract_example() -> None:
    code, out = run({"phase": "baseline", "systolic": 150, "diastolic": 95, "heart_rate": 88, "spo2": 97,
                     "respiratory_rate": 14})
    assert code == 0
    assert len(out["findings"]) == 1
    f = out["findings"][0]
    assert f["vital"] == "blood_pressure" and f["severity"] == "warning"
    assert f["message"] and f["action"]


def test_normal_is_empty_list() -> None:
    assert run({"phase": "infusion", "systolic": 128, "diastolic": 82, "spo2": 98}) == (0, {"findings": []})


def test_subset_and_extras() -> None:
    code, out = run({"phase": "infusion", "spo2": 88, "rass": -4, "systolic": 190, "diastolic": 125,
                     "symptoms": True})
    assert code == 0
    assert {f["code"] for f in out["findings"]} == {"spo2_stop", "rass_stop", "hypertensive_emergency"}
    assert all(f["severity"] == "critical" for f in out["findings"])


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"phase": "infusion", "spo2": 140}, "spo2"),
        ({"phase": "infusion", "heart_rate": -5}, "heart_rate"),
        ({"phase": "infusion", "systolic": 80, "diastolic": 90}, "systolic"),
        ({"phase": "infusion", "systolic": "120"}, "systolic"),
        ({"phase": "during", "spo2": 97}, "phase"),
        ({"spo2": 97}, "phase"),
        ({"phase": "infusion", "temperature": 37}, "temperature"),
        ({"phase": "infusion", "rass": 6}, "rass"),
    ],
)
def test_invalid_input_exits_2_naming_the_field(payload: dict[str, Any], field: str) -> None:
    code, out = run(payload)
    assert code == 2
    assert out["error"].startswith(f"{field}:")
