"""The protocol defaults load, carry a source each, and reject bad values with the key."""

from __future__ import annotations

import pytest

from ketaclinic.protocol.config import (
    ProtocolConfigError,
    default_protocol,
    load_protocol,
    parse_override_text,
    setting_infos,
)


def test_every_setting_names_its_source_and_basis() -> None:
    for info in setting_infos():
        assert "§" in info.source or "issue" in info.source, info.key
        assert any(tag in info.source for tag in ("E", "C", "UNVERIFIED", "L", "G")), info.key


def test_defaults_match_the_clinical_reference() -> None:
    p = default_protocol()
    bp = p.blood_pressure
    assert (bp.bp_preinfusion_block_systolic, bp.bp_preinfusion_block_diastolic) == (180, 100)
    assert p.preparation.fast_solids_h == 6 and p.preparation.fast_clear_liquids_h == 2
    assert p.dose.mood_dose_mg_per_kg_default == 0.5 and p.dose.mood_dose_mg_per_kg_hard_max == 1.0
    assert p.course.induction_infusions == 6 and p.course.induction_window_days == 21
    assert p.discharge.aldrete_discharge_min == 9 and p.outcomes.crisis_line == "988"


@pytest.mark.parametrize(
    ("overrides", "key", "reason"),
    [
        ({"dose.mood_dose_mg_per_kg_hard_max": "1.0"}, "dose.mood_dose_mg_per_kg_hard_max", "must be a number"),
        ({"dose.mood_dose_mg_per_kg_hard_max": 9}, "dose.mood_dose_mg_per_kg_hard_max", "at most 5"),
        ({"course.induction_infusions": 2.5}, "course.induction_infusions", "whole number"),
        ({"preparation.escort_required": "yes"}, "preparation.escort_required", "true or false"),
        ({"discharge.discharge_score": "vibes"}, "discharge.discharge_score", "must be one of"),
        ({"dose.no_such_key": 1}, "dose.no_such_key", "unknown setting"),
        ({"nosection.key": 1}, "nosection.key", "unknown setting"),
        ({"blood_pressure.bp_preinfusion_hold_systolic": 185}, "blood_pressure.bp_preinfusion_hold_systolic",
         "thresholds must rise"),
        ({"dose.mood_dose_mg_per_kg_soft_max": 1.2}, "dose.mood_dose_mg_per_kg_soft_max", "between"),
        ({"monitoring.alert_spo2_pause": 96}, "monitoring.alert_spo2_pause", "stop ≤ pause ≤ notify"),
        ({"course.maintenance_intervals_days": []}, "course.maintenance_intervals_days", "non-empty list"),
        ({"course.maintenance_intervals_days": [7, 0]}, "course.maintenance_intervals_days[1]", "at least 1"),
    ],
)
def test_bad_values_are_rejected_with_key_and_reason(overrides: dict[str, object], key: str, reason: str) -> None:
    with pytest.raises(ProtocolConfigError) as caught:
        load_protocol(overrides)
    assert caught.value.key == key
    assert reason in caught.value.reason


def test_a_valid_override_changes_only_that_value() -> None:
    p = load_protocol({"preparation.fast_solids_h": 8})
    assert p.preparation.fast_solids_h == 8.0
    assert p.preparation.fast_clear_liquids_h == default_protocol().preparation.fast_clear_liquids_h


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [
        ("preparation.escort_required", "False", False),
        ("course.induction_infusions", "8", 8),
        ("dose.mood_dose_mg_per_kg_soft_max", "0.7", 0.7),
        ("course.maintenance_intervals_days", "7, 14, 28", [7, 14, 28]),
        ("discharge.discharge_score", " both ", "both"),
    ],
)
def test_typed_text_becomes_a_typed_value(key: str, text: str, value: object) -> None:
    assert parse_override_text(key, text) == value


def test_typed_nonsense_is_refused() -> None:
    with pytest.raises(ProtocolConfigError, match="must be a number"):
        parse_override_text("course.induction_infusions", "six")
