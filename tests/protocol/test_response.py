"""Course review: clinical-reference.md §7 (mid-course review, maintenance) and §10.3 (response, remission,
relapse, baseline)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.protocol.config import default_protocol, load_protocol
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.instruments import INSTRUMENTS
from ketaclinic.protocol.response import (
    CATEGORIES,
    Assessment,
    CourseResponse,
    assess_course_response,
    detect_relapse,
    select_baseline,
    suggest_maintenance,
    taper_plan,
)

P = default_protocol()
D0 = date(2027, 3, 1)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


@pytest.mark.parametrize(
    ("instrument", "baseline", "latest", "change", "response", "partial", "remission", "category"),
    [
        # contract example: 20 → 9
        ("phq9", 20, 9, -55.0, True, False, False, "response"),
        # response boundary at 50 %: 20 → 10 is exactly 50 %; 27 → 14 is 48.1 % (49 % is not reachable on 0-27)
        ("phq9", 20, 10, -50.0, True, False, False, "response"),
        ("phq9", 27, 13, -51.9, True, False, False, "response"),
        ("phq9", 27, 14, -48.1, False, True, False, "partial"),
        # partial boundary at 25 %: 20 → 15 exactly 25 %; 25 → 19 is 24 %
        ("phq9", 20, 15, -25.0, False, True, False, "partial"),
        ("phq9", 25, 19, -24.0, False, False, False, "none"),
        ("phq9", 20, 16, -20.0, False, False, False, "none"),
        # remission PHQ-9 ≤ 4: 4 remits, 5 does not
        ("phq9", 20, 4, -80.0, True, False, True, "remission"),
        ("phq9", 20, 5, -75.0, True, False, False, "response"),
        # documented choice: baseline 6 → 4 is remission although only a 33 % reduction (§10.3 threshold)
        ("phq9", 6, 4, -33.3, False, True, True, "remission"),
        ("phq9", 5, 4, -20.0, False, False, True, "remission"),
        # baseline already in the remission range: no remission, percentages still apply
        ("phq9", 4, 2, -50.0, True, False, False, "response"),
        ("phq9", 4, 4, 0.0, False, False, False, "none"),
        # baseline 0: change undefined, no division by zero
        ("phq9", 0, 0, None, False, False, False, "none"),
        ("phq9", 0, 3, None, False, False, False, "none"),
        # worse
        ("phq9", 10, 12, 20.0, False, False, False, "none"),
        # GAD-7 remission ≤ 4
        ("gad7", 15, 4, -73.3, True, False, True, "remission"),
        ("gad7", 15, 5, -66.7, True, False, False, "response"),
        ("gad7", 8, 4, -50.0, True, False, True, "remission"),
        # PCL-5: points, meaningful change 10, minimum response 5, no remission definition
        ("pcl5", 50, 40, -20.0, True, False, False, "response"),
        ("pcl5", 50, 41, -18.0, False, True, False, "partial"),
        ("pcl5", 50, 45, -10.0, False, True, False, "partial"),
        ("pcl5", 50, 46, -8.0, False, False, False, "none"),
        ("pcl5", 12, 0, -100.0, True, False, False, "response"),
        # pain NRS: ≥ 30 % or ≥ 2 points
        ("pain_nrs", 10, 8, -20.0, True, False, False, "response"),
        ("pain_nrs", 10, 9, -10.0, False, False, False, "none"),
        ("pain_nrs", 3, 2, -33.3, True, False, False, "response"),
        ("pain_nrs", 4, 3, -25.0, False, False, False, "none"),
        ("pain_nrs", 0, 0, None, False, False, False, "none"),
    ],
)
def test_classification(
    instrument: str, baseline: int, latest: int, change: float | None,
    response: bool, partial: bool, remission: bool, category: str,
) -> None:
    r = assess_course_response(instrument, baseline, [latest], P)
    assert (r.change_percent, r.response, r.partial, r.remission, r.category) == (
        change, response, partial, remission, category
    )
    assert r.change_points == latest - baseline
    assert r.remission_defined is (instrument in ("phq9", "gad7"))


@pytest.mark.parametrize(("latest", "substantial"), [(5, True), (6, False), (0, True), (10, False)])
def test_pain_substantial(latest: int, substantial: bool) -> None:
    assert assess_course_response("pain_nrs", 10, [latest], P).substantial is substantial


def test_latest_score_is_last_in_list() -> None:
    assert assess_course_response("phq9", 20, [9, 15], P).latest == 15


def test_cut_offs_come_from_config() -> None:
    p = load_protocol({"outcomes.response_reduction_pct": 40, "outcomes.remission_phq9_max": 5})
    r = assess_course_response("phq9", 20, [5], p)
    assert r.remission and r.category == "remission"
    assert assess_course_response("phq9", 20, [12], p).response


def test_zero_thresholds_still_need_improvement() -> None:
    p = load_protocol({"outcomes.partial_response_reduction_pct": 0, "outcomes.pain_response_points": 0,
                       "outcomes.pcl5_min_response": 0})
    assert assess_course_response("phq9", 10, [10], p).category == "none"
    assert assess_course_response("pain_nrs", 5, [5], p).category == "none"
    assert assess_course_response("pcl5", 40, [40], p).category == "none"


# --- early improvement (§7 mid-course review) --------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "early", "review"),
    [
        ([(16, 2), (15, 4)], True, False),     # 25 % at infusion 4
        ([(16, 2), (16, 4)], False, True),     # 20 %: provider reviews whether to continue
        ([(14, 2)], True, False),              # already 30 % after infusion 2
        ([(17, 2)], None, False),              # not yet at the review point
        ([(17, 2), (10, 6)], False, True),     # nothing after infusions 3-4: the infusion-2 score is the review score
        ([(17, 3), (15, 5)], False, True),
        ([(20, 4)], False, True),
    ],
)
def test_early_improvement(scores: list[tuple[int, int]], early: bool | None, review: bool) -> None:
    r = assess_course_response("phq9", 20, [Assessment(s, after_infusion=n) for s, n in scores], P)
    assert r.early_improvement is early
    assert r.midcourse_review_needed is review


def test_early_improvement_unknown_without_infusion_numbers() -> None:
    r = assess_course_response("phq9", 20, [18, 15, 11, 9], P)
    assert r.early_improvement is None and not r.midcourse_review_needed


def test_midcourse_point_from_config() -> None:
    p = load_protocol({"course.midcourse_review_after_infusion": 3, "course.midcourse_min_improvement_pct": 10})
    r = assess_course_response("phq9", 20, [Assessment(17, after_infusion=3)], p)
    assert r.early_improvement is True and r.midcourse_change_percent == -15.0


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument", "baseline", "scores", "field"),
    [
        ("phq9", 28, [1], "baseline"),
        ("phq9", -1, [1], "baseline"),
        ("phq9", True, [1], "baseline"),
        ("phq9", 20, [], "scores"),
        ("phq9", 20, [1, 28], "scores[1]"),
        ("phq9", 20, [1, 2.5], "scores[1]"),
        ("gad7", 20, [22], "scores[0]"),
        ("pain_nrs", 11, [1], "baseline"),
        ("qids", 10, [1], "instrument"),
        ("phq9", 20, [Assessment(10, on=day(5)), Assessment(9, on=day(4))], "scores[1].date"),
        ("phq9", 20, [Assessment(10, after_infusion=-1)], "scores[0].after_infusion"),
    ],
)
def test_invalid_course_input(instrument: str, baseline: object, scores: list[object], field: str) -> None:
    with pytest.raises(InputError) as exc:
        assess_course_response(instrument, baseline, scores, P)  # type: ignore[arg-type]
    assert exc.value.field == field


# --- baseline selection (§10.3) ----------------------------------------------------------------


def test_select_baseline_window() -> None:
    first = date(2027, 2, 10)
    cands = [Assessment(22, on=date(2027, 2, 1)), Assessment(21, on=date(2027, 2, 3)),
             Assessment(19, on=date(2027, 2, 9)), Assessment(18, on=date(2027, 2, 11)), Assessment(17)]
    assert select_baseline(cands, first, P) == Assessment(19, on=date(2027, 2, 9))
    assert select_baseline([*cands, Assessment(20, on=first)], first, P) == Assessment(20, on=first)
    assert select_baseline(cands[:2], first, P) == Assessment(21, on=date(2027, 2, 3))  # exactly 7 days before
    assert select_baseline(cands[:1], first, P) is None  # 9 days before: too old
    assert select_baseline(cands[:1], first, load_protocol({"outcomes.baseline_max_age_days": 14})) == cands[0]


# --- relapse (§10.3) ---------------------------------------------------------------------------


def dated(*pairs: tuple[int, int]) -> list[Assessment]:
    return [Assessment(score, on=day(n)) for n, score in pairs]


def test_relapse_two_consecutive_seven_days_apart() -> None:
    r = detect_relapse("phq9", 20, dated((0, 12), (7, 9), (14, 12), (17, 13), (21, 12)), P)
    assert r.responded and r.response_on == day(7)
    assert r.relapsed and r.loss_started_on == day(14) and r.relapse_on == day(21)


def test_no_relapse_when_gap_too_short() -> None:
    r = detect_relapse("phq9", 20, dated((7, 9), (14, 12), (20, 12)), P)
    assert r.responded and not r.relapsed


def test_response_in_between_resets_the_run() -> None:
    r = detect_relapse("phq9", 20, dated((7, 9), (14, 12), (18, 9), (21, 12), (28, 11)), P)
    assert r.relapsed and r.loss_started_on == day(21) and r.relapse_on == day(28)


def test_no_relapse_without_response() -> None:
    r = detect_relapse("phq9", 20, dated((0, 15), (7, 14), (14, 16), (21, 18)), P)
    assert not r.responded and not r.relapsed
    # remission without a 50 % response does not start the relapse clock (documented choice)
    r2 = detect_relapse("phq9", 6, dated((0, 4), (7, 5), (14, 5)), P)
    assert not r2.responded


def test_relapse_events() -> None:
    scores = dated((0, 12), (7, 9), (14, 9))
    assert not detect_relapse("phq9", 20, scores, P).relapsed
    r = detect_relapse("phq9", 20, scores, P, events=[(day(10), "suicide_attempt")])
    assert r.relapsed and r.relapse_on == day(10) and "suicide attempt" in r.reason
    before = detect_relapse("phq9", 20, scores, P, events=[(day(3), "psychiatric_hospitalisation")])
    assert not before.relapsed
    with pytest.raises(InputError) as exc:
        detect_relapse("phq9", 20, scores, P, events=[(day(10), "bad_day")])
    assert exc.value.field == "events[0].kind"


def test_relapse_settings_from_config() -> None:
    p = load_protocol({"outcomes.relapse_consecutive_assessments": 3, "outcomes.relapse_min_gap_days": 3})
    scores = dated((7, 9), (14, 12), (17, 12), (19, 12))  # day 19 is only 2 days after day 17
    assert not detect_relapse("phq9", 20, scores, p).relapsed
    r = detect_relapse("phq9", 20, [*scores, Assessment(12, on=day(20))], p)
    assert r.relapsed and r.loss_started_on == day(14) and r.relapse_on == day(20)


def test_relapse_needs_dates() -> None:
    with pytest.raises(InputError) as exc:
        detect_relapse("phq9", 20, [Assessment(9, on=day(1)), Assessment(12)], P)
    assert exc.value.field == "scores[1].date"


def test_relapse_pcl5_and_pain_use_their_response_rule() -> None:
    assert detect_relapse("pcl5", 50, dated((7, 38), (14, 42), (21, 45)), P).relapsed
    assert not detect_relapse("pain_nrs", 8, dated((7, 6), (14, 6), (21, 6)), P).relapsed  # 2 points held


# --- maintenance suggestion (§7) ---------------------------------------------------------------


def course(category_scores: tuple[int, int], instrument: str = "phq9") -> CourseResponse:
    return assess_course_response(instrument, category_scores[0], [category_scores[1]], P)


def test_taper_for_responder_and_remitter() -> None:
    for scores in ((20, 9), (20, 3)):
        m = suggest_maintenance(course(scores), P, last_induction_on=D0)
        assert m.kind == "taper"
        assert m.intervals_days == (7, 7, 14, 14, 28)
        assert m.visit_dates == (day(7), day(14), day(28), day(42), day(70))
    assert taper_plan(D0, load_protocol({"course.maintenance_intervals_days": [21]})) == (day(21),)
    no_date = suggest_maintenance(course((20, 9)), P)
    assert no_date.kind == "taper" and no_date.visit_dates == ()


@pytest.mark.parametrize(
    ("previous", "tolerated", "kind", "next_dose", "soft_note"),
    [
        (0.5, True, "titrate", 0.6, False),
        (0.7, True, "titrate", 0.8, True),    # above the 0.75 mg/kg soft limit: reason required
        (0.9, True, "titrate", 1.0, True),    # exactly the hard maximum is allowed
        (0.95, True, "provider_review", None, False),  # 1.05 > hard maximum 1.0
        (0.5, False, "provider_review", None, False),
        (None, None, "provider_review", None, False),
    ],
)
def test_partial_titration(
    previous: float | None, tolerated: bool | None, kind: str, next_dose: float | None, soft_note: bool
) -> None:
    m = suggest_maintenance(course((20, 14)), P, previous_dose_mg_per_kg=previous,
                            previous_dose_tolerated=tolerated)
    assert (m.kind, m.next_dose_mg_per_kg) == (kind, next_dose)
    assert any("soft limit" in r for r in m.reasons) is soft_note


def test_titration_step_from_config() -> None:
    p = load_protocol({"dose.titration_step_mg_per_kg": 0.05})
    m = suggest_maintenance(course((20, 14)), p, previous_dose_mg_per_kg=0.5, previous_dose_tolerated=True)
    assert m.next_dose_mg_per_kg == 0.55


@pytest.mark.parametrize("bad", [0, -0.1, True, "0.5", 11])
def test_invalid_previous_dose(bad: object) -> None:
    with pytest.raises(InputError) as exc:
        suggest_maintenance(course((20, 14)), P, previous_dose_mg_per_kg=bad,  # type: ignore[arg-type]
                            previous_dose_tolerated=True)
    assert exc.value.field == "previous_dose_mg_per_kg"


def test_non_responder_goes_to_provider_review() -> None:
    m = suggest_maintenance(course((20, 18)), P, last_induction_on=D0)
    assert m.kind == "provider_review" and m.visit_dates == ()
    assert suggest_maintenance(course((0, 0)), P).kind == "provider_review"


@pytest.mark.parametrize(
    ("post", "current", "interval", "kind", "suggested", "worse"),
    [
        (8, 10, 28, "shorten_interval", 14, 25.0),
        (8, 10, 14, "shorten_interval", 7, 25.0),
        (8, 10, None, "shorten_interval", 7, 25.0),
        (8, 10, 7, "provider_review", None, 25.0),
        (8, 9, 28, "continue", 28, 12.5),
        (8, 4, 28, "continue", 28, -50.0),
        (0, 0, 14, "continue", 14, 0.0),
        (0, 3, 14, "provider_review", None, None),
    ],
)
def test_maintenance_worsening(
    post: int, current: int, interval: int | None, kind: str, suggested: int | None, worse: float | None
) -> None:
    m = suggest_maintenance(course((20, 8)), P, post_induction_score=post, current_score=current,
                            current_interval_days=interval)
    assert (m.kind, m.suggested_interval_days, m.worsening_percent) == (kind, suggested, worse)
    assert m.reasons


def test_maintenance_scores_come_in_pairs() -> None:
    with pytest.raises(InputError) as exc:
        suggest_maintenance(course((20, 8)), P, post_induction_score=8)
    assert exc.value.field == "current_score"
    with pytest.raises(InputError) as exc:
        suggest_maintenance(course((20, 8)), P, post_induction_score=8, current_score=30)
    assert exc.value.field == "current_score"


# --- properties ------------------------------------------------------------------------------

RANK = {c: i for i, c in enumerate(CATEGORIES)}


@st.composite
def course_case(draw: st.DrawFn) -> tuple[str, int, int, int]:
    code = draw(st.sampled_from(sorted(INSTRUMENTS)))
    top = INSTRUMENTS[code].total_max
    baseline, a, b = draw(st.integers(0, top)), draw(st.integers(0, top)), draw(st.integers(0, top))
    return code, baseline, min(a, b), max(a, b)


@given(course_case())
def test_no_benefit_when_score_rose(case: tuple[str, int, int, int]) -> None:
    code, baseline, _, high = case
    r = assess_course_response(code, baseline, [high], P)
    if high >= baseline:
        assert not (r.response or r.partial or r.remission or r.substantial)
        assert r.category == "none"
    assert (r.change_percent is None) is (baseline == 0)


@given(course_case())
def test_category_consistent_and_monotone(case: tuple[str, int, int, int]) -> None:
    code, baseline, low, high = case
    better = assess_course_response(code, baseline, [low], P)
    worse = assess_course_response(code, baseline, [high], P)
    assert RANK[better.category] >= RANK[worse.category]
    for r in (better, worse):
        assert r.category in CATEGORIES
        assert not (r.response and r.partial)
        assert (r.category == "remission") is r.remission
        if r.response:
            assert r.category in ("remission", "response")
        if r.partial:
            assert r.category in ("remission", "partial")
        if r.category == "none":
            assert not (r.response or r.partial or r.remission)
