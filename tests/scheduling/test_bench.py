"""The bench's goal lines say plainly which of issue 5's performance goals hold, and why not."""

from __future__ import annotations

from dataclasses import replace

from ketaclinic.scheduling.bench import Row, _goals, _table

BASE = Row(
    name="small-110-s1", size="small", chairs=6, nurses=3, courses=110, seed=1, demand_visits=490,
    schedulable_alone=108, greedy=83, cpsat=106, bound=107, load_pct=77.0, congested=True, proven_short=True,
    max_improvement_pct=28.9, gap_pct=0.93, improvement_pct=27.7, greedy_seconds=0.5, cpsat_seconds=25.0,
    cpsat_status="feasible", peak_mb=130.0, greedy_valid=True, cpsat_valid=True,
    greedy_score=83, cpsat_score=106, score_bound=107, score_gap_pct=0.93,
)


def test_goals_hold_when_every_congested_instance_meets_them() -> None:
    calm = replace(BASE, name="small-60-s1", congested=False, greedy=58, cpsat=58, bound=58, schedulable_alone=58)
    lines = _goals([BASE, calm])
    assert lines[0].endswith("HOLDS wherever possible")
    assert lines[1].endswith("HOLDS") and "1 of 1" in lines[1]
    assert lines[2].endswith("HOLDS") and all(line.endswith(("HOLDS", "possible")) for line in lines)


def test_goals_name_the_instances_that_miss() -> None:
    short = replace(BASE, name="large-360-s3", max_improvement_pct=19.1, improvement_pct=18.4)
    wide = replace(BASE, name="large-360-s1", gap_pct=3.09)
    lines = _goals([short, wide])
    assert "no plan can gain 20% (max+% < 20: large-360-s3)" in lines[0]
    assert lines[1].endswith("DOES NOT HOLD") and "over 3%: large-360-s1" in lines[1]


def test_replanning_rows_report_the_score_gap() -> None:
    replan = replace(BASE, name="small-110-s1-replan", size="small-replan", cpsat=87, cpsat_score=87,
                     score_bound=107, score_gap_pct=18.69)
    text = _table([BASE, replan], 30.0, 2, {"start": [1, 1, 1], "end": [2, 2, 2], "highest_1min": 2, "cpus": 2})
    assert "small-110-s1-replan      83     87    107      83      87     107  18.69" in text
    assert "gap to score bound 18.7%" in text and "DOES NOT HOLD (bound too weak" in text
    assert "machine load" in text and "highest 1-min seen 2" in text
