"""Modified Aldrete and PADSS discharge readiness (clinical-reference.md §9)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.protocol.config import default_protocol, load_protocol
from ketaclinic.protocol.discharge import (
    ALDRETE_COMPONENTS,
    PADSS_COMPONENTS,
    PADSS_SURGICAL_BLEEDING_DEFAULT,
    assess_discharge,
    required_scores,
    suggest_aldrete_activity,
    suggest_aldrete_circulation,
    suggest_aldrete_oxygen_saturation,
    suggest_padss_activity_mental_status,
    suggest_padss_intake_output,
    suggest_padss_vital_signs,
)
from ketaclinic.protocol.errors import InputError

P = default_protocol()
FULL_ALDRETE = dict.fromkeys(ALDRETE_COMPONENTS, 2)
FULL_PADSS = dict.fromkeys(PADSS_COMPONENTS, 2)


def test_aldrete_full_marks_after_35_min_is_ready() -> None:
    a = assess_discharge("aldrete", FULL_ALDRETE, 35, P)
    assert (a.total, a.ready, a.reasons) == (10, True, ())
    assert a.minimum == 9 and a.observe_min == 30


@pytest.mark.parametrize(
    ("score", "lowered", "minutes", "total", "ready"),
    [
        ("aldrete", {}, 30, 10, True),  # exactly the minimum observation time
        ("aldrete", {}, 29.5, 10, False),
        ("aldrete", {"consciousness": 1}, 30, 9, True),  # exactly the minimum score
        ("aldrete", {"consciousness": 1, "circulation": 1}, 60, 8, False),
        ("aldrete", {"oxygen_saturation": 0}, 60, 8, False),
        ("padss", {}, 45, 10, True),
        ("padss", {"pain_nausea_vomiting": 1}, 30, 9, True),
        ("padss", {"intake_output": 0}, 45, 8, False),
        ("padss", {"vital_signs": 1, "activity_mental_status": 1}, 10, 8, False),
    ],
)
def test_readiness_table(score: str, lowered: dict[str, int], minutes: float, total: int, ready: bool) -> None:
    components = {**(FULL_ALDRETE if score == "aldrete" else FULL_PADSS), **lowered}
    a = assess_discharge(score, components, minutes, P)
    assert (a.total, a.ready) == (total, ready)
    assert bool(a.reasons) is not ready


def test_reasons_are_plain_words() -> None:
    a = assess_discharge("aldrete", {**FULL_ALDRETE, "circulation": 1, "consciousness": 1}, 20, P)
    assert len(a.reasons) == 2
    assert "8" in a.reasons[0] and "9" in a.reasons[0] and "blood pressure" in a.reasons[0]
    assert "20 min" in a.reasons[1] and "30 min" in a.reasons[1] and "10 min more" in a.reasons[1]


def test_settings_apply() -> None:
    p = load_protocol({"discharge.aldrete_discharge_min": 10, "discharge.observe_min_after_iv": 60})
    a = assess_discharge("aldrete", {**FULL_ALDRETE, "activity": 1}, 45, p)
    assert not a.ready and a.minimum == 10 and a.observe_min == 60 and len(a.reasons) == 2


def test_esketamine_route_uses_its_observation_time() -> None:
    assert not assess_discharge("padss", FULL_PADSS, 90, P, route="esketamine").ready
    assert assess_discharge("padss", FULL_PADSS, 120, P, route="esketamine").ready


def test_required_scores() -> None:
    assert required_scores(P) == ("aldrete",)
    assert required_scores(load_protocol({"discharge.discharge_score": "both"})) == ("aldrete", "padss")


@pytest.mark.parametrize(
    ("score", "components", "minutes", "field"),
    [
        ("aldrete", {k: v for k, v in FULL_ALDRETE.items() if k != "activity"}, 30, "components.activity"),
        ("aldrete", {**FULL_ALDRETE, "pain": 2}, 30, "components.pain"),
        ("aldrete", {**FULL_ALDRETE, "activity": 3}, 30, "components.activity"),
        ("aldrete", {**FULL_ALDRETE, "activity": -1}, 30, "components.activity"),
        ("aldrete", {**FULL_ALDRETE, "activity": True}, 30, "components.activity"),
        ("aldrete", {**FULL_ALDRETE, "activity": 1.5}, 30, "components.activity"),
        ("padss", FULL_ALDRETE, 30, "components.activity"),
        ("aldrete", FULL_ALDRETE, -1, "minutes_since_infusion_end"),
        ("aldrete", FULL_ALDRETE, float("inf"), "minutes_since_infusion_end"),
        ("ramsay", FULL_ALDRETE, 30, "score"),
    ],
)
def test_invalid(score: str, components: dict[str, Any], minutes: float, field: str) -> None:
    with pytest.raises(InputError) as exc:
        assess_discharge(score, components, minutes, P)
    assert exc.value.field == field


def test_invalid_route() -> None:
    with pytest.raises(InputError) as exc:
        assess_discharge("aldrete", FULL_ALDRETE, 30, P, route="oral")
    assert exc.value.field == "route"


# --- suggestions from raw values ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "baseline", "expected"),
    [(120, 120, 2), (144, 120, 2), (96, 120, 2), (145, 120, 1), (95, 120, 1), (179, 120, 1), (180, 120, 0),
     (60, 120, 0)],
)
def test_aldrete_circulation(current: float, baseline: float, expected: int) -> None:
    assert suggest_aldrete_circulation(current, baseline) == expected


@pytest.mark.parametrize(
    ("spo2", "on_oxygen", "expected"),
    [(93, False, 2), (92, False, 1), (95, True, 1), (91, True, 1), (90, True, 0), (85, False, 0)],
)
def test_aldrete_oxygen_saturation(spo2: float, on_oxygen: bool, expected: int) -> None:
    assert suggest_aldrete_oxygen_saturation(spo2, on_oxygen) == expected


@pytest.mark.parametrize(("limbs", "expected"), [(4, 2), (3, 1), (2, 1), (1, 0), (0, 0)])
def test_aldrete_activity(limbs: int, expected: int) -> None:
    assert suggest_aldrete_activity(limbs) == expected


@pytest.mark.parametrize(
    ("sbp", "base_sbp", "hr", "base_hr", "expected"),
    [(120, 100, None, None, 2), (121, 100, None, None, 1), (140, 100, None, None, 1), (141, 100, None, None, 0),
     (100, 100, 85, 70, 1), (100, 100, 100, 70, 0), (100, 100, 80, None, 2)],
)
def test_padss_vital_signs(sbp: float, base_sbp: float, hr: float | None, base_hr: float | None,
                           expected: int) -> None:
    assert suggest_padss_vital_signs(sbp, base_sbp, hr, base_hr) == expected


def test_padss_boolean_pairs() -> None:
    assert suggest_padss_activity_mental_status(True, True) == 2
    assert suggest_padss_activity_mental_status(True, False) == 1
    assert suggest_padss_intake_output(False, False) == 0
    assert PADSS_SURGICAL_BLEEDING_DEFAULT == 2


@pytest.mark.parametrize(
    "call",
    [lambda: suggest_aldrete_circulation(120, 0), lambda: suggest_aldrete_oxygen_saturation(101, False),
     lambda: suggest_aldrete_activity(5), lambda: suggest_padss_vital_signs(-1, 100)],
)
def test_suggestion_input_errors(call: Any) -> None:
    with pytest.raises(InputError):
        call()


# --- properties ---------------------------------------------------------------------------------

scores = st.sampled_from(["aldrete", "padss"])
values = st.lists(st.integers(0, 2), min_size=5, max_size=5)
minutes = st.floats(min_value=0, max_value=600, allow_nan=False)


@given(scores, values, minutes)
def test_total_in_range_and_never_ready_early(score: str, vals: list[int], since: float) -> None:
    names = ALDRETE_COMPONENTS if score == "aldrete" else PADSS_COMPONENTS
    a = assess_discharge(score, dict(zip(names, vals, strict=True)), since, P)
    assert 0 <= a.total <= 10
    if since < P.discharge.observe_min_after_iv or a.total < a.minimum:
        assert not a.ready
    else:
        assert a.ready
