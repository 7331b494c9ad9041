"""Protocol settings: the clinic's clinical numbers as typed, frozen, validated values.

`defaults.toml` beside this file holds every default with its source. A clinic's medical
director may override any key; overrides arrive here as a flat mapping of "section.key" to
value and are validated exactly like the defaults. Bad values raise ProtocolConfigError
naming the key and the reason. No Django import (see ARCHITECTURE.md).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, get_type_hints

DEFAULTS_PATH = Path(__file__).with_name("defaults.toml")

SEVERITIES = ("info", "caution", "hold", "contraindicated")


class ProtocolConfigError(ValueError):
    """A protocol setting is missing, unknown, of the wrong type or out of range."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


def _r(lo: float | None = None, hi: float | None = None, unit: str = "") -> dict[str, Any]:
    return {"min": lo, "max": hi, "unit": unit}


def _c(*choices: str) -> dict[str, Any]:
    return {"choices": choices}


@dataclass(frozen=True)
class Eligibility:
    min_age_years: int = field(metadata=_r(0, 120, "years"))
    trd_min_failed_trials: int = field(metadata=_r(1, 10, "trials"))
    trd_bipolar_min_failed_trials: int = field(metadata=_r(1, 10, "trials"))
    adequate_trial_min_weeks: int = field(metadata=_r(1, 26, "weeks"))
    nonresponse_max_reduction_pct: int = field(metadata=_r(1, 100, "%"))
    benzo_flag_diazepam_eq_mg_day: float = field(metadata=_r(0, 200, "mg/day"))
    psychosis_result: str = field(metadata=_c("contraindicated", "hold"))
    pregnancy_result: str = field(metadata=_c("contraindicated", "hold"))


@dataclass(frozen=True)
class BloodPressure:
    bp_preinfusion_flag_systolic: int = field(metadata=_r(90, 250, "mmHg"))
    bp_preinfusion_flag_diastolic: int = field(metadata=_r(50, 150, "mmHg"))
    bp_preinfusion_hold_systolic: int = field(metadata=_r(90, 250, "mmHg"))
    bp_preinfusion_hold_diastolic: int = field(metadata=_r(50, 150, "mmHg"))
    bp_preinfusion_block_systolic: int = field(metadata=_r(90, 250, "mmHg"))
    bp_preinfusion_block_diastolic: int = field(metadata=_r(50, 150, "mmHg"))
    bp_recheck_rest_min: int = field(metadata=_r(1, 60, "min"))


@dataclass(frozen=True)
class Preparation:
    fast_solids_h: float = field(metadata=_r(0, 24, "h"))
    fast_clear_liquids_h: float = field(metadata=_r(0, 24, "h"))
    fast_breast_milk_h: float = field(metadata=_r(0, 24, "h"))
    fast_nonhuman_milk_h: float = field(metadata=_r(0, 24, "h"))
    fast_light_meal_h: float = field(metadata=_r(0, 24, "h"))
    fast_fatty_meal_h: float = field(metadata=_r(0, 24, "h"))
    alcohol_abstinence_h: float = field(metadata=_r(0, 168, "h"))
    recreational_drug_abstinence_h: float = field(metadata=_r(0, 168, "h"))
    caffeine_limit_cups: int = field(metadata=_r(0, 10, "cups"))
    arrive_minutes_early: int = field(metadata=_r(0, 120, "min"))
    escort_required: bool = field(metadata={})
    no_driving_until: str = field(metadata=_c("next_day_after_sleep"))
    ride_confirm_lead_h: float = field(metadata=_r(1, 168, "h"))
    ride_confirm_cutoff_h: float = field(metadata=_r(0, 168, "h"))
    health_update_lead_h: float = field(metadata=_r(1, 336, "h"))
    morning_reminder_before_solids_min: int = field(metadata=_r(0, 720, "min"))
    medication_evening_before_hour: int = field(metadata=_r(12, 23, "h (clock)"))
    medication_morning_of_hour: int = field(metadata=_r(0, 11, "h (clock)"))
    pregnancy_check_each_visit: bool = field(metadata={})


@dataclass(frozen=True)
class Dose:
    mood_dose_mg_per_kg_default: float = field(metadata=_r(0.01, 5, "mg/kg"))
    mood_infusion_min_default: int = field(metadata=_r(5, 480, "min"))
    mood_dose_mg_per_kg_min: float = field(metadata=_r(0, 5, "mg/kg"))
    mood_dose_mg_per_kg_soft_max: float = field(metadata=_r(0.01, 5, "mg/kg"))
    mood_dose_mg_per_kg_hard_max: float = field(metadata=_r(0.01, 5, "mg/kg"))
    mood_dose_total_mg_soft_max: float = field(metadata=_r(1, 1000, "mg"))
    mood_dose_total_mg_hard_max: float = field(metadata=_r(1, 1000, "mg"))
    mood_infusion_min_hard_min: int = field(metadata=_r(1, 480, "min"))
    titration_step_mg_per_kg: float = field(metadata=_r(0, 1, "mg/kg"))
    titration_step_hard_max_mg_per_kg: float = field(metadata=_r(0, 2, "mg/kg"))
    dosing_weight_basis: str = field(metadata=_c("actual", "ideal", "adjusted"))
    dosing_weight_max_age_days: int = field(metadata=_r(0, 365, "days"))
    obesity_adjustment_enabled: bool = field(metadata={})
    obesity_adjusted_weight_bmi: float = field(metadata=_r(20, 80, "kg/m²"))
    adjusted_weight_factor: float = field(metadata=_r(0, 1, ""))
    pain_rate_mg_per_kg_h_default: float = field(metadata=_r(0.01, 10, "mg/kg/h"))
    pain_rate_mg_per_h_soft_max: float = field(metadata=_r(1, 500, "mg/h"))
    pain_rate_mg_per_kg_h_hard_max: float = field(metadata=_r(0.01, 10, "mg/kg/h"))
    pain_bolus_mg_per_kg_max: float = field(metadata=_r(0, 5, "mg/kg"))
    pain_session_h: float = field(metadata=_r(0.5, 24, "h"))
    pain_course_days: int = field(metadata=_r(1, 60, "days"))
    vial_conc_mg_per_ml_allowed: tuple[int, ...] = field(metadata=_r(1, 100, "mg/mL"))
    undiluted_100mg_ml_iv_allowed: bool = field(metadata={})
    diluent_default_ml: int = field(metadata=_r(0, 1000, "mL"))
    pump_rate_round_ml_h: float = field(metadata=_r(0.001, 10, "mL/h"))
    drug_volume_round_ml: float = field(metadata=_r(0.001, 1, "mL"))
    dosing_weight_round_kg: float = field(metadata=_r(0.001, 1, "kg"))


@dataclass(frozen=True)
class Course:
    induction_infusions: int = field(metadata=_r(1, 20, "infusions"))
    induction_window_days: int = field(metadata=_r(1, 90, "days"))
    induction_max_per_7_days: int = field(metadata=_r(1, 7, "infusions"))
    min_hours_between_infusions: float = field(metadata=_r(0, 168, "h"))
    midcourse_review_after_infusion: int = field(metadata=_r(1, 20, ""))
    midcourse_min_improvement_pct: int = field(metadata=_r(0, 100, "%"))
    maintenance_intervals_days: tuple[int, ...] = field(metadata=_r(1, 180, "days"))
    maintenance_worsening_pct: int = field(metadata=_r(0, 100, "%"))
    checkin_min: int = field(metadata=_r(0, 240, "min"))
    infusion_min: int = field(metadata=_r(5, 480, "min"))
    recovery_min: int = field(metadata=_r(0, 480, "min"))
    slot_minutes: int = field(metadata=_r(5, 60, "min"))
    nurse_max_chairs: int = field(metadata=_r(1, 6, "chairs"))
    cancellation_notice_h: int = field(metadata=_r(0, 168, "h"))


@dataclass(frozen=True)
class Monitoring:
    vitals_interval_during_min: int = field(metadata=_r(1, 60, "min"))
    vitals_interval_after_min: int = field(metadata=_r(1, 120, "min"))
    spo2_continuous: bool = field(metadata={})
    rass_interval_min: int = field(metadata=_r(1, 120, "min"))
    cadss_at_min: int = field(metadata=_r(0, 480, "min"))
    alert_sbp_pause: int = field(metadata=_r(100, 260, "mmHg"))
    alert_dbp_pause: int = field(metadata=_r(50, 160, "mmHg"))
    alert_sbp_emergency: int = field(metadata=_r(100, 260, "mmHg"))
    alert_dbp_emergency: int = field(metadata=_r(50, 160, "mmHg"))
    alert_hr_notify: int = field(metadata=_r(60, 220, "bpm"))
    alert_hr_pause: int = field(metadata=_r(60, 220, "bpm"))
    alert_hr_low: int = field(metadata=_r(20, 80, "bpm"))
    alert_spo2_notify: int = field(metadata=_r(70, 100, "%"))
    alert_spo2_pause: int = field(metadata=_r(70, 100, "%"))
    alert_spo2_stop: int = field(metadata=_r(70, 100, "%"))
    alert_rr_notify: int = field(metadata=_r(2, 30, "/min"))
    alert_rr_stop: int = field(metadata=_r(0, 30, "/min"))
    alert_rass_stop_at_or_below: int = field(metadata=_r(-5, 0, "RASS"))
    alert_rass_pause_at_or_above: int = field(metadata=_r(0, 4, "RASS"))
    alert_hr_sustained_min: int = field(metadata=_r(0, 60, "min"))
    alert_spo2_pause_after_s: int = field(metadata=_r(0, 600, "s"))


@dataclass(frozen=True)
class Discharge:
    observe_min_after_iv: int = field(metadata=_r(0, 480, "min"))
    observe_min_after_esketamine: int = field(metadata=_r(0, 480, "min"))
    discharge_score: str = field(metadata=_c("aldrete", "padss", "both"))
    aldrete_discharge_min: int = field(metadata=_r(0, 10, "points"))
    padss_discharge_min: int = field(metadata=_r(0, 10, "points"))


@dataclass(frozen=True)
class Outcomes:
    response_reduction_pct: int = field(metadata=_r(1, 100, "%"))
    partial_response_reduction_pct: int = field(metadata=_r(0, 100, "%"))
    remission_phq9_max: int = field(metadata=_r(0, 27, "points"))
    remission_madrs_max: int = field(metadata=_r(0, 60, "points"))
    remission_qids_max: int = field(metadata=_r(0, 27, "points"))
    remission_gad7_max: int = field(metadata=_r(0, 21, "points"))
    pcl5_provisional_cutoff: int = field(metadata=_r(0, 80, "points"))
    pcl5_meaningful_change: int = field(metadata=_r(0, 80, "points"))
    pcl5_min_response: int = field(metadata=_r(0, 80, "points"))
    pain_response_pct: int = field(metadata=_r(1, 100, "%"))
    pain_response_points: int = field(metadata=_r(0, 10, "points"))
    pain_substantial_pct: int = field(metadata=_r(1, 100, "%"))
    sleep_efficiency_normal_min_pct: int = field(metadata=_r(0, 100, "%"))
    baseline_max_age_days: int = field(metadata=_r(0, 90, "days"))
    relapse_consecutive_assessments: int = field(metadata=_r(1, 10, ""))
    relapse_min_gap_days: int = field(metadata=_r(0, 90, "days"))
    phq9_item9_review_min_score: int = field(metadata=_r(1, 3, "points"))
    phq9_rise_flag_points: int = field(metadata=_r(1, 27, "points"))
    crisis_line: str = field(metadata={})
    emergency_number: str = field(metadata={})
    symptom_urgent_min_severity: int = field(metadata=_r(1, 3, "severity"))
    symptom_new_urgent_min_severity: int = field(metadata=_r(1, 3, "severity"))
    symptom_perceptual_urgent_after_days: int = field(metadata=_r(0, 7, "days"))
    symptom_mood_urgent_min_severity: int = field(metadata=_r(1, 3, "severity"))
    symptom_urinary_urgent_min_severity: int = field(metadata=_r(1, 3, "severity"))
    questionnaire_induction_interval_days: int = field(metadata=_r(1, 28, "days"))
    questionnaire_maintenance_interval_days: int = field(metadata=_r(7, 56, "days"))


@dataclass(frozen=True)
class ControlledSubstances:
    cs_record_retention_years: int = field(metadata=_r(2, 50, "years"))
    cs_inventory_interval_months: int = field(metadata=_r(1, 24, "months"))
    cs_waste_witness_required: bool = field(metadata={})
    cs_form41_for_wastage: bool = field(metadata={})


@dataclass(frozen=True)
class Protocol:
    eligibility: Eligibility
    blood_pressure: BloodPressure
    preparation: Preparation
    dose: Dose
    course: Course
    monitoring: Monitoring
    discharge: Discharge
    outcomes: Outcomes
    controlled_substances: ControlledSubstances


@dataclass(frozen=True)
class SettingInfo:
    """One key's description, for the medical director's settings page."""

    key: str  # "section.name"
    default: Any
    unit: str
    source: str
    type_name: str
    choices: tuple[str, ...] = ()


def _sections() -> dict[str, type]:
    return {f.name: f.type for f in dataclasses.fields(Protocol)}  # type: ignore[misc]


@cache
def _section_types() -> dict[str, type]:
    hints = get_type_hints(Protocol)
    return {name: hints[name] for name in _sections()}


def _coerce(key: str, value: Any, annotation: Any, meta: Mapping[str, Any]) -> Any:
    """Check one value against its declared type and limits; return the stored form."""
    if annotation is bool:
        if not isinstance(value, bool):
            raise ProtocolConfigError(key, f"must be true or false, got {value!r}")
        return value
    if annotation is str:
        if not isinstance(value, str) or not value.strip():
            raise ProtocolConfigError(key, f"must be a non-empty text, got {value!r}")
        choices = meta.get("choices")
        if choices and value not in choices:
            raise ProtocolConfigError(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return value
    if annotation in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ProtocolConfigError(key, f"must be a number, got {value!r}")
        if annotation is int and not float(value).is_integer():
            raise ProtocolConfigError(key, f"must be a whole number, got {value!r}")
        number = int(value) if annotation is int else float(value)
        lo, hi = meta.get("min"), meta.get("max")
        unit = meta.get("unit", "")
        if lo is not None and number < lo:
            raise ProtocolConfigError(key, f"must be at least {lo} {unit}".rstrip())
        if hi is not None and number > hi:
            raise ProtocolConfigError(key, f"must be at most {hi} {unit}".rstrip())
        return number
    if annotation == tuple[int, ...]:
        if not isinstance(value, list | tuple) or not value:
            raise ProtocolConfigError(key, f"must be a non-empty list of whole numbers, got {value!r}")
        return tuple(_coerce(f"{key}[{i}]", v, int, meta) for i, v in enumerate(value))
    raise ProtocolConfigError(key, f"unsupported type {annotation!r}")  # pragma: no cover


def _build_section(section: str, values: Mapping[str, Any]) -> Any:
    cls = _section_types()[section]
    hints = get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    for name in values:
        if name not in known:
            raise ProtocolConfigError(f"{section}.{name}", "unknown setting")
    kwargs = {}
    for name, fld in known.items():
        key = f"{section}.{name}"
        if name not in values:
            raise ProtocolConfigError(key, "missing")
        kwargs[name] = _coerce(key, values[name], hints[name], fld.metadata)
    return cls(**kwargs)


def _check_consistency(p: Protocol) -> None:
    """Cross-key rules: ordered thresholds must stay ordered after any override."""
    bp = p.blood_pressure
    pairs = [
        ("blood_pressure.bp_preinfusion_hold_systolic", bp.bp_preinfusion_flag_systolic,
         bp.bp_preinfusion_hold_systolic, bp.bp_preinfusion_block_systolic),
        ("blood_pressure.bp_preinfusion_hold_diastolic", bp.bp_preinfusion_flag_diastolic,
         bp.bp_preinfusion_hold_diastolic, bp.bp_preinfusion_block_diastolic),
    ]
    for key, flag, hold, block in pairs:
        if not flag <= hold <= block:
            raise ProtocolConfigError(key, f"thresholds must rise: flag {flag} ≤ hold {hold} ≤ block {block}")
    d = p.dose
    if not d.mood_dose_mg_per_kg_min <= d.mood_dose_mg_per_kg_soft_max <= d.mood_dose_mg_per_kg_hard_max:
        raise ProtocolConfigError("dose.mood_dose_mg_per_kg_soft_max",
                                  "must lie between the minimum and the hard maximum")
    if d.mood_dose_total_mg_soft_max > d.mood_dose_total_mg_hard_max:
        raise ProtocolConfigError("dose.mood_dose_total_mg_soft_max", "must not exceed the hard maximum")
    if d.titration_step_mg_per_kg > d.titration_step_hard_max_mg_per_kg:
        raise ProtocolConfigError("dose.titration_step_mg_per_kg", "must not exceed the hard titration limit")
    if d.mood_infusion_min_hard_min > d.mood_infusion_min_default:
        raise ProtocolConfigError("dose.mood_infusion_min_hard_min", "must not exceed the default duration")
    m = p.monitoring
    if not m.alert_spo2_stop <= m.alert_spo2_pause <= m.alert_spo2_notify:
        raise ProtocolConfigError("monitoring.alert_spo2_pause", "must satisfy stop ≤ pause ≤ notify")
    if m.alert_hr_notify > m.alert_hr_pause:
        raise ProtocolConfigError("monitoring.alert_hr_notify", "must not exceed alert_hr_pause")
    if m.alert_rr_stop > m.alert_rr_notify:
        raise ProtocolConfigError("monitoring.alert_rr_stop", "must not exceed alert_rr_notify")
    o = p.outcomes
    if o.partial_response_reduction_pct > o.response_reduction_pct:
        raise ProtocolConfigError("outcomes.partial_response_reduction_pct", "must not exceed response_reduction_pct")
    c = p.course
    if c.induction_max_per_7_days * 24 * 7 < c.min_hours_between_infusions:
        raise ProtocolConfigError("course.min_hours_between_infusions", "leaves no room for the weekly maximum")


@cache
def default_values() -> dict[str, dict[str, Any]]:
    """The parsed defaults.toml, section → key → value."""
    with DEFAULTS_PATH.open("rb") as fh:
        return tomllib.load(fh)


def flatten(values: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return {f"{s}.{k}": v for s, section in values.items() for k, v in section.items()}


def load_protocol(overrides: Mapping[str, Any] | None = None) -> Protocol:
    """Defaults with a clinic's overrides ("section.key" → value) applied and validated."""
    values = {s: dict(v) for s, v in default_values().items()}
    for key, value in (overrides or {}).items():
        section, _, name = key.partition(".")
        if section not in values or not name:
            raise ProtocolConfigError(key, "unknown setting")
        if name not in values[section]:
            raise ProtocolConfigError(key, "unknown setting")
        values[section][name] = value
    unknown = set(values) - set(_sections())
    if unknown:
        raise ProtocolConfigError(sorted(unknown)[0], "unknown section")
    built = {section: _build_section(section, values.get(section, {})) for section in _sections()}
    protocol = Protocol(**built)
    _check_consistency(protocol)
    return protocol


@cache
def default_protocol() -> Protocol:
    return load_protocol()


_COMMENT = re.compile(r"^\s*(\w+)\s*=\s*.*?#\s*(.+?)\s*$")


@cache
def setting_infos() -> tuple[SettingInfo, ...]:
    """Every key with its default, unit and the source named in defaults.toml."""
    sources: dict[str, str] = {}
    section = ""
    for line in DEFAULTS_PATH.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
            continue
        match = _COMMENT.match(line)
        if match and section:
            sources[f"{section}.{match.group(1)}"] = match.group(2)
    infos = []
    types = _section_types()
    for section_name, cls in types.items():
        hints = get_type_hints(cls)
        for fld in dataclasses.fields(cls):
            key = f"{section_name}.{fld.name}"
            hint = hints[fld.name]
            infos.append(
                SettingInfo(
                    key=key,
                    default=default_values()[section_name][fld.name],
                    unit=fld.metadata.get("unit", ""),
                    source=sources.get(key, ""),
                    type_name=getattr(hint, "__name__", "list"),
                    choices=tuple(fld.metadata.get("choices", ())),
                )
            )
    return tuple(infos)


def parse_override_text(key: str, text: str) -> Any:
    """Turn what a person typed on the settings page into a typed value (then validated)."""
    info = next((i for i in setting_infos() if i.key == key), None)
    if info is None:
        raise ProtocolConfigError(key, "unknown setting")
    raw = text.strip()
    if info.type_name == "bool":
        if raw.lower() not in ("true", "false"):
            raise ProtocolConfigError(key, "must be true or false")
        return raw.lower() == "true"
    if info.type_name == "int" or info.type_name == "float":
        try:
            number = float(raw)
        except ValueError:
            raise ProtocolConfigError(key, f"must be a number, got {raw!r}") from None
        return int(number) if number.is_integer() and info.type_name == "int" else number
    if info.type_name == "str":
        return raw
    try:
        return [int(part) for part in raw.replace(" ", "").split(",") if part]
    except ValueError:
        raise ProtocolConfigError(key, "must be whole numbers separated by commas") from None
