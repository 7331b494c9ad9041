"""`ketaclinic protocol discharge` contract: JSON in on stdin, JSON out; bad input -> exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(sys.executable).with_name("ketaclinic")
ALDRETE = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "oxygen_saturation": 2}
PADSS = {"vital_signs": 2, "activity_mental_status": 2, "pain_nausea_vomiting": 1, "surgical_bleeding": 2,
         "intake_output": 1}


def run(payload: Any) -> tuple[int, dict[str, Any]]:
    proc = subprocess.run([str(SCRIPT), "protocol", "discharge"], input=json.dumps(payload), capture_output=True,
                          text=True, timeout=60, check=False)
    return proc.returncode, json.loads(proc.stdout)


def test_contract_example() -> None:
    code, out = run({"score": "aldrete", "components": ALDRETE, "minutes_since_infusion_end": 35})
    assert code == 0
    assert (out["total"], out["ready"], out["reasons"]) == (10, True, [])


def test_padss_not_ready() -> None:
    code, out = run({"score": "padss", "components": PADSS, "minutes_since_infusion_end": 20})
    assert code == 0
    assert out["total"] == 8 and out["ready"] is False and len(out["reasons"]) == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"score": "aldrete", "components": {**ALDRETE, "extra": 1}, "minutes_since_infusion_end": 35},
         "components.extra"),
        ({"score": "aldrete", "components": {k: v for k, v in ALDRETE.items() if k != "respiration"},
          "minutes_since_infusion_end": 35}, "components.respiration"),
        ({"score": "aldrete", "components": {**ALDRETE, "activity": 3}, "minutes_since_infusion_end": 35},
         "components.activity"),
        ({"score": "padss", "components": ALDRETE, "minutes_since_infusion_end": 35}, "components.activity"),
        ({"score": "aldrete", "components": ALDRETE}, "minutes_since_infusion_end"),
        ({"score": "aldrete", "components": ALDRETE, "minutes_since_infusion_end": -5}, "minutes_since_infusion_end"),
        ({"components": ALDRETE, "minutes_since_infusion_end": 35}, "score"),
        ({"score": "aldrete", "minutes_since_infusion_end": 35}, "components"),
    ],
)
def test_invalid_input_exits_2_naming_the_field(payload: dict[str, Any], field: str) -> None:
    code, out = run(payload)
    assert code == 2
    assert out["error"].startswith(f"{field}:")
