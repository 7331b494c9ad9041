"""Command-line contract of `ketaclinic protocol eligibility` and `... interactions` (issue 4).

JSON on stdin, JSON on stdout, exit 0; invalid input → exit 2 and {"error": "..."} naming the field.
Run through the installed console script, as a clinic integration would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

_SCRIPT = Path(sys.executable).with_name("ketaclinic")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "ketaclinic.cli"]

EXAMPLE: dict[str, Any] = {
    "age": 42,
    "indications": ["F33.2"],
    "failed_antidepressant_trials": 2,
    "conditions": [],
    "blood_pressure": {"systolic": 128, "diastolic": 82},
    "medications": ["sertraline", "lorazepam"],
}


def run(rule: str, stdin: str) -> tuple[int, Any]:
    proc = subprocess.run([*COMMAND, "protocol", rule], input=stdin, capture_output=True, text=True, timeout=60)
    return proc.returncode, json.loads(proc.stdout)


def with_(**changes: Any) -> str:
    payload = {**EXAMPLE, **changes}
    return json.dumps({k: v for k, v in payload.items() if v is not ...})


def test_example_from_the_issue() -> None:
    code, out = run("eligibility", json.dumps(EXAMPLE))
    assert code == 0
    assert set(out) == {"status", "treatment_resistant", "findings"}
    assert out["status"] == "needs_review"  # lorazepam: moderate → caution
    assert out["treatment_resistant"] is True
    by_code = {f["code"]: f for f in out["findings"]}
    assert by_code["interaction_benzodiazepine"]["severity"] == "caution"
    assert by_code["interaction_ssri_snri"]["severity"] == "info"
    for finding in out["findings"]:
        assert set(finding) == {"code", "severity", "message", "source"}
        assert finding["severity"] in ("info", "caution", "hold", "contraindicated")


@pytest.mark.parametrize(
    ("changes", "status", "trd"),
    [
        ({"medications": ["sertraline 100 mg"]}, "eligible", True),
        ({"medications": [], "failed_antidepressant_trials": 1}, "needs_review", False),
        ({"medications": [], "failed_antidepressant_trials": ...}, "needs_review", None),
        ({"medications": [], "indications": ["F41.1"]}, "eligible", None),
        ({"medications": [], "conditions": ["pregnancy"]}, "ineligible", True),
        ({"medications": [], "blood_pressure": {"systolic": 181, "diastolic": 100}}, "ineligible", True),
        ({"medications": [], "blood_pressure": {"systolic": 180, "diastolic": 100}}, "needs_review", True),
        ({"medications": [], "blood_pressure": {"systolic": 139, "diastolic": 89}}, "eligible", True),
        ({"medications": [], "age": 17}, "ineligible", True),
        (
            {
                "medications": [],
                "failed_antidepressant_trials": ...,
                "antidepressant_trials": [
                    {"drug": "sertraline", "weeks": 8, "reduction_pct": 10},
                    {"drug": "bupropion", "weeks": 6, "response": "none", "dose": "300 mg"},
                ],
            },
            "eligible",
            True,
        ),
    ],
)
def test_eligibility_outcomes(changes: dict[str, Any], status: str, trd: bool | None) -> None:
    code, out = run("eligibility", with_(**changes))
    assert code == 0
    assert (out["status"], out["treatment_resistant"]) == (status, trd)


def test_optional_fields_may_be_omitted() -> None:
    code, out = run(
        "eligibility",
        json.dumps({"age": 30, "indications": ["G90.50"], "blood_pressure": {"systolic": 120, "diastolic": 80}}),
    )
    assert code == 0 and out["status"] == "eligible" and out["treatment_resistant"] is None


@pytest.mark.parametrize(
    ("stdin", "field"),
    [
        (with_(conditions=["glaucoma", "migraine"]), "conditions[1]"),
        (with_(conditions="glaucoma"), "conditions"),
        (with_(age="42"), "age"),
        (with_(age=42.5), "age"),
        (with_(age=True), "age"),
        (with_(age=...), "age"),
        (with_(indications=["depression"]), "indications[0]"),
        (with_(indications="F33.2"), "indications"),
        (with_(indications=[332]), "indications[0]"),
        (with_(failed_antidepressant_trials="two"), "failed_antidepressant_trials"),
        (with_(failed_antidepressant_trials=-1), "failed_antidepressant_trials"),
        (with_(blood_pressure={"systolic": 128}), "blood_pressure.diastolic"),
        (with_(blood_pressure={"diastolic": 82}), "blood_pressure.systolic"),
        (with_(blood_pressure={"systolic": 128, "diastolic": None}), "blood_pressure.diastolic"),
        (with_(blood_pressure={"systolic": "128", "diastolic": 82}), "blood_pressure.systolic"),
        (with_(blood_pressure={"systolic": 128, "diastolic": 82, "pulse": 70}), "blood_pressure.pulse"),
        (with_(blood_pressure=[128, 82]), "blood_pressure"),
        (with_(blood_pressure={"systolic": 80, "diastolic": 90}), "blood_pressure.diastolic"),
        (with_(medications="sertraline"), "medications"),
        (with_(medications=["sertraline", None]), "medications[1]"),
        (with_(antidepressant_trials=[{"drug": "sertraline", "weeks": 8}]), "antidepressant_trials"),
        (
            with_(failed_antidepressant_trials=..., antidepressant_trials=[{"drug": "x"}]),
            "antidepressant_trials[0].weeks",
        ),
        (
            with_(
                failed_antidepressant_trials=..., antidepressant_trials=[{"drug": "x", "weeks": 8, "response": "meh"}]
            ),
            "antidepressant_trials[0].response",
        ),
        (with_(failed_antidepressant_trials=..., antidepressant_trials=["sertraline"]), "antidepressant_trials[0]"),
        (with_(conditon=["glaucoma"]), "conditon"),
    ],
)
def test_eligibility_bad_input_exits_2_naming_the_field(stdin: str, field: str) -> None:
    code, out = run("eligibility", stdin)
    assert code == 2
    assert set(out) == {"error"}
    assert out["error"].startswith(f"{field}:"), out["error"]


@pytest.mark.parametrize("stdin", ["[1, 2]", '"text"', "42", "null", "{not json", ""])
def test_non_object_json_exits_2(stdin: str) -> None:
    code, out = run("eligibility", stdin)
    assert code == 2 and "error" in out


def test_interactions_example_from_the_issue() -> None:
    code, out = run(
        "interactions", json.dumps({"medications": ["lamotrigine", "Xanax", "st john's wort", "metformin"]})
    )
    assert code == 0
    assert set(out) == {"interactions", "unrecognised"}
    assert [(i["medication"], i["matched"], i["class"], i["severity"]) for i in out["interactions"]] == [
        ("lamotrigine", "lamotrigine", "lamotrigine", "minor"),
        ("Xanax", "alprazolam", "benzodiazepine", "moderate"),
        ("st john's wort", "St John's wort", "cyp_inducer", "minor"),
    ]
    assert out["unrecognised"] == ["metformin"]
    assert all(i["action"] and i["source"] for i in out["interactions"])


@pytest.mark.parametrize(
    ("stdin", "field"),
    [('{"medications": "Xanax"}', "medications"), ("{}", "medications"), ('{"medications": [1]}', "medications[0]")],
)
def test_interactions_bad_input(stdin: str, field: str) -> None:
    code, out = run("interactions", stdin)
    assert code == 2 and out["error"].startswith(f"{field}:")
