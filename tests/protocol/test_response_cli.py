"""`ketaclinic protocol course-response` contract."""

from __future__ import annotations

from typing import Any

import pytest

from tests.protocol.test_scoring_cli import run


def test_contract_example() -> None:
    code, out = run("course-response", {"instrument": "phq9", "baseline": 20, "scores": [18, 15, 11, 9]})
    assert code == 0
    assert (out["change_percent"], out["response"], out["remission"], out["category"]) == (-55.0, True, False,
                                                                                          "response")


def test_baseline_zero() -> None:
    code, out = run("course-response", {"instrument": "phq9", "baseline": 0, "scores": [0]})
    assert code == 0 and out["change_percent"] is None and out["category"] == "none"


def test_dated_scores_with_relapse_and_maintenance() -> None:
    payload = {
        "instrument": "phq9",
        "baseline_candidates": [{"score": 22, "date": "2027-02-20"}, {"score": 20, "date": "2027-02-28"}],
        "first_infusion_date": "2027-03-01",
        "scores": [
            {"score": 14, "date": "2027-03-08", "after_infusion": 3},
            {"score": 9, "date": "2027-03-15", "after_infusion": 6},
            {"score": 12, "date": "2027-03-22"},
            {"score": 12, "date": "2027-03-29"},
        ],
        "last_induction_date": "2027-03-15",
    }
    code, out = run("course-response", payload)
    assert code == 0
    assert out["baseline"] == 20 and out["category"] == "partial" and out["early_improvement"] is True
    assert out["relapse"]["relapsed"] is True and out["relapse"]["relapse_date"] == "2027-03-29"
    assert out["maintenance"]["kind"] == "provider_review"  # partial, no previous dose given


def test_taper_plan_dates() -> None:
    code, out = run("course-response", {"instrument": "phq9", "baseline": 20, "scores": [4],
                                        "last_induction_date": "2027-03-15"})
    assert code == 0 and out["category"] == "remission"
    assert out["maintenance"]["kind"] == "taper"
    assert out["maintenance"]["visit_dates"] == ["2027-03-22", "2027-03-29", "2027-04-12", "2027-04-26", "2027-05-24"]


def test_titration_option() -> None:
    code, out = run("course-response", {"instrument": "phq9", "baseline": 20, "scores": [14],
                                        "previous_dose_mg_per_kg": 0.5, "previous_dose_tolerated": True})
    assert code == 0 and out["maintenance"]["kind"] == "titrate" and out["maintenance"]["next_dose_mg_per_kg"] == 0.6


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"instrument": "phq9", "baseline": 20, "scores": []}, "scores:"),
        ({"instrument": "phq9", "baseline": 20}, "scores:"),
        ({"instrument": "phq9", "baseline": 30, "scores": [1]}, "baseline:"),
        ({"instrument": "phq9", "scores": [1]}, "baseline:"),
        ({"instrument": "phq9", "baseline": 20, "scores": [1, 28]}, "scores[1]:"),
        ({"instrument": "phq9", "baseline": 20, "scores": [1, True]}, "scores[1]:"),
        ({"instrument": "phq9", "baseline": 20, "scores": [{"score": 1, "date": "soon"}]}, "scores[0].date:"),
        ({"instrument": "phq9", "baseline": 20, "scores": [{"date": "2027-01-01"}]}, "scores[0].score:"),
        ({"instrument": "madrs", "baseline": 20, "scores": [1]}, "instrument:"),
        ({"instrument": "phq9", "baseline_candidates": [{"score": 20, "date": "2027-01-01"}],
          "first_infusion_date": "2027-03-01", "scores": [1]}, "baseline_candidates:"),
        ({"instrument": "phq9", "baseline": 20, "scores": [14], "previous_dose_tolerated": "yes"},
         "previous_dose_tolerated:"),
        ({"instrument": "phq9", "baseline": 20, "scores": [9], "last_induction_date": "03/15/2027"},
         "last_induction_date:"),
        ({"instrument": "phq9", "baseline": 20, "scores": [9], "post_induction_score": 5}, "current_score:"),
    ],
)
def test_invalid_exits_2(payload: dict[str, Any], field: str) -> None:
    code, out = run("course-response", payload)
    assert code == 2
    assert out["error"].startswith(field), out
