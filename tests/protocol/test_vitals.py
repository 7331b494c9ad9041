"""Vitals and RASS alerts (clinical-reference.md §3.3, §8.2): every threshold on both sides."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.protocol.config import Protocol, default_protocol, load_protocol
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.vitals import VitalFinding, VitalsReading, assess_rass, assess_vitals

P = default_protocol()


def found(phase: str, *, protocol: Protocol = P, **kwargs: Any) -> dict[str, str]:
    return {f.code: f.severity for f in assess_vitals(VitalsReading(**kwargs), phase, protocol)}


def test_all_normal_is_empty() -> None:
    normal: dict[str, Any] = {"systolic": 120, "diastolic": 80, "heart_rate": 72, "spo2": 98, "respiratory_rate": 14}
    for phase in ("baseline", "infusion", "recovery"):
        assert found(phase, **normal) == {}
    assert found("infusion") == {}


@pytest.mark.parametrize(
    ("systolic", "diastolic", "repeat", "expected"),
    [
        (139, 89, False, {}),
        (140, 80, False, {"bp_preinfusion_flag": "warning"}),
        (130, 90, False, {"bp_preinfusion_flag": "warning"}),
        (159, 99, False, {"bp_preinfusion_flag": "warning"}),
        (160, 80, False, {"bp_preinfusion_hold": "warning"}),
        (150, 100, False, {"bp_preinfusion_hold": "warning"}),
        (160, 99, True, {"bp_preinfusion_hold": "critical"}),  # still high after rest
        (159, 99, True, {"bp_preinfusion_flag": "warning"}),
        (180, 100, False, {"bp_preinfusion_hold": "warning"}),  # block is "> 180/100"
        (181, 90, False, {"bp_preinfusion_block": "critical"}),
        (170, 101, False, {"bp_preinfusion_block": "critical"}),
    ],
)
def test_baseline_blood_pressure_bands(systolic: int, diastolic: int, repeat: bool, expected: dict[str, str]) -> None:
    assert found("baseline", systolic=systolic, diastolic=diastolic, repeat=repeat) == expected


def test_baseline_hold_tells_nurse_to_rest_and_recheck() -> None:
    (f,) = assess_vitals(VitalsReading(systolic=165, diastolic=95), "baseline", P)
    assert "rest 5 min" in f.action and "provider decides" in f.action
    (g,) = assess_vitals(VitalsReading(systolic=185, diastolic=95), "baseline", P)
    assert "Do not start" in g.action


@pytest.mark.parametrize("phase", ["infusion", "recovery"])
@pytest.mark.parametrize(
    ("systolic", "diastolic", "expected"),
    [
        (180, 110, {}),
        (181, 100, {"bp_pause": "critical"}),
        (170, 111, {"bp_pause": "critical"}),
        (165, 105, {}),  # pre-infusion bands do not apply once running
    ],
)
def test_during_infusion_blood_pressure(phase: str, systolic: int, diastolic: int, expected: dict[str, str]) -> None:
    assert found(phase, systolic=systolic, diastolic=diastolic) == expected


@pytest.mark.parametrize("phase", ["baseline", "infusion", "recovery"])
@pytest.mark.parametrize(
    ("systolic", "diastolic", "symptoms", "emergency"),
    [
        (181, 90, True, True),
        (170, 121, True, True),
        (180, 120, True, False),
        (200, 130, False, False),
    ],
)
def test_hypertensive_emergency(phase: str, systolic: int, diastolic: int, symptoms: bool, emergency: bool) -> None:
    result = found(phase, systolic=systolic, diastolic=diastolic, symptoms=symptoms)
    assert ("hypertensive_emergency" in result) is emergency
    if emergency:
        assert result == {"hypertensive_emergency": "critical"}


@pytest.mark.parametrize("phase", ["baseline", "infusion", "recovery"])
@pytest.mark.parametrize(
    ("vital", "value", "expected"),
    [
        ("heart_rate", 110, {}),
        ("heart_rate", 111, {"hr_notify": "warning"}),
        ("heart_rate", 120, {"hr_notify": "warning"}),
        ("heart_rate", 121, {"hr_pause": "critical"}),
        ("heart_rate", 50, {}),
        ("heart_rate", 49, {"hr_low": "critical"}),
        ("spo2", 94, {}),
        ("spo2", 93, {"spo2_notify": "warning"}),
        ("spo2", 92, {"spo2_notify": "warning"}),
        ("spo2", 91, {"spo2_pause": "critical"}),
        ("spo2", 90, {"spo2_pause": "critical"}),
        ("spo2", 89, {"spo2_stop": "critical"}),
        ("respiratory_rate", 10, {}),
        ("respiratory_rate", 9, {"rr_notify": "warning"}),
        ("respiratory_rate", 8, {"rr_notify": "warning"}),
        ("respiratory_rate", 7, {"rr_stop": "critical"}),
        ("respiratory_rate", 0, {"rr_stop": "critical"}),
    ],
)
def test_hr_spo2_rr_thresholds(phase: str, vital: str, value: float, expected: dict[str, str]) -> None:
    reading: dict[str, Any] = {vital: value}
    assert found(phase, **reading) == expected


def test_actions_name_the_right_steps() -> None:
    def action(phase: str, **kwargs: Any) -> str:
        (f,) = assess_vitals(VitalsReading(**kwargs), phase, P)
        return f.action

    assert "Pause the pump" in action("infusion", systolic=190, diastolic=90)
    assert "Recheck in 5 min" in action("infusion", systolic=190, diastolic=90)
    assert "notify the provider" in action("infusion", systolic=190, diastolic=90)
    assert "oxygen" in action("infusion", spo2=91) and "30 s" in action("infusion", spo2=91)
    assert "emergency pathway" in action("infusion", spo2=85)
    assert "Stop the infusion" in action("infusion", respiratory_rate=6)
    assert "Rouse" in action("infusion", spo2=93)
    assert "5 min" in action("infusion", heart_rate=115)
    for kwargs in ({"systolic": 190, "diastolic": 90}, {"spo2": 91}, {"heart_rate": 130}):
        assert "pump" not in action("recovery", **kwargs)


def test_findings_have_plain_message_and_critical_first() -> None:
    findings = assess_vitals(VitalsReading(heart_rate=115, spo2=85), "infusion", P)
    assert [f.severity for f in findings] == ["critical", "warning"]
    assert findings[0].vital == "spo2" and "85%" in findings[0].message
    assert findings[1].to_dict() == {
        "vital": "heart_rate", "code": "hr_notify", "severity": "warning",
        "message": findings[1].message, "action": findings[1].action,
    }


def test_thresholds_come_from_config() -> None:
    p = load_protocol({"monitoring.alert_hr_notify": 100, "blood_pressure.bp_preinfusion_flag_systolic": 130})
    assert found("infusion", protocol=p, heart_rate=105) == {"hr_notify": "warning"}
    assert found("baseline", protocol=p, systolic=135, diastolic=80) == {"bp_preinfusion_flag": "warning"}


# --- RASS --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "code"),
    [(-5, "rass_stop"), (-4, "rass_stop"), (-3, "rass_stop"), (-2, None), (0, None), (1, None), (2, "rass_pause"),
     (4, "rass_pause")],
)
def test_rass(level: int, code: str | None) -> None:
    f = assess_rass(level, "infusion", P)
    assert (f.code if f else None) == code
    if f is not None:
        assert f.severity == "critical" and f.vital == "rass"


def test_rass_actions() -> None:
    stop = assess_rass(-3, "infusion", P)
    pause = assess_rass(2, "infusion", P)
    assert stop is not None and "Stop the infusion" in stop.action and "moderate sedation" in stop.message
    assert pause is not None and "Pause the pump" in pause.action and "rescue" in pause.action


def test_rass_inside_a_reading() -> None:
    assert found("infusion", rass=-4, spo2=97) == {"rass_stop": "critical"}


@pytest.mark.parametrize("level", [-6, 5, 1.5, True, "2"])
def test_rass_invalid(level: Any) -> None:
    with pytest.raises(InputError) as exc:
        assess_rass(level, "infusion", P)
    assert exc.value.field == "rass"


# --- invalid input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"spo2": 140}, "spo2"),
        ({"spo2": -1}, "spo2"),
        ({"heart_rate": -10}, "heart_rate"),
        ({"respiratory_rate": 150}, "respiratory_rate"),
        ({"systolic": 80, "diastolic": 120}, "systolic"),
        ({"systolic": 100, "diastolic": 100}, "systolic"),
        ({"systolic": 500}, "systolic"),
        ({"diastolic": 5}, "diastolic"),
        ({"heart_rate": float("nan")}, "heart_rate"),
        ({"heart_rate": True}, "heart_rate"),
        ({"symptoms": "yes"}, "symptoms"),
        ({"rass": 7}, "rass"),
    ],
)
def test_invalid_reading(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as exc:
        VitalsReading(**kwargs)
    assert exc.value.field == field


def test_invalid_phase() -> None:
    with pytest.raises(InputError) as exc:
        assess_vitals(VitalsReading(), "induction", P)
    assert exc.value.field == "phase"


# --- properties ---------------------------------------------------------------------------------

RANK = {"warning": 1, "critical": 2}


def worst(findings: tuple[VitalFinding, ...], vital: str) -> int:
    return max((RANK[f.severity] for f in findings if f.vital == vital), default=0)


@given(st.sampled_from(["baseline", "infusion", "recovery"]), st.integers(0, 100), st.integers(0, 100))
def test_lower_spo2_never_milder(phase: str, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert worst(assess_vitals(VitalsReading(spo2=lo), phase, P), "spo2") >= worst(
        assess_vitals(VitalsReading(spo2=hi), phase, P), "spo2")


@given(st.sampled_from(["baseline", "infusion", "recovery"]), st.integers(100, 300), st.integers(100, 300),
       st.integers(40, 99))
def test_higher_systolic_never_milder(phase: str, a: int, b: int, diastolic: int) -> None:
    lo, hi = sorted((a, b))
    low = assess_vitals(VitalsReading(systolic=lo, diastolic=diastolic), phase, P)
    high = assess_vitals(VitalsReading(systolic=hi, diastolic=diastolic), phase, P)
    assert worst(low, "blood_pressure") <= worst(high, "blood_pressure")
