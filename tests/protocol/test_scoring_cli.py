"""`ketaclinic protocol score` contract: JSON on stdin, JSON out; bad input → exit 2 naming the item."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def ketaclinic() -> str:
    beside = Path(sys.executable).with_name("ketaclinic")
    found = str(beside) if beside.exists() else shutil.which("ketaclinic")
    assert found, "the ketaclinic console script is not installed"
    return found


def run(rule: str, payload: Any) -> tuple[int, dict[str, Any]]:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    proc = subprocess.run(
        [ketaclinic(), "protocol", rule], input=text, capture_output=True, text=True, timeout=60, check=False
    )
    return proc.returncode, json.loads(proc.stdout)


def test_phq9_with_flags() -> None:
    code, out = run("score", {"instrument": "phq9", "answers": [3, 3, 2, 2, 2, 2, 2, 2, 1], "previous_total": 12})
    assert code == 0
    assert out["instrument"] == "phq9" and out["total"] == 19 and out["severity"] == "moderately_severe"
    assert out["flags"] == ["suicidal_ideation", "phq9_rise"]


@pytest.mark.parametrize(
    ("payload", "total", "severity", "flags"),
    [
        ({"instrument": "gad7", "answers": [1, 1, 1, 1, 1, 0, 0]}, 5, "mild", []),
        ({"instrument": "pcl5", "answers": [2] * 14 + [1] * 4 + [0] * 2}, 32, None, []),
        ({"instrument": "pcl5", "answers": [2] * 14 + [1] * 5 + [0]}, 33, None, ["provisional_ptsd"]),
        ({"instrument": "pcl5", "answers": [2] * 20}, 40, None, ["provisional_ptsd", "provisional_ptsd_dsm"]),
        ({"instrument": "pain_nrs", "answers": [6]}, 6, None, []),
    ],
)
def test_other_instruments(payload: dict[str, Any], total: int, severity: str | None, flags: list[str]) -> None:
    code, out = run("score", payload)
    assert code == 0
    assert (out["total"], out["severity"], out["flags"]) == (total, severity, flags)


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({"instrument": "phq9", "answers": [0, 0, 0, 4, 0, 0, 0, 0, 0]}, "answers[3]: must be 0\u20133"),
        ({"instrument": "phq9", "answers": [0] * 8}, "answers: must have 9 items"),
        ({"instrument": "phq9", "answers": [0, 0, None, 0, 0, 0, 0, 0, 0]}, "answers[2]: missing"),
        ({"instrument": "phq9", "answers": [0, False, 0, 0, 0, 0, 0, 0, 0]}, "answers[1]:"),
        ({"instrument": "gad7", "answers": [0, 0, 0, 0, 0, 0, 1.5]}, "answers[6]:"),
        ({"instrument": "isi", "answers": [0] * 7}, "instrument:"),
        ({"answers": [0] * 9}, "instrument:"),
        ({"instrument": "phq9"}, "answers:"),
        ({"instrument": "phq9", "answers": [0] * 9, "previous_total": 40}, "previous_total:"),
        ("[1, 2]", "JSON object"),
        ("{not json", "not valid JSON"),
    ],
)
def test_invalid_input_exits_2(payload: Any, needle: str) -> None:
    code, out = run("score", payload)
    assert code == 2
    assert needle in out["error"]
