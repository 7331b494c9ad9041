"""The command-line contract, end to end through the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent / "ketaclinic"


def run(*args: str) -> tuple[int, Any]:
    proc = subprocess.run([str(BIN), "schedule", *args], capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else None


def test_generate_solve_check(tmp_path: Path) -> None:
    code, instance = run("generate", "--chairs", "3", "--nurses", "2", "--courses", "20", "--days", "10", "--seed", "4")
    assert code == 0
    assert {"open_days", "chairs", "nurses", "courses"} <= set(instance)
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(instance))
    for method in ("greedy", "cpsat"):
        code, plan = run("solve", "--instance", str(path), "--method", method, "--time-limit", "3", "--workers", "1")
        assert code == 0
        assert plan["method"] == method
        assert plan["status"] in ("optimal", "feasible")
        assert plan["objective"] <= plan["bound"]
        plan_path = tmp_path / f"{method}.json"
        plan_path.write_text(json.dumps(plan))
        code, report = run("check", "--instance", str(path), "--plan", str(plan_path))
        assert (code, report) == (0, {"valid": True, "violations": []})


def test_check_reports_violations_and_exits_1(tmp_path: Path) -> None:
    code, instance = run("generate", "--chairs", "1", "--nurses", "1", "--courses", "4", "--days", "3", "--seed", "1")
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(instance))
    first = instance["courses"][0]["id"]
    bad = {"status": "feasible", "method": "x", "objective": 1, "bound": 9, "moved": 0,
           "assignments": [{"course": first, "visit": 1, "chair": "C1", "start": "2027-01-04T07:00"}],
           "unscheduled": [c["id"] for c in instance["courses"][1:]], "solve_seconds": 0}
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(bad))
    code, report = run("check", "--instance", str(path), "--plan", str(plan_path))
    assert code == 1
    assert report["valid"] is False
    assert "open_hours" in {v["rule"] for v in report["violations"]}


def test_malformed_instance_exits_2_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"open_days": [{"date": "2027-01-04", "open": "08:00", "close": "18:00"}],
                                "chairs": ["C1"], "nurses": [],
                                "courses": [{"id": f"P{i}", "visits": 1} for i in range(3)] + [{"id": "P3"}]}))
    code, out = run("solve", "--instance", str(path))
    assert code == 2
    assert out == {"error": "courses[3].visits: is required"}
    path.write_text("{not json")
    code, out = run("solve", "--instance", str(path))
    assert code == 2 and out["error"].startswith("instance: not valid JSON")
    code, out = run("solve")
    assert code == 2 and "instance" in out["error"]
