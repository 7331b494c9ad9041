"""Vital-sign and sedation alerts (clinical-reference.md §3.3, §8.2). Pure Python, no Django.

The infusion app calls `assess_vitals(reading, phase, protocol)` for every set of vitals it
records and `assess_rass(level, phase, protocol)` for every RASS check; both return findings
with plain words for the nurse. `ketaclinic protocol vitals` does the same with JSON.

Phases:
- `baseline` (before the infusion starts): blood pressure uses the pre-infusion bands from
  `[blood_pressure]`: >= flag (140/90) warning, repeat after rest; >= hold (160/100) warning on
  a first reading ("rest and recheck, provider decides") and critical when the reading is a
  repeat after rest (`VitalsReading.repeat`); > block (180/100) critical, do not start.
- `infusion` and `recovery`: the during-infusion alerts from `[monitoring]`: systolic > 180 or
  diastolic > 110 critical (pause the pump, recheck, notify the provider).
- Any phase: with `symptoms` (chest pain, dyspnoea, severe headache, vision change, neuro deficit
  or confusion) and systolic > 180 or diastolic > 120: hypertensive emergency (critical).
- Heart rate, SpO2, respiratory rate and RASS use the same thresholds in every phase; only the
  wording of the action changes (before the start "do not start"; in recovery the pump is off).

Severity: `critical` when the pump must be paused or stopped (or the infusion must not start),
`warning` when the nurse acts at the bedside and/or notifies the provider. At most one finding
per vital (the most severe). Findings come critical first.

Finding codes (`VitalFinding.code`):
    bp_preinfusion_flag, bp_preinfusion_hold, bp_preinfusion_block, bp_pause,
    hypertensive_emergency, hr_notify, hr_pause, hr_low, spo2_notify, spo2_pause, spo2_stop,
    rr_notify, rr_stop, rass_stop, rass_pause
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ketaclinic.protocol.config import Protocol
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.scales import rass_label, validate_rass

Phase = Literal["baseline", "infusion", "recovery"]
VitalSeverity = Literal["warning", "critical"]
PHASES: tuple[Phase, ...] = ("baseline", "infusion", "recovery")
WARNING: VitalSeverity = "warning"
CRITICAL: VitalSeverity = "critical"

BLOOD_PRESSURE = "blood_pressure"
HEART_RATE = "heart_rate"
SPO2 = "spo2"
RESPIRATORY_RATE = "respiratory_rate"
RASS = "rass"

# What a monitor or a cuff can report. Values outside are typing or device errors (exit 2),
# never "normal": anything inside, however extreme, is assessed and alerts.
PLAUSIBLE_RANGES: dict[str, tuple[float, float]] = {
    "systolic": (30, 350),
    "diastolic": (10, 250),
    "heart_rate": (0, 350),
    "spo2": (0, 100),
    "respiratory_rate": (0, 100),
}


@dataclass(frozen=True)
class VitalsReading:
    """One set of vitals; every item optional. Validated on creation (InputError).

    `symptoms`: the patient has chest pain, dyspnoea, severe headache, vision change, a neuro
    deficit or confusion. `repeat`: this BP was re-measured after the rest period (baseline only).
    `rass`: optional RASS level taken with the vitals.
    """

    systolic: float | None = None
    diastolic: float | None = None
    heart_rate: float | None = None
    spo2: float | None = None
    respiratory_rate: float | None = None
    symptoms: bool = False
    repeat: bool = False
    rass: int | None = None

    def __post_init__(self) -> None:
        for name, (lo, hi) in PLAUSIBLE_RANGES.items():
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise InputError(name, f"must be a number, got {value!r}")
            if not lo <= value <= hi:
                raise InputError(name, f"must be between {lo:g} and {hi:g}, got {value:g}")
        if self.systolic is not None and self.diastolic is not None and self.systolic <= self.diastolic:
            raise InputError("systolic", f"must be higher than diastolic ({self.systolic:g} <= {self.diastolic:g})")
        for flag in ("symptoms", "repeat"):
            if not isinstance(getattr(self, flag), bool):
                raise InputError(flag, "must be true or false")
        if self.rass is not None:
            validate_rass(self.rass)


@dataclass(frozen=True)
class VitalFinding:
    vital: str
    code: str
    severity: VitalSeverity
    message: str
    action: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "vital": self.vital,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "action": self.action,
        }


def _validate_phase(phase: str) -> Phase:
    for known in PHASES:
        if phase == known:
            return known
    raise InputError("phase", f"must be one of {', '.join(PHASES)}, got {phase!r}")


def _pause(phase: Phase) -> str:
    return {
        "baseline": "Do not start the infusion",
        "infusion": "Pause the pump",
        "recovery": "The infusion has ended; stay with the patient",
    }[phase]


def _stop(phase: Phase) -> str:
    return {
        "baseline": "Do not start the infusion",
        "infusion": "Stop the infusion",
        "recovery": "The infusion has ended; stay with the patient",
    }[phase]


def _gt(value: float | None, limit: float) -> bool:
    return value is not None and value > limit


def _ge(value: float | None, limit: float) -> bool:
    return value is not None and value >= limit


def _lt(value: float | None, limit: float) -> bool:
    return value is not None and value < limit


def _bp_text(r: VitalsReading) -> str:
    s = "?" if r.systolic is None else f"{r.systolic:g}"
    d = "?" if r.diastolic is None else f"{r.diastolic:g}"
    return f"{s}/{d}"


def _blood_pressure(r: VitalsReading, phase: Phase, p: Protocol) -> VitalFinding | None:
    if r.systolic is None and r.diastolic is None:
        return None
    m, bp = p.monitoring, p.blood_pressure
    rest = bp.bp_recheck_rest_min
    text = _bp_text(r)
    if r.symptoms and (_gt(r.systolic, m.alert_sbp_emergency) or _gt(r.diastolic, m.alert_dbp_emergency)):
        return VitalFinding(
            BLOOD_PRESSURE, "hypertensive_emergency", CRITICAL,
            f"Blood pressure {text} with symptoms: possible hypertensive emergency.",
            f"{_stop(phase)}. Start the emergency pathway and call the provider now.",
        )
    if phase == "baseline":
        if _gt(r.systolic, bp.bp_preinfusion_block_systolic) or _gt(r.diastolic, bp.bp_preinfusion_block_diastolic):
            return VitalFinding(
                BLOOD_PRESSURE, "bp_preinfusion_block", CRITICAL,
                f"Blood pressure {text} is above {bp.bp_preinfusion_block_systolic}/"
                f"{bp.bp_preinfusion_block_diastolic} before the infusion.",
                "Do not start the infusion. Notify the provider.",
            )
        if _ge(r.systolic, bp.bp_preinfusion_hold_systolic) or _ge(r.diastolic, bp.bp_preinfusion_hold_diastolic):
            limit = f"{bp.bp_preinfusion_hold_systolic}/{bp.bp_preinfusion_hold_diastolic}"
            if r.repeat:
                return VitalFinding(
                    BLOOD_PRESSURE, "bp_preinfusion_hold", CRITICAL,
                    f"Blood pressure {text} is still at or above {limit} after rest.",
                    "Hold: do not start the infusion. The provider decides.",
                )
            return VitalFinding(
                BLOOD_PRESSURE, "bp_preinfusion_hold", WARNING,
                f"Blood pressure {text} is at or above {limit} before the infusion.",
                f"Do not start yet. Let the patient rest {rest} min and recheck; if it stays at or above "
                f"{limit}, the provider decides.",
            )
        if _ge(r.systolic, bp.bp_preinfusion_flag_systolic) or _ge(r.diastolic, bp.bp_preinfusion_flag_diastolic):
            return VitalFinding(
                BLOOD_PRESSURE, "bp_preinfusion_flag", WARNING,
                f"Blood pressure {text} is at or above {bp.bp_preinfusion_flag_systolic}/"
                f"{bp.bp_preinfusion_flag_diastolic} before the infusion.",
                f"Repeat after {rest} min rest; the provider acknowledges before the start.",
            )
        return None
    if _gt(r.systolic, m.alert_sbp_pause) or _gt(r.diastolic, m.alert_dbp_pause):
        return VitalFinding(
            BLOOD_PRESSURE, "bp_pause", CRITICAL,
            f"Blood pressure {text} is above {m.alert_sbp_pause} systolic or {m.alert_dbp_pause} diastolic.",
            f"{_pause(phase)}. Recheck in {rest} min and notify the provider. Ask about chest pain, "
            "breathlessness, severe headache or vision change.",
        )
    return None


def _heart_rate(r: VitalsReading, phase: Phase, p: Protocol) -> VitalFinding | None:
    hr, m = r.heart_rate, p.monitoring
    if hr is None:
        return None
    sustained = m.alert_hr_sustained_min
    if hr > m.alert_hr_pause:
        return VitalFinding(
            HEART_RATE, "hr_pause", CRITICAL, f"Heart rate {hr:g}/min is above {m.alert_hr_pause}.",
            f"If it stays above {m.alert_hr_pause} for {sustained} min: {_pause(phase).lower()} and notify the "
            "provider.",
        )
    if hr < m.alert_hr_low:
        return VitalFinding(
            HEART_RATE, "hr_low", CRITICAL, f"Heart rate {hr:g}/min is below {m.alert_hr_low}.",
            f"{_pause(phase)}. Notify the provider.",
        )
    if hr > m.alert_hr_notify:
        return VitalFinding(
            HEART_RATE, "hr_notify", WARNING, f"Heart rate {hr:g}/min is above {m.alert_hr_notify}.",
            f"If it stays above {m.alert_hr_notify} for {sustained} min, notify the provider.",
        )
    return None


def _spo2(r: VitalsReading, phase: Phase, p: Protocol) -> VitalFinding | None:
    spo2, m = r.spo2, p.monitoring
    if spo2 is None:
        return None
    if spo2 < m.alert_spo2_stop:
        return VitalFinding(
            SPO2, "spo2_stop", CRITICAL, f"Oxygen saturation {spo2:g}% is below {m.alert_spo2_stop}%.",
            f"{_stop(phase)}. Support the airway (jaw thrust, oxygen) and start the emergency pathway.",
        )
    if spo2 < m.alert_spo2_pause:
        return VitalFinding(
            SPO2, "spo2_pause", CRITICAL, f"Oxygen saturation {spo2:g}% is below {m.alert_spo2_pause}%.",
            f"If it stays below {m.alert_spo2_pause}% for more than {m.alert_spo2_pause_after_s} s: "
            f"{_pause(phase).lower()}, give oxygen and notify the provider.",
        )
    if spo2 < m.alert_spo2_notify:
        return VitalFinding(
            SPO2, "spo2_notify", WARNING, f"Oxygen saturation {spo2:g}% is below {m.alert_spo2_notify}%.",
            "Rouse the patient, ask for deep breaths, reposition, and check the probe.",
        )
    return None


def _respiratory_rate(r: VitalsReading, phase: Phase, p: Protocol) -> VitalFinding | None:
    rr, m = r.respiratory_rate, p.monitoring
    if rr is None:
        return None
    if rr < m.alert_rr_stop:
        return VitalFinding(
            RESPIRATORY_RATE, "rr_stop", CRITICAL, f"Breathing rate {rr:g}/min is below {m.alert_rr_stop}.",
            f"{_stop(phase)}. Support the airway and start the emergency pathway.",
        )
    if rr < m.alert_rr_notify:
        return VitalFinding(
            RESPIRATORY_RATE, "rr_notify", WARNING, f"Breathing rate {rr:g}/min is below {m.alert_rr_notify}.",
            "Check how sedated the patient is (RASS) and notify the provider.",
        )
    return None


def assess_rass(level: int, phase: str, protocol: Protocol) -> VitalFinding | None:
    """RASS alert: <= alert_rass_stop_at_or_below (-3) stop, >= alert_rass_pause_at_or_above (+2) pause.

    Returns None when the level needs no action. Raises InputError for a level outside -5..+4
    or an unknown phase.
    """
    checked = validate_rass(level)
    ph = _validate_phase(phase)
    m = protocol.monitoring
    label = rass_label(checked)
    if checked <= m.alert_rass_stop_at_or_below:
        return VitalFinding(
            RASS, "rass_stop", CRITICAL, f"RASS {checked:+d} ({label}).",
            f"{_stop(ph)}. Notify the provider; watch the airway, breathing and oxygen saturation.",
        )
    if checked >= m.alert_rass_pause_at_or_above:
        return VitalFinding(
            RASS, "rass_pause", CRITICAL, f"RASS {checked:+d} ({label}).",
            f"{_pause(ph)}. Calm verbal reassurance, lower the light and noise; the provider considers rescue "
            "medication.",
        )
    return None


def assess_vitals(reading: VitalsReading, phase: str, protocol: Protocol) -> tuple[VitalFinding, ...]:
    """All alerts for one set of vitals in `phase` ("baseline", "infusion" or "recovery").

    Empty tuple when everything is within limits. Raises InputError for an unknown phase.
    """
    ph = _validate_phase(phase)
    found = [
        _blood_pressure(reading, ph, protocol),
        _heart_rate(reading, ph, protocol),
        _spo2(reading, ph, protocol),
        _respiratory_rate(reading, ph, protocol),
        assess_rass(reading.rass, ph, protocol) if reading.rass is not None else None,
    ]
    findings = [f for f in found if f is not None]
    findings.sort(key=lambda f: f.severity != CRITICAL)
    return tuple(findings)


# ---------------------------------------------------------------------------------------------
# Command line: `ketaclinic protocol vitals`

_NUMBER_FIELDS = ("systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate")
_BOOL_FIELDS = ("symptoms", "repeat")


def parse_payload(payload: Mapping[str, Any]) -> tuple[VitalsReading, str]:
    """JSON object → (VitalsReading, phase). Unknown keys are refused."""
    known = {"phase", "rass", *_NUMBER_FIELDS, *_BOOL_FIELDS}
    for key in payload:
        if key not in known:
            raise InputError(str(key), "unknown field")
    phase = payload.get("phase")
    if not isinstance(phase, str):
        raise InputError("phase", f"is required: one of {', '.join(PHASES)}")
    kwargs: dict[str, Any] = {}
    for key in _NUMBER_FIELDS:
        value = payload.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(key, f"must be a number, got {value!r}")
            kwargs[key] = value
    for key in _BOOL_FIELDS:
        value = payload.get(key)
        if value is not None:
            if not isinstance(value, bool):
                raise InputError(key, f"must be true or false, got {value!r}")
            kwargs[key] = value
    if payload.get("rass") is not None:
        kwargs["rass"] = validate_rass(payload["rass"])
    return VitalsReading(**kwargs), phase


def cli(payload: dict[str, Any], protocol: Protocol) -> dict[str, Any]:
    """`ketaclinic protocol vitals`: {"phase": ..., vitals...} → {"findings": [...]}."""
    reading, phase = parse_payload(payload)
    return {"findings": [f.to_dict() for f in assess_vitals(reading, phase, protocol)]}
