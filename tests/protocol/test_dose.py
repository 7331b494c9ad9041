"""Dose and pump-rate calculation, guardrails (clinical-reference.md §6.3-§6.6)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.protocol.config import Protocol, default_protocol, load_protocol
from ketaclinic.protocol.dose import (
    DoseCalculation,
    DoseOrderInput,
    adjusted_body_weight_kg,
    calculate_dose,
    ideal_body_weight_kg,
    round_to_step,
)
from ketaclinic.protocol.errors import InputError

P = default_protocol()
D = Decimal


def calc(protocol: Protocol = P, **kwargs: Any) -> DoseCalculation:
    base: dict[str, Any] = {"weight_kg": 80, "concentration_mg_per_ml": 50, "bag_volume_ml": 100}
    base.update(kwargs)
    return calculate_dose(DoseOrderInput(**base), protocol)


def codes(c: DoseCalculation) -> dict[str, str]:
    return {f.code: f.severity for f in c.findings}


# --- §6.5 worked examples A-E, exactly ---------------------------------------------------------


def test_example_a_mood_bag_50mg_ml() -> None:
    c = calc(weight_kg=80, dose_mg_per_kg=0.5, duration_minutes=40, concentration_mg_per_ml=50, bag_volume_ml=100)
    assert c.dose_mg == D("40.0")
    assert c.drug_volume_ml == D("0.80")
    assert c.total_volume_ml == D("100.80")
    assert c.vtbi_ml == D("100.80")
    assert c.final_concentration_mg_per_ml == D("0.397")
    assert c.rate_ml_per_h == D("151.2")
    assert str(c.rate_ml_per_h) == "151.2"
    assert c.dose_rate_mg_per_kg_h == D("0.75")
    assert c.dose_rate_mg_per_h == D("60")
    assert c.findings == ()


def test_example_b_mood_10mg_ml() -> None:
    c = calc(weight_kg=80, dose_mg_per_kg=0.5, duration_minutes=40, concentration_mg_per_ml=10, bag_volume_ml=100)
    assert str(c.drug_volume_ml) == "4.00"
    assert str(c.total_volume_ml) == "104.00"
    assert str(c.rate_ml_per_h) == "156.0"
    assert c.findings == ()


def test_example_c_syringe_made_up_to_1mg_ml() -> None:
    c = calc(dose_mg_per_kg=0.5, duration_minutes=40, concentration_mg_per_ml=10, bag_volume_ml=40,
             volume_mode="made_up_to")
    assert c.dose_mg == 40
    assert c.total_volume_ml == 40
    assert c.diluent_volume_ml == D("36.00")
    assert c.final_concentration_mg_per_ml == 1
    assert str(c.rate_ml_per_h) == "60.0"
    assert c.findings == ()


def test_example_d_crps_session_under_cap() -> None:
    c = calc(indication_kind="pain", weight_kg=70, rate_mg_per_kg_h=0.35, session_hours=4,
             concentration_mg_per_ml=50, bag_volume_ml=100)
    assert c.requested_dose_rate_mg_per_h == D("24.5")
    assert c.dose_rate_mg_per_h == D("24.5")
    assert c.dose_mg == 98
    assert str(c.drug_volume_ml) == "1.96"
    assert c.total_volume_ml == D("101.96")
    assert str(c.rate_ml_per_h) == "25.5"
    assert c.duration_minutes == 240
    assert c.findings == ()


def test_example_e_cap_applies() -> None:
    c = calc(indication_kind="pain", weight_kg=90, rate_mg_per_kg_h=0.35, session_hours=4,
             concentration_mg_per_ml=50, bag_volume_ml=100)
    assert c.requested_dose_rate_mg_per_h == D("31.5")
    assert c.dose_rate_mg_per_h == 25
    assert c.dose_mg == 100
    assert codes(c) == {"pain_rate_capped": "warning"}


def test_pain_defaults_come_from_config() -> None:
    c = calc(indication_kind="pain", weight_kg=70)
    assert c.requested_dose_rate_mg_per_h == D("24.5")  # 0.35 mg/kg/h default
    assert c.duration_minutes == 240  # 4 h default


def test_mood_defaults_come_from_config() -> None:
    c = calculate_dose(DoseOrderInput(weight_kg=80, concentration_mg_per_ml=10), P)
    assert c.dose_mg_per_kg == D("0.5")
    assert c.duration_minutes == 40
    assert c.total_volume_ml == D("104.00")  # default 100 mL diluent
    assert str(c.rate_ml_per_h) == "156.0"


# --- rounding ----------------------------------------------------------------------------------


def test_rate_rounds_half_up_not_to_even() -> None:
    # 25 kg x 0.5 = 12.5 mg = 0.25 mL; 100.25 mL over 60 min = 100.25 mL/h -> 100.3 (bankers' would give 100.2)
    c = calc(weight_kg=25, dose_mg_per_kg=0.5, duration_minutes=60)
    assert c.total_volume_ml == D("100.25")
    assert str(c.rate_ml_per_h) == "100.3"


def test_drug_volume_rounds_half_up() -> None:
    # 80.1 kg x 0.5 = 40.05 mg / 10 mg/mL = 4.005 mL -> 4.01
    c = calc(weight_kg=80.1, dose_mg_per_kg=0.5, concentration_mg_per_ml=10)
    assert str(c.drug_volume_ml) == "4.01"


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [("151.2", 0.1, "151.2"), ("0.005", 0.01, "0.01"), ("0.015", 0.01, "0.02"), ("2.25", 0.5, "2.5"),
     ("7", 1.0, "7")],
)
def test_round_to_step(value: str, step: float, expected: str) -> None:
    assert round_to_step(D(value), step) == D(expected)


def test_rate_step_is_configurable() -> None:
    p = load_protocol({"dose.pump_rate_round_ml_h": 1.0})
    assert calc(p, dose_mg_per_kg=0.5).rate_ml_per_h == 151


# --- dosing weight (§6.3) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("height_cm", "sex", "expected"),
    [
        (152.4, "male", "50.0"),  # exactly 60 in
        (152.4, "female", "45.5"),
        (140, "male", "50.0"),  # under 60 in: no negative adjustment
        (140, "female", "45.5"),
        (178, "female", "68.7"),  # 70.08 in: 45.5 + 2.3 x 10.08
        (180, "male", "75.0"),  # 70.87 in: 50 + 2.3 x 10.87 = 74.99
        (182.88, "male", "77.6"),  # 72 in exactly: 50 + 27.6
    ],
)
def test_devine_ideal_body_weight(height_cm: float, sex: Any, expected: str) -> None:
    assert ideal_body_weight_kg(height_cm, sex, step=0.1) == D(expected)


def test_ideal_body_weight_unrounded_is_exact_at_whole_inches() -> None:
    assert ideal_body_weight_kg(D("182.88"), "female") == D("73.1")


def test_ideal_body_weight_rejects_other_sex() -> None:
    with pytest.raises(InputError) as exc:
        ideal_body_weight_kg(170, "x")  # type: ignore[arg-type]
    assert exc.value.field == "sex"


def test_adjusted_body_weight_formula() -> None:
    assert adjusted_body_weight_kg(120, 70, 0.4) == D("90.0")


def test_ideal_basis() -> None:
    c = calc(weight_kg=80, height_cm=178, sex="female", weight_basis="ideal", concentration_mg_per_ml=10)
    assert c.weight_basis == "ideal"
    assert c.ideal_body_weight_kg == D("68.7")
    assert c.dosing_weight_kg == D("68.7")
    assert c.dose_mg == D("34.35")


def test_adjusted_basis() -> None:
    c = calc(weight_kg=80, height_cm=178, sex="female", weight_basis="adjusted", concentration_mg_per_ml=10)
    # 68.7 + 0.4 x (80 - 68.7) = 73.22 -> 73.2
    assert c.dosing_weight_kg == D("73.2")
    assert c.dose_mg == D("36.6")
    assert c.drug_volume_ml == D("3.66")
    assert str(c.rate_ml_per_h) == "155.5"


@pytest.mark.parametrize("basis", ["ideal", "adjusted"])
def test_derived_weight_never_exceeds_actual(basis: Any) -> None:
    c = calc(weight_kg=55, height_cm=185, sex="male", weight_basis=basis)
    assert c.ideal_body_weight_kg is not None and c.ideal_body_weight_kg > 55
    assert c.dosing_weight_kg == 55


def test_actual_weight_rounded_to_configured_step() -> None:
    assert calc(weight_kg=80.25).dosing_weight_kg == D("80.3")


@pytest.mark.parametrize("missing", ["height_cm", "sex"])
def test_derived_weight_needs_height_and_sex(missing: str) -> None:
    kwargs: dict[str, Any] = {"height_cm": 178, "sex": "female", "weight_basis": "ideal"}
    del kwargs[missing]
    with pytest.raises(InputError) as exc:
        calc(**kwargs)
    assert exc.value.field == missing


def test_obesity_adjustment_when_enabled() -> None:
    p = load_protocol({"dose.obesity_adjustment_enabled": True})
    heavy = calc(p, weight_kg=130, height_cm=180, sex="male")  # BMI 40.1
    assert heavy.weight_basis == "adjusted"
    assert heavy.dosing_weight_kg == D("97.0")  # 75.0 + 0.4 x 55
    lighter = calc(p, weight_kg=100, height_cm=180, sex="male")  # BMI 30.9
    assert lighter.weight_basis == "actual"
    explicit = calc(p, weight_kg=130, height_cm=180, sex="male", weight_basis="actual")
    assert explicit.weight_basis == "actual"
    with pytest.raises(InputError) as exc:
        calc(p, weight_kg=130)
    assert exc.value.field == "height_cm"


def test_obesity_adjustment_off_by_default() -> None:
    assert calc(weight_kg=130, height_cm=180, sex="male").weight_basis == "actual"


# --- guardrails (§6.6): every boundary on both sides -------------------------------------------


@pytest.mark.parametrize(
    ("dose", "expected"),
    [
        (0.09, {"dose_per_kg_below_min": "warning"}),
        (0.1, {}),
        (0.75, {}),
        (0.76, {"dose_per_kg_above_soft_max": "warning"}),
        (1.0, {"dose_per_kg_above_soft_max": "warning"}),
        (1.01, {"dose_per_kg_above_hard_max": "hard_stop"}),
    ],
)
def test_dose_per_kg_limits(dose: float, expected: dict[str, str]) -> None:
    c = calc(weight_kg=50, dose_mg_per_kg=dose)  # 50 kg keeps the total under 80 mg
    assert codes(c) == expected


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        (160, {}),  # 80 mg
        (160.2, {"total_mg_above_soft_max": "warning"}),  # 80.1 mg
        (200, {"total_mg_above_soft_max": "warning"}),  # 100 mg
        (200.2, {"total_mg_above_hard_max": "hard_stop"}),  # 100.1 mg
    ],
)
def test_total_mg_limits(weight: float, expected: dict[str, str]) -> None:
    assert codes(calc(weight_kg=weight, dose_mg_per_kg=0.5)) == expected


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (40, {}),
        (39.9, {"duration_below_default": "warning"}),
        (30, {"duration_below_default": "warning"}),
        (29.9, {"duration_below_hard_min": "hard_stop"}),
        (60, {}),
    ],
)
def test_duration_limits(minutes: float, expected: dict[str, str]) -> None:
    assert codes(calc(duration_minutes=minutes)) == expected


@pytest.mark.parametrize(
    ("dose", "previous", "expected"),
    [
        (0.6, 0.5, {}),  # +0.1 exactly (no float surprise)
        (0.61, 0.5, {"dose_increase_above_step": "warning"}),
        (0.75, 0.5, {"dose_increase_above_step": "warning"}),  # +0.25 exactly
        (0.76, 0.5, {"dose_increase_above_hard_max": "hard_stop", "dose_per_kg_above_soft_max": "warning"}),
        (0.3, 0.5, {}),  # lowering is always allowed
        (0.7, 0.6, {}),
    ],
)
def test_titration_limits(dose: float, previous: float, expected: dict[str, str]) -> None:
    assert codes(calc(weight_kg=50, dose_mg_per_kg=dose, previous_dose_mg_per_kg=previous)) == expected


def test_hard_stops_listed_first() -> None:
    c = calc(weight_kg=50, dose_mg_per_kg=0.76, previous_dose_mg_per_kg=0.5)
    assert [f.severity for f in c.findings] == ["hard_stop", "warning"]
    assert c.has_hard_stop and c.needs_acknowledgement


@pytest.mark.parametrize(
    ("conc", "bag", "mode", "expected"),
    [
        (100, 0, "drug_added", {"undiluted_100mg_ml": "hard_stop"}),
        (100, 100, "drug_added", {}),
        (50, 0, "drug_added", {}),
        (10, 0, "drug_added", {}),
        (100, 0.4, "made_up_to", {"undiluted_100mg_ml": "hard_stop"}),  # made up to its own volume
        (100, 40, "made_up_to", {}),
        (25, 100, "drug_added", {"concentration_not_allowed": "hard_stop"}),
    ],
)
def test_preparation_limits(conc: float, bag: float, mode: Any, expected: dict[str, str]) -> None:
    assert codes(calc(concentration_mg_per_ml=conc, bag_volume_ml=bag, volume_mode=mode)) == expected


def test_undiluted_allowed_by_setting() -> None:
    p = load_protocol({"dose.undiluted_100mg_ml_iv_allowed": True})
    assert codes(calc(p, concentration_mg_per_ml=100, bag_volume_ml=0)) == {}


def test_allowed_concentrations_from_setting() -> None:
    p = load_protocol({"dose.vial_conc_mg_per_ml_allowed": [10]})
    assert codes(calc(p, concentration_mg_per_ml=50)) == {"concentration_not_allowed": "hard_stop"}


@pytest.mark.parametrize(("days", "expected"), [(0, {}), (30, {}), (31, {"dosing_weight_out_of_date": "warning"})])
def test_weight_age(days: int, expected: dict[str, str]) -> None:
    assert codes(calc(weight_measured_days_ago=days)) == expected


@pytest.mark.parametrize(
    ("weight", "rate", "expected"),
    [
        (100, 0.25, {}),  # 25 mg/h exactly: not above the cap
        (100.1, 0.25, {"pain_rate_capped": "warning"}),
        (70, 2.0, {"pain_rate_capped": "warning"}),  # 2 mg/kg/h exactly: not above the hard limit
        (70, 2.01, {"pain_rate_above_hard_max": "hard_stop", "pain_rate_capped": "warning"}),
        (10, 2.5, {"pain_rate_above_hard_max": "hard_stop"}),  # 25 mg/h: hard limit is per kg
    ],
)
def test_pain_rate_limits(weight: float, rate: float, expected: dict[str, str]) -> None:
    c = calc(indication_kind="pain", weight_kg=weight, rate_mg_per_kg_h=rate)
    assert codes(c) == expected
    assert c.dose_rate_mg_per_h <= 25


def test_pain_rate_not_capped_on_request() -> None:
    c = calc(indication_kind="pain", weight_kg=90, rate_mg_per_kg_h=0.35, apply_pain_rate_cap=False)
    assert codes(c) == {"pain_rate_above_soft_max": "warning"}
    assert c.dose_rate_mg_per_h == D("31.5")
    assert c.dose_mg == D("126.0")


@pytest.mark.parametrize(("bolus", "expected"), [(0.35, {}), (0.36, {"pain_bolus_above_max": "hard_stop"})])
def test_pain_bolus_limit(bolus: float, expected: dict[str, str]) -> None:
    c = calc(indication_kind="pain", weight_kg=70, bolus_mg_per_kg=bolus)
    assert codes(c) == expected
    assert c.bolus_mg == D(str(bolus)) * 70


def test_mood_limits_do_not_apply_to_pain() -> None:
    # 70 kg x 0.35 x 4 h = 98 mg, above the 80 mg mood soft limit: not a mood order
    assert codes(calc(indication_kind="pain", weight_kg=70)) == {}


def test_finding_payload() -> None:
    c = calc(weight_kg=50, dose_mg_per_kg=1.2)
    f = c.findings[0]
    assert f.override == "cosign_with_reason"
    assert f.value == D("1.2") and f.limit == D("1.0")
    assert "1.2 mg/kg" in f.message and "co-sign" in f.message
    d = f.to_dict()
    assert d["severity"] == "hard_stop" and d["value"] == 1.2


# --- invalid input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"weight_kg": 0}, "weight_kg"),
        ({"weight_kg": -5}, "weight_kg"),
        ({"weight_kg": float("nan")}, "weight_kg"),
        ({"concentration_mg_per_ml": 0}, "concentration_mg_per_ml"),
        ({"bag_volume_ml": -1}, "bag_volume_ml"),
        ({"dose_mg_per_kg": 0}, "dose_mg_per_kg"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"weight_measured_days_ago": -1}, "weight_measured_days_ago"),
        ({"weight_basis": "lean"}, "weight_basis"),
        ({"indication_kind": "sleep"}, "indication_kind"),
        ({"volume_mode": "withdraw"}, "volume_mode"),
        ({"sex": "unknown"}, "sex"),
        ({"rate_mg_per_kg_h": 0.35}, "rate_mg_per_kg_h"),  # pain field on a mood order
        ({"indication_kind": "pain", "dose_mg_per_kg": 0.5}, "dose_mg_per_kg"),
        ({"volume_mode": "made_up_to", "bag_volume_ml": 0.5}, "bag_volume_ml"),  # less than 0.8 mL of drug
        ({"height_cm": 20, "weight_basis": "ideal", "sex": "male"}, "height_cm"),
    ],
)
def test_invalid_input(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as exc:
        calc(**kwargs)
    assert exc.value.field == field


def test_decimal_inputs_accepted() -> None:
    c = calculate_dose(DoseOrderInput(weight_kg=D("80"), concentration_mg_per_ml=D("50"), bag_volume_ml=D("100"),
                                      dose_mg_per_kg=D("0.5")), P)
    assert c.rate_ml_per_h == D("151.2")


def test_to_dict_has_contract_keys() -> None:
    d = calc().to_dict()
    for key in ("dosing_weight_kg", "dose_mg", "drug_volume_ml", "total_volume_ml", "final_concentration_mg_per_ml",
                "rate_ml_per_h", "findings", "vtbi_ml", "dose_rate_mg_per_kg_h"):
        assert key in d
    assert d["rate_ml_per_h"] == 151.2


# --- properties ---------------------------------------------------------------------------------

weights = st.decimals(min_value=30, max_value=250, places=1)
doses = st.decimals(min_value=D("0.05"), max_value=3, places=3)
minutes = st.integers(min_value=5, max_value=240)
bags = st.sampled_from([0, 50, 100, 250, 500])
concs = st.sampled_from([10, 50, 100])


def mood(weight: Decimal, dose: Decimal, duration: int, bag: int, conc: int) -> DoseCalculation:
    return calculate_dose(DoseOrderInput(weight_kg=weight, dose_mg_per_kg=dose, duration_minutes=duration,
                                         bag_volume_ml=bag, concentration_mg_per_ml=conc), P)


@settings(max_examples=300)
@given(weights, doses, minutes, bags, concs)
def test_rate_times_duration_matches_total_volume(weight: Decimal, dose: Decimal, duration: int, bag: int,
                                                  conc: int) -> None:
    c = mood(weight, dose, duration, bag, conc)
    half_step = D(str(P.dose.pump_rate_round_ml_h)) / 2
    # |rate x duration / 60 - total| <= half a rounding step x duration / 60, multiplied out to stay exact
    assert abs(c.rate_ml_per_h * duration - c.total_volume_ml * 60) <= half_step * duration
    assert c.total_volume_ml == c.diluent_volume_ml + c.drug_volume_ml


@settings(max_examples=300)
@given(weights, doses, doses, minutes, bags, concs)
def test_more_dose_never_lowers_rate(weight: Decimal, d1: Decimal, d2: Decimal, duration: int, bag: int,
                                     conc: int) -> None:
    lo, hi = sorted((d1, d2))
    assert mood(weight, lo, duration, bag, conc).rate_ml_per_h <= mood(weight, hi, duration, bag, conc).rate_ml_per_h


SEVERITY_RANK = {"warning": 1, "hard_stop": 2}


def worst(c: DoseCalculation) -> int:
    return max((SEVERITY_RANK[f.severity] for f in c.findings), default=0)


@settings(max_examples=300)
@given(weights, st.decimals(min_value=D("0.1"), max_value=3, places=3),
       st.decimals(min_value=D("0.1"), max_value=3, places=3), st.none() | st.decimals(min_value=0, max_value=1,
                                                                                          places=2))
def test_findings_severity_monotone_in_dose(weight: Decimal, d1: Decimal, d2: Decimal,
                                            previous: Decimal | None) -> None:
    # Above the minimum dose (below it there is a "too low" warning by design), a larger dose never
    # produces a milder worst finding.
    lo, hi = sorted((d1, d2))
    inp = DoseOrderInput(weight_kg=weight, concentration_mg_per_ml=50, previous_dose_mg_per_kg=previous)
    low = calculate_dose(replace(inp, dose_mg_per_kg=lo), P)
    high = calculate_dose(replace(inp, dose_mg_per_kg=hi), P)
    assert worst(low) <= worst(high)


@settings(max_examples=200)
@given(weights, st.decimals(min_value=D("0.05"), max_value=3, places=2))
def test_pain_rate_never_above_cap_when_capping(weight: Decimal, rate: Decimal) -> None:
    c = calculate_dose(DoseOrderInput(weight_kg=weight, concentration_mg_per_ml=50, indication_kind="pain",
                                      rate_mg_per_kg_h=rate), P)
    assert c.dose_rate_mg_per_h <= D(str(P.dose.pain_rate_mg_per_h_soft_max))
    assert c.dose_mg == c.dose_rate_mg_per_h * c.duration_minutes / 60
