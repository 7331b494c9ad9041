"""`ketaclinic protocol dose` contract: JSON in on stdin, JSON out; bad input -> exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(sys.executable).with_name("ketaclinic")


def run(payload: Any) -> tuple[int, dict[str, Any]]:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    proc = subprocess.run([str(SCRIPT), "protocol", "dose"], input=text, capture_output=True, text=True,
                          timeout=60, check=False)
    return proc.returncode, json.loads(proc.stdout)


def test_contract_example() -> None:
    code, out = run({"weight_kg": 80, "height_cm": 178, "sex": "female", "weight_basis": "actual",
                     "dose_mg_per_kg": 0.5, "concentration_mg_per_ml": 10, "bag_volume_ml": 100,
                     "duration_minutes": 40})
    assert code == 0
    assert out["dosing_weight_kg"] == 80
    assert out["dose_mg"] == 40
    assert out["drug_volume_ml"] == 4
    assert out["total_volume_ml"] == 104
    assert out["vtbi_ml"] == 104
    assert out["final_concentration_mg_per_ml"] == 0.385
    assert out["rate_ml_per_h"] == 156.0
    assert out["findings"] == []


def test_findings_in_output() -> None:
    code, out = run({"weight_kg": 120, "dose_mg_per_kg": 1.1, "concentration_mg_per_ml": 100, "bag_volume_ml": 0,
                     "duration_minutes": 20, "previous_dose_mg_per_kg": 0.5, "weight_measured_days_ago": 45})
    assert code == 0
    found = {f["code"]: f["severity"] for f in out["findings"]}
    assert found == {
        "dose_per_kg_above_hard_max": "hard_stop",
        "total_mg_above_hard_max": "hard_stop",
        "duration_below_hard_min": "hard_stop",
        "dose_increase_above_hard_max": "hard_stop",
        "undiluted_100mg_ml": "hard_stop",
        "dosing_weight_out_of_date": "warning",
    }
    assert all(f["message"] for f in out["findings"])


def test_pain_example_e() -> None:
    code, out = run({"indication_kind": "pain", "weight_kg": 90, "rate_mg_per_kg_h": 0.35, "session_hours": 4,
                     "concentration_mg_per_ml": 50, "bag_volume_ml": 100})
    assert code == 0
    assert out["dose_rate_mg_per_h"] == 25 and out["dose_mg"] == 100 and out["rate_ml_per_h"] == 25.5
    assert [f["code"] for f in out["findings"]] == ["pain_rate_capped"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"concentration_mg_per_ml": 10}, "weight_kg"),
        ({"weight_kg": 80}, "concentration_mg_per_ml"),
        ({"weight_kg": "80", "concentration_mg_per_ml": 10}, "weight_kg"),
        ({"weight_kg": -80, "concentration_mg_per_ml": 10}, "weight_kg"),
        ({"weight_kg": 80, "concentration_mg_per_ml": 10, "dose_mg_kg": 0.5}, "dose_mg_kg"),
        ({"weight_kg": 80, "concentration_mg_per_ml": 10, "weight_basis": "ideal"}, "height_cm"),
        ({"weight_kg": 80, "concentration_mg_per_ml": 10, "sex": 1}, "sex"),
        ({"weight_kg": 80, "concentration_mg_per_ml": 10, "apply_pain_rate_cap": "no"}, "apply_pain_rate_cap"),
    ],
)
def test_invalid_input_exits_2_naming_the_field(payload: dict[str, Any], field: str) -> None:
    code, out = run(payload)
    assert code == 2
    assert out["error"].startswith(f"{field}:")


def test_not_json_exits_2() -> None:
    code, out = run("{weight")
    assert code == 2 and "error" in out
