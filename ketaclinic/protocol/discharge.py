"""Discharge readiness: modified Aldrete and PADSS (clinical-reference.md §9). Pure Python, no Django.

`assess_discharge(score, components, minutes_since_end, protocol)` scores one scale and says
whether the patient may leave: ready when the total is at least the configured minimum
(`discharge.aldrete_discharge_min` / `discharge.padss_discharge_min`, 9) AND at least
`discharge.observe_min_after_iv` minutes (30) have passed since the infusion ended
(`route="esketamine"` uses `discharge.observe_min_after_esketamine`). `reasons` lists, in plain
words, everything not yet met. Which scale(s) a clinic uses is `discharge.discharge_score`
(`required_scores(protocol)`). Release to a named escort and resolution of dissociation are
recorded by the infusion app, not scored here.

Each component is scored 0, 1 or 2 by the nurse. The `suggest_*` helpers derive a suggested
component score from raw values so the nurse's screen can pre-fill it:

- `suggest_aldrete_circulation(current_systolic, preprocedure_systolic)`: within +/-20% -> 2,
  more than 20% and under 50% -> 1, 50% or more -> 0.
- `suggest_aldrete_oxygen_saturation(spo2, on_oxygen)`: > 92% on room air -> 2; > 90% (on oxygen,
  or 91-92% on room air) -> 1; 90% or less -> 0.
- `suggest_aldrete_activity(limbs_moving)`: 4 -> 2, 2 or 3 -> 1, 0 or 1 -> 0.
- `suggest_padss_vital_signs(current_systolic, preprocedure_systolic, current_hr, preprocedure_hr)`:
  the larger change of BP and (if given) heart rate: within 20% -> 2, up to 40% -> 1, more -> 0.
- `suggest_padss_activity_mental_status(oriented, steady_gait)`,
  `suggest_padss_intake_output(drank, voided)`: one point per criterion met.
- `PADSS_SURGICAL_BLEEDING_DEFAULT` = 2: no procedure, so no surgical bleeding (C).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from ketaclinic.protocol.config import Protocol
from ketaclinic.protocol.errors import InputError

ScoreName = Literal["aldrete", "padss"]
Route = Literal["iv", "esketamine"]
SCORES: tuple[ScoreName, ...] = ("aldrete", "padss")
ROUTES: tuple[Route, ...] = ("iv", "esketamine")

ALDRETE_COMPONENTS: tuple[str, ...] = ("activity", "respiration", "circulation", "consciousness", "oxygen_saturation")
PADSS_COMPONENTS: tuple[str, ...] = (
    "vital_signs", "activity_mental_status", "pain_nausea_vomiting", "surgical_bleeding", "intake_output",
)
COMPONENTS: dict[ScoreName, tuple[str, ...]] = {"aldrete": ALDRETE_COMPONENTS, "padss": PADSS_COMPONENTS}
COMPONENT_MAX = 2
SCORE_LABELS: dict[ScoreName, str] = {"aldrete": "Modified Aldrete score", "padss": "PADSS"}
COMPONENT_LABELS: dict[str, str] = {
    "activity": "activity",
    "respiration": "breathing",
    "circulation": "blood pressure",
    "consciousness": "consciousness",
    "oxygen_saturation": "oxygen saturation",
    "vital_signs": "vital signs",
    "activity_mental_status": "walking and orientation",
    "pain_nausea_vomiting": "pain, nausea or vomiting",
    "surgical_bleeding": "bleeding",
    "intake_output": "drinking and passing urine",
}

# Score bands from the §9 tables (Aldrete 1995; Chung 1995), in percent change from the
# pre-procedure value. Part of the scales' definitions, not clinic settings.
ALDRETE_CIRCULATION_FULL_PCT = Decimal(20)
ALDRETE_CIRCULATION_ZERO_PCT = Decimal(50)
ALDRETE_SPO2_FULL_ABOVE = 92
ALDRETE_SPO2_PARTIAL_ABOVE = 90
PADSS_VITALS_FULL_PCT = Decimal(20)
PADSS_VITALS_PARTIAL_PCT = Decimal(40)
PADSS_SURGICAL_BLEEDING_DEFAULT = 2


@dataclass(frozen=True)
class DischargeAssessment:
    score: ScoreName
    components: Mapping[str, int]
    total: int
    minimum: int
    minutes_since_end: float
    observe_min: int
    ready: bool
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "components": dict(self.components),
            "total": self.total,
            "minimum": self.minimum,
            "minutes_since_infusion_end": self.minutes_since_end,
            "observe_min": self.observe_min,
            "ready": self.ready,
            "reasons": list(self.reasons),
        }


def required_scores(protocol: Protocol) -> tuple[ScoreName, ...]:
    """The scale(s) this clinic requires before discharge (`discharge.discharge_score`)."""
    setting = protocol.discharge.discharge_score
    return SCORES if setting == "both" else tuple(s for s in SCORES if s == setting)


def _validate_score(score: str) -> ScoreName:
    for known in SCORES:
        if score == known:
            return known
    raise InputError("score", f"must be one of {', '.join(SCORES)}, got {score!r}")


def _validate_components(score: ScoreName, components: Mapping[str, Any]) -> dict[str, int]:
    if not isinstance(components, Mapping):
        raise InputError("components", "must be an object of component scores")
    expected = COMPONENTS[score]
    for name in components:
        if name not in expected:
            raise InputError(f"components.{name}", f"is not a {SCORE_LABELS[score]} component "
                                                   f"(expected {', '.join(expected)})")
    checked: dict[str, int] = {}
    for name in expected:
        if name not in components:
            raise InputError(f"components.{name}", "is missing")
        value = components[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= COMPONENT_MAX:
            raise InputError(f"components.{name}", f"must be 0, 1 or 2, got {value!r}")
        checked[name] = value
    return checked


def _minutes(value: Any, field: str = "minutes_since_infusion_end") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(field, f"must be a number of minutes, got {value!r}")
    if value < 0:
        raise InputError(field, f"must not be negative, got {value:g}")
    return float(value)


def assess_discharge(
    score: str, components: Mapping[str, int], minutes_since_end: float, protocol: Protocol, *, route: str = "iv"
) -> DischargeAssessment:
    """Score one discharge scale and decide readiness.

    `score`: "aldrete" or "padss"; `components`: exactly that scale's five components, each 0-2;
    `minutes_since_end`: minutes since the infusion (or esketamine dose) ended. Raises InputError
    on a missing, unknown or out-of-range component, a negative time, or an unknown score/route.
    """
    name = _validate_score(score)
    checked = _validate_components(name, components)
    minutes = _minutes(minutes_since_end)
    if route not in ROUTES:
        raise InputError("route", f"must be one of {', '.join(ROUTES)}, got {route!r}")
    d = protocol.discharge
    minimum = d.aldrete_discharge_min if name == "aldrete" else d.padss_discharge_min
    observe = d.observe_min_after_iv if route == "iv" else d.observe_min_after_esketamine
    total = sum(checked.values())
    reasons: list[str] = []
    if total < minimum:
        low = ", ".join(f"{COMPONENT_LABELS[c]} {v}" for c, v in checked.items() if v < COMPONENT_MAX)
        reasons.append(f"{SCORE_LABELS[name]} is {total}; at least {minimum} is needed (below full marks: {low}).")
    if minutes < observe:
        left = math.ceil(observe - minutes)
        reasons.append(
            f"Only {minutes:g} min since the infusion ended; observe at least {observe} min ({left} min more)."
        )
    return DischargeAssessment(
        score=name,
        components=checked,
        total=total,
        minimum=minimum,
        minutes_since_end=minutes,
        observe_min=observe,
        ready=not reasons,
        reasons=tuple(reasons),
    )


# ---------------------------------------------------------------------------------------------
# Suggested component scores from raw values


def _positive(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise InputError(field, f"must be a number, got {value!r}")
    d = value if isinstance(value, Decimal) else Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not d.is_finite() or d <= 0:
        raise InputError(field, f"must be a positive number, got {value!r}")
    return d


def percent_change(current: float | Decimal, reference: float | Decimal, field: str = "current") -> Decimal:
    """Absolute change of `current` from `reference`, in percent of `reference`."""
    ref = _positive(reference, "reference")
    cur = _positive(current, field)
    return abs(cur - ref) * 100 / ref


def suggest_aldrete_circulation(current_systolic: float, preprocedure_systolic: float) -> int:
    """Aldrete circulation from systolic BP: within +/-20% -> 2; >20% and <50% -> 1; >=50% -> 0."""
    change = percent_change(current_systolic, preprocedure_systolic, "current_systolic")
    if change <= ALDRETE_CIRCULATION_FULL_PCT:
        return 2
    return 1 if change < ALDRETE_CIRCULATION_ZERO_PCT else 0


def suggest_aldrete_oxygen_saturation(spo2: float, on_oxygen: bool) -> int:
    """Aldrete SpO2: > 92% on room air -> 2; > 90% (with oxygen, or 91-92% on air) -> 1; else 0.

    90% exactly scores 0 (the table reads "needs O2 to keep > 90%").
    """
    if isinstance(spo2, bool) or not isinstance(spo2, int | float) or not 0 <= spo2 <= 100:
        raise InputError("spo2", f"must be a percentage from 0 to 100, got {spo2!r}")
    if spo2 > ALDRETE_SPO2_FULL_ABOVE and not on_oxygen:
        return 2
    return 1 if spo2 > ALDRETE_SPO2_PARTIAL_ABOVE else 0


def suggest_aldrete_activity(limbs_moving: int) -> int:
    """Aldrete activity: moves 4 limbs on command -> 2; 2 or 3 -> 1; 0 or 1 -> 0."""
    if isinstance(limbs_moving, bool) or not isinstance(limbs_moving, int) or not 0 <= limbs_moving <= 4:
        raise InputError("limbs_moving", f"must be a whole number from 0 to 4, got {limbs_moving!r}")
    if limbs_moving == 4:
        return 2
    return 1 if limbs_moving >= 2 else 0


def suggest_padss_vital_signs(
    current_systolic: float,
    preprocedure_systolic: float,
    current_hr: float | None = None,
    preprocedure_hr: float | None = None,
) -> int:
    """PADSS vital signs: the larger % change of systolic BP and (if both given) heart rate;
    within 20% -> 2, up to 40% -> 1, more than 40% -> 0."""
    change = percent_change(current_systolic, preprocedure_systolic, "current_systolic")
    if current_hr is not None and preprocedure_hr is not None:
        change = max(change, percent_change(current_hr, preprocedure_hr, "current_hr"))
    if change <= PADSS_VITALS_FULL_PCT:
        return 2
    return 1 if change <= PADSS_VITALS_PARTIAL_PCT else 0


def suggest_padss_activity_mental_status(oriented: bool, steady_gait: bool) -> int:
    """PADSS activity and mental status: oriented x3 and steady gait -> 2; one of them -> 1."""
    return int(bool(oriented)) + int(bool(steady_gait))


def suggest_padss_intake_output(drank: bool, voided: bool) -> int:
    """PADSS intake and output (original version): drank and voided -> 2; one of them -> 1."""
    return int(bool(drank)) + int(bool(voided))


# ---------------------------------------------------------------------------------------------
# Command line: `ketaclinic protocol discharge`


def cli(payload: dict[str, Any], protocol: Protocol) -> dict[str, Any]:
    """`ketaclinic protocol discharge`:
    {"score": "aldrete"|"padss", "components": {...}, "minutes_since_infusion_end": 35, "route"?: "iv"}
    → {"total", "ready", "reasons", "minimum", "observe_min", ...}."""
    known = {"score", "components", "minutes_since_infusion_end", "route"}
    for key in payload:
        if key not in known:
            raise InputError(str(key), "unknown field")
    score = payload.get("score")
    if not isinstance(score, str):
        raise InputError("score", f"is required: one of {', '.join(SCORES)}")
    components = payload.get("components")
    if not isinstance(components, dict):
        raise InputError("components", "is required: an object of component scores (0, 1 or 2)")
    if "minutes_since_infusion_end" not in payload:
        raise InputError("minutes_since_infusion_end", "is required")
    route = payload.get("route", "iv")
    if not isinstance(route, str):
        raise InputError("route", f"must be one of {', '.join(ROUTES)}")
    result = assess_discharge(score, components, payload["minutes_since_infusion_end"], protocol, route=route)
    return result.to_dict()
