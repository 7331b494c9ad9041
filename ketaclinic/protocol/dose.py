"""Dose order, pump rate and dose guardrails (clinical-reference.md §6.2-§6.6).

Pure Python, no Django. The infusion app builds a `DoseOrderInput`, calls
`calculate_dose(inp, protocol)` and stores the returned `DoseCalculation` on the DoseOrder;
`ketaclinic protocol dose` does the same with JSON (see `cli`).

Arithmetic is done in `decimal.Decimal` and rounded half-up to the configured steps, so the
worked examples of §6.5 come out exactly (151.2 mL/h, 156.0 mL/h …):

    dosing_weight_kg   = weight on the chosen basis, rounded to dose.dosing_weight_round_kg
    dose_mg            = dose_mg_per_kg * dosing_weight_kg              (mood)
                       = min(rate_mg_per_kg_h * weight, cap) * hours     (pain, cap = 25 mg/h)
    drug_volume_ml     = dose_mg / vial concentration, rounded to dose.drug_volume_round_ml
    total_volume_ml    = bag volume + drug volume  (drug added, nothing withdrawn; default)
                       = bag volume                (volume_mode "made_up_to": the clinic withdraws
                                                    an equal volume first, or makes a syringe up to volume)
    final_conc_mg_ml   = dose_mg / total_volume_ml  (informational, 0.001 mg/mL)
    rate_ml_per_h      = total_volume_ml * 60 / duration_min, rounded to dose.pump_rate_round_ml_h
    VTBI               = total_volume_ml  (program the pump with VTBI, never "infuse until empty")

The rate is computed from the volume actually drawn up (the rounded drug volume).

Guardrail findings (`DoseFinding.code`; §6.6). Severity `warning` = soft limit: the prescriber
acknowledges with a reason. Severity `hard_stop` = hard limit: blocked unless a second licensed
user co-signs with a reason. At most one finding per check (the hard one wins).

    dose_per_kg_above_soft_max     warning    mood mg/kg > dose.mood_dose_mg_per_kg_soft_max
    dose_per_kg_above_hard_max     hard_stop  mood mg/kg > dose.mood_dose_mg_per_kg_hard_max
    dose_per_kg_below_min          warning    mood mg/kg < dose.mood_dose_mg_per_kg_min
    total_mg_above_soft_max        warning    mood total mg > dose.mood_dose_total_mg_soft_max
    total_mg_above_hard_max        hard_stop  mood total mg > dose.mood_dose_total_mg_hard_max
    duration_below_default         warning    mood minutes < dose.mood_infusion_min_default
    duration_below_hard_min        hard_stop  mood minutes < dose.mood_infusion_min_hard_min
    dose_increase_above_step       warning    mg/kg - previous > dose.titration_step_mg_per_kg
    dose_increase_above_hard_max   hard_stop  mg/kg - previous > dose.titration_step_hard_max_mg_per_kg
    pain_rate_capped               warning    pain mg/h above dose.pain_rate_mg_per_h_soft_max, capped to it
    pain_rate_above_soft_max       warning    same, when the order asks not to cap (apply_pain_rate_cap false)
    pain_rate_above_hard_max       hard_stop  pain mg/kg/h > dose.pain_rate_mg_per_kg_h_hard_max
    pain_bolus_above_max           hard_stop  bolus mg/kg > dose.pain_bolus_mg_per_kg_max
    undiluted_100mg_ml             hard_stop  100 mg/mL vial with no diluent, unless
                                              dose.undiluted_100mg_ml_iv_allowed
    concentration_not_allowed      hard_stop  vial strength not in dose.vial_conc_mg_per_ml_allowed
    dosing_weight_out_of_date      warning    weight_measured_days_ago > dose.dosing_weight_max_age_days

Dosing weight (§6.3): basis `actual` (default, dose.dosing_weight_basis), `ideal` (Devine) or
`adjusted` (IBW + dose.adjusted_weight_factor * (actual - IBW)). When the order gives no basis and
dose.obesity_adjustment_enabled is on, BMI ≥ dose.obesity_adjusted_weight_bmi switches an
`actual` default to `adjusted`. A derived weight never exceeds the measured weight: for a patient
lighter than their ideal weight, `ideal` and `adjusted` both dose on the actual weight.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal, cast

from ketaclinic.protocol.config import Dose, Protocol
from ketaclinic.protocol.errors import InputError

Severity = Literal["warning", "hard_stop"]
WeightBasis = Literal["actual", "ideal", "adjusted"]
IndicationKind = Literal["mood", "pain"]
VolumeMode = Literal["drug_added", "made_up_to"]
Sex = Literal["male", "female"]

WARNING: Severity = "warning"
HARD_STOP: Severity = "hard_stop"

WEIGHT_BASES: tuple[WeightBasis, ...] = ("actual", "ideal", "adjusted")
INDICATION_KINDS: tuple[IndicationKind, ...] = ("mood", "pain")
VOLUME_MODES: tuple[VolumeMode, ...] = ("drug_added", "made_up_to")
SEXES: tuple[Sex, ...] = ("male", "female")

DOSE_PER_KG_ABOVE_SOFT_MAX = "dose_per_kg_above_soft_max"
DOSE_PER_KG_ABOVE_HARD_MAX = "dose_per_kg_above_hard_max"
DOSE_PER_KG_BELOW_MIN = "dose_per_kg_below_min"
TOTAL_MG_ABOVE_SOFT_MAX = "total_mg_above_soft_max"
TOTAL_MG_ABOVE_HARD_MAX = "total_mg_above_hard_max"
DURATION_BELOW_DEFAULT = "duration_below_default"
DURATION_BELOW_HARD_MIN = "duration_below_hard_min"
DOSE_INCREASE_ABOVE_STEP = "dose_increase_above_step"
DOSE_INCREASE_ABOVE_HARD_MAX = "dose_increase_above_hard_max"
PAIN_RATE_CAPPED = "pain_rate_capped"
PAIN_RATE_ABOVE_SOFT_MAX = "pain_rate_above_soft_max"
PAIN_RATE_ABOVE_HARD_MAX = "pain_rate_above_hard_max"
PAIN_BOLUS_ABOVE_MAX = "pain_bolus_above_max"
UNDILUTED_100MG_ML = "undiluted_100mg_ml"
CONCENTRATION_NOT_ALLOWED = "concentration_not_allowed"
DOSING_WEIGHT_OUT_OF_DATE = "dosing_weight_out_of_date"

# Devine ideal body weight (§6.3): base weight at 60 in, plus 2.3 kg per inch above 60 in.
DEVINE_BASE_KG: dict[Sex, Decimal] = {"male": Decimal("50"), "female": Decimal("45.5")}
DEVINE_KG_PER_INCH = Decimal("2.3")
DEVINE_BASE_HEIGHT_IN = Decimal("60")
CM_PER_INCH = Decimal("2.54")

# The strength the Ketalar PI forbids IV without dilution; the key
# dose.undiluted_100mg_ml_iv_allowed names it (§6.4, L).
UNDILUTED_FORBIDDEN_CONC_MG_PER_ML = Decimal("100")

# Display precision of informational values that are not programmed into the pump
# (final concentration, dose rates, session mg/kg); §6.5 example A shows 0.397 mg/mL.
INFO_STEP = Decimal("0.001")

# Input plausibility (rejects typing errors and unit mix-ups); these are not clinical limits.
_WEIGHT_RANGE = (Decimal("1"), Decimal("500"))  # kg
_HEIGHT_RANGE = (Decimal("50"), Decimal("275"))  # cm
_MAX_BAG_ML = Decimal("5000")
_MAX_DURATION_MIN = Decimal("1440")
_MAX_SESSION_H = Decimal("24")
_MAX_CONC_MG_PER_ML = Decimal("1000")
_MAX_DOSE_MG_PER_KG = Decimal("100")

Number = float | Decimal


# ---------------------------------------------------------------------------------------------
# Public data


@dataclass(frozen=True)
class DoseOrderInput:
    """What the prescriber orders. `None` means "use the protocol default".

    Mood orders use `dose_mg_per_kg` and `duration_minutes`; pain orders
    (`indication_kind="pain"`) use `rate_mg_per_kg_h`, `session_hours` and optionally
    `bolus_mg_per_kg`. `sex` and `height_cm` are needed for the ideal/adjusted weight bases.
    """

    weight_kg: Number
    concentration_mg_per_ml: Number
    height_cm: Number | None = None
    sex: Sex | None = None
    weight_basis: WeightBasis | None = None
    indication_kind: IndicationKind = "mood"
    dose_mg_per_kg: Number | None = None
    duration_minutes: Number | None = None
    rate_mg_per_kg_h: Number | None = None
    session_hours: Number | None = None
    apply_pain_rate_cap: bool = True
    bolus_mg_per_kg: Number | None = None
    bag_volume_ml: Number | None = None
    volume_mode: VolumeMode = "drug_added"
    previous_dose_mg_per_kg: Number | None = None
    weight_measured_days_ago: Number | None = None


@dataclass(frozen=True)
class DoseFinding:
    """One guardrail result. `value` is what was ordered, `limit` the limit it crossed."""

    code: str
    severity: Severity
    message: str
    value: Decimal | None = None
    limit: Decimal | None = None

    @property
    def override(self) -> str:
        """What lets the order proceed: a reason, or a second licensed user's co-signature."""
        return "acknowledge_with_reason" if self.severity == WARNING else "cosign_with_reason"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "override": self.override,
            "value": _float(self.value),
            "limit": _float(self.limit),
        }


@dataclass(frozen=True)
class DoseCalculation:
    """The computed order. Volumes in mL, rates in mL/h, doses in mg; all Decimal."""

    indication_kind: IndicationKind
    weight_basis: WeightBasis
    actual_weight_kg: Decimal
    ideal_body_weight_kg: Decimal | None
    dosing_weight_kg: Decimal
    dose_mg_per_kg: Decimal
    dose_mg: Decimal
    concentration_mg_per_ml: Decimal
    drug_volume_ml: Decimal
    diluent_volume_ml: Decimal
    total_volume_ml: Decimal
    final_concentration_mg_per_ml: Decimal
    duration_minutes: Decimal
    rate_ml_per_h: Decimal
    dose_rate_mg_per_kg_h: Decimal
    dose_rate_mg_per_h: Decimal
    requested_dose_rate_mg_per_h: Decimal | None
    bolus_mg: Decimal | None
    findings: tuple[DoseFinding, ...]

    @property
    def vtbi_ml(self) -> Decimal:
        """Volume to be infused: always the total volume (bags carry overfill)."""
        return self.total_volume_ml

    @property
    def has_hard_stop(self) -> bool:
        return any(f.severity == HARD_STOP for f in self.findings)

    @property
    def needs_acknowledgement(self) -> bool:
        return bool(self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "indication_kind": self.indication_kind,
            "weight_basis": self.weight_basis,
            "actual_weight_kg": _float(self.actual_weight_kg),
            "ideal_body_weight_kg": _float(self.ideal_body_weight_kg),
            "dosing_weight_kg": _float(self.dosing_weight_kg),
            "dose_mg_per_kg": _float(self.dose_mg_per_kg),
            "dose_mg": _float(self.dose_mg),
            "concentration_mg_per_ml": _float(self.concentration_mg_per_ml),
            "drug_volume_ml": _float(self.drug_volume_ml),
            "diluent_volume_ml": _float(self.diluent_volume_ml),
            "total_volume_ml": _float(self.total_volume_ml),
            "vtbi_ml": _float(self.vtbi_ml),
            "final_concentration_mg_per_ml": _float(self.final_concentration_mg_per_ml),
            "duration_minutes": _float(self.duration_minutes),
            "rate_ml_per_h": _float(self.rate_ml_per_h),
            "dose_rate_mg_per_kg_h": _float(self.dose_rate_mg_per_kg_h),
            "dose_rate_mg_per_h": _float(self.dose_rate_mg_per_h),
            "requested_dose_rate_mg_per_h": _float(self.requested_dose_rate_mg_per_h),
            "bolus_mg": _float(self.bolus_mg),
            "has_hard_stop": self.has_hard_stop,
            "findings": [f.to_dict() for f in self.findings],
        }


# ---------------------------------------------------------------------------------------------
# Helpers


def to_decimal(value: Number | int) -> Decimal:
    """Exact decimal of a number as written (0.1 → Decimal("0.1"), not the binary float)."""
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def round_to_step(value: Decimal, step: Number | int) -> Decimal:
    """Round half-up to a multiple of `step` (0.1 → one decimal place)."""
    s = to_decimal(step)
    return ((value / s).to_integral_value(rounding=ROUND_HALF_UP) * s).quantize(s)


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _fmt(value: Decimal) -> str:
    """Plain text for messages: 0.80 → 0.8, 100.00 → 100."""
    text = format(value.normalize(), "f")
    return text


def ideal_body_weight_kg(height_cm: Number | int, sex: Sex, *, step: Number | None = None) -> Decimal:
    """Devine ideal body weight: 50 kg (male) / 45.5 kg (female) + 2.3 kg per inch over 60 in.

    Below 60 in (152.4 cm) there is no negative adjustment: the result is the base weight.
    Rounded half-up to `step` when given (calculate_dose uses dose.dosing_weight_round_kg).
    """
    if sex not in DEVINE_BASE_KG:
        raise InputError("sex", "must be 'male' or 'female' for the Devine ideal body weight")
    inches = to_decimal(height_cm) / CM_PER_INCH
    over = max(Decimal(0), inches - DEVINE_BASE_HEIGHT_IN)
    ibw = DEVINE_BASE_KG[sex] + DEVINE_KG_PER_INCH * over
    return ibw if step is None else round_to_step(ibw, step)


def adjusted_body_weight_kg(actual_kg: Number | int, ideal_kg: Number | int, factor: Number | int) -> Decimal:
    """AdjBW = IBW + factor * (actual - IBW); factor is dose.adjusted_weight_factor (0.4)."""
    ideal = to_decimal(ideal_kg)
    return ideal + to_decimal(factor) * (to_decimal(actual_kg) - ideal)


def body_mass_index(weight_kg: Number | int, height_cm: Number | int) -> Decimal:
    metres = to_decimal(height_cm) / 100
    return to_decimal(weight_kg) / (metres * metres)


def _check_number(
    name: str, value: Number | int | None, lo: Decimal, hi: Decimal, *, lo_inclusive: bool = True
) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise InputError(name, f"must be a number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(name, "must be a finite number")
    if isinstance(value, Decimal) and not value.is_finite():
        raise InputError(name, "must be a finite number")
    d = to_decimal(value)
    too_low = d < lo if lo_inclusive else d <= lo
    if too_low:
        raise InputError(name, f"must be {'at least' if lo_inclusive else 'more than'} {_fmt(lo)}, got {value}")
    if d > hi:
        raise InputError(name, f"must be at most {_fmt(hi)}, got {value}")
    return d


def _required_number(
    name: str, value: Number | int | None, lo: Decimal, hi: Decimal, *, lo_inclusive: bool = True
) -> Decimal:
    checked = _check_number(name, value, lo, hi, lo_inclusive=lo_inclusive)
    if checked is None:
        raise InputError(name, "is required")
    return checked


def _dosing_weight(
    inp: DoseOrderInput, cfg: Dose, actual: Decimal, height: Decimal | None
) -> tuple[WeightBasis, Decimal | None, Decimal]:
    basis: WeightBasis
    if inp.weight_basis is not None:
        basis = inp.weight_basis
    else:
        basis = cast(WeightBasis, cfg.dosing_weight_basis)
        if cfg.obesity_adjustment_enabled and basis == "actual":
            if height is None:
                raise InputError(
                    "height_cm",
                    f"is needed: this clinic adjusts the dosing weight when BMI ≥ {cfg.obesity_adjusted_weight_bmi}",
                )
            if body_mass_index(actual, height) >= to_decimal(cfg.obesity_adjusted_weight_bmi):
                basis = "adjusted"
    step = cfg.dosing_weight_round_kg
    if basis == "actual":
        return basis, None, round_to_step(actual, step)
    if height is None:
        raise InputError("height_cm", f"is needed for the {basis} body weight")
    if inp.sex is None:
        raise InputError("sex", f"is needed ('male' or 'female') for the {basis} body weight")
    ibw = ideal_body_weight_kg(height, inp.sex, step=step)
    if basis == "ideal":
        derived = ibw
    else:
        derived = adjusted_body_weight_kg(actual, ibw, cfg.adjusted_weight_factor)
    return basis, ibw, round_to_step(min(derived, actual), step)


def _validate_choices(inp: DoseOrderInput) -> None:
    if inp.indication_kind not in INDICATION_KINDS:
        raise InputError("indication_kind", f"must be one of {', '.join(INDICATION_KINDS)}")
    if inp.weight_basis is not None and inp.weight_basis not in WEIGHT_BASES:
        raise InputError("weight_basis", f"must be one of {', '.join(WEIGHT_BASES)}")
    if inp.sex is not None and inp.sex not in SEXES:
        raise InputError("sex", "must be 'male' or 'female' (used only for the Devine ideal body weight)")
    if inp.volume_mode not in VOLUME_MODES:
        raise InputError("volume_mode", f"must be one of {', '.join(VOLUME_MODES)}")
    if not isinstance(inp.apply_pain_rate_cap, bool):
        raise InputError("apply_pain_rate_cap", "must be true or false")
    mood_only = ("dose_mg_per_kg", "duration_minutes", "previous_dose_mg_per_kg")
    pain_only = ("rate_mg_per_kg_h", "session_hours", "bolus_mg_per_kg")
    wrong = pain_only if inp.indication_kind == "mood" else mood_only
    for name in wrong:
        if getattr(inp, name) is not None:
            raise InputError(name, f"does not apply to a {inp.indication_kind} order")


# ---------------------------------------------------------------------------------------------
# The calculation


def calculate_dose(inp: DoseOrderInput, protocol: Protocol) -> DoseCalculation:
    """Compute dose, volumes and pump rate for one order and check the §6.6 guardrails.

    Raises InputError(field, message) on invalid input (missing height for a derived weight,
    non-positive numbers, a made-up volume smaller than the drug volume …). Guardrail
    breaches are never errors: they are returned as `findings`.
    """
    cfg = protocol.dose
    _validate_choices(inp)
    zero = Decimal(0)
    actual = _required_number("weight_kg", inp.weight_kg, *_WEIGHT_RANGE)
    height = _check_number("height_cm", inp.height_cm, *_HEIGHT_RANGE)
    conc = _required_number("concentration_mg_per_ml", inp.concentration_mg_per_ml, zero, _MAX_CONC_MG_PER_ML,
                            lo_inclusive=False)
    bag = _check_number("bag_volume_ml", inp.bag_volume_ml, zero, _MAX_BAG_ML)
    age = _check_number("weight_measured_days_ago", inp.weight_measured_days_ago, zero, Decimal(36500))
    if bag is None:
        bag = to_decimal(cfg.diluent_default_ml)

    basis, ibw, weight = _dosing_weight(inp, cfg, actual, height)
    findings: list[DoseFinding] = []
    requested_mg_h: Decimal | None = None
    bolus_mg: Decimal | None = None

    if inp.indication_kind == "mood":
        per_kg = _check_number("dose_mg_per_kg", inp.dose_mg_per_kg, zero, _MAX_DOSE_MG_PER_KG, lo_inclusive=False)
        minutes = _check_number("duration_minutes", inp.duration_minutes, zero, _MAX_DURATION_MIN,
                                lo_inclusive=False)
        previous = _check_number("previous_dose_mg_per_kg", inp.previous_dose_mg_per_kg, zero, _MAX_DOSE_MG_PER_KG)
        per_kg = per_kg if per_kg is not None else to_decimal(cfg.mood_dose_mg_per_kg_default)
        minutes = minutes if minutes is not None else to_decimal(cfg.mood_infusion_min_default)
        dose_mg = per_kg * weight
        findings += _mood_findings(cfg, per_kg, dose_mg, minutes, previous)
        dose_rate_per_kg_h = round_to_step(per_kg * 60 / minutes, INFO_STEP)
        dose_rate_mg_h = round_to_step(dose_mg * 60 / minutes, INFO_STEP)
    else:
        rate_per_kg = _check_number("rate_mg_per_kg_h", inp.rate_mg_per_kg_h, zero, _MAX_DOSE_MG_PER_KG,
                                    lo_inclusive=False)
        hours = _check_number("session_hours", inp.session_hours, zero, _MAX_SESSION_H, lo_inclusive=False)
        bolus = _check_number("bolus_mg_per_kg", inp.bolus_mg_per_kg, zero, _MAX_DOSE_MG_PER_KG)
        rate_per_kg = rate_per_kg if rate_per_kg is not None else to_decimal(cfg.pain_rate_mg_per_kg_h_default)
        hours = hours if hours is not None else to_decimal(cfg.pain_session_h)
        minutes = hours * 60
        requested_mg_h = rate_per_kg * weight
        mg_h, pain = _pain_findings(cfg, rate_per_kg, requested_mg_h, bolus, inp.apply_pain_rate_cap)
        findings += pain
        dose_mg = mg_h * hours
        per_kg = round_to_step(dose_mg / weight, INFO_STEP)
        dose_rate_per_kg_h = round_to_step(mg_h / weight, INFO_STEP)
        dose_rate_mg_h = mg_h
        if bolus is not None:
            bolus_mg = bolus * weight

    drug_ml = round_to_step(dose_mg / conc, cfg.drug_volume_round_ml)
    if drug_ml <= 0:
        raise InputError("dose_mg_per_kg", "gives a drug volume too small to draw up at this vial strength")
    if inp.volume_mode == "drug_added":
        diluent_ml = bag
        total_ml = bag + drug_ml
    else:
        if bag < drug_ml:
            raise InputError("bag_volume_ml",
                             f"the made-up volume is smaller than the drug volume ({_fmt(drug_ml)} mL)")
        diluent_ml = bag - drug_ml
        total_ml = bag
    final_conc = round_to_step(dose_mg / total_ml, INFO_STEP)
    rate = round_to_step(total_ml * 60 / minutes, cfg.pump_rate_round_ml_h)
    findings += _preparation_findings(cfg, conc, diluent_ml, age)

    findings.sort(key=lambda f: f.severity != HARD_STOP)
    return DoseCalculation(
        indication_kind=inp.indication_kind,
        weight_basis=basis,
        actual_weight_kg=actual,
        ideal_body_weight_kg=ibw,
        dosing_weight_kg=weight,
        dose_mg_per_kg=per_kg,
        dose_mg=dose_mg,
        concentration_mg_per_ml=conc,
        drug_volume_ml=drug_ml,
        diluent_volume_ml=diluent_ml,
        total_volume_ml=total_ml,
        final_concentration_mg_per_ml=final_conc,
        duration_minutes=minutes,
        rate_ml_per_h=rate,
        dose_rate_mg_per_kg_h=dose_rate_per_kg_h,
        dose_rate_mg_per_h=dose_rate_mg_h,
        requested_dose_rate_mg_per_h=requested_mg_h,
        bolus_mg=bolus_mg,
        findings=tuple(findings),
    )


_SOFT = "a reason is required to go ahead"
_HARD = "blocked unless a second licensed user co-signs with a reason"


def _mood_findings(
    cfg: Dose, per_kg: Decimal, dose_mg: Decimal, minutes: Decimal, previous: Decimal | None
) -> list[DoseFinding]:
    out: list[DoseFinding] = []
    soft, hard, low = (to_decimal(v) for v in (cfg.mood_dose_mg_per_kg_soft_max, cfg.mood_dose_mg_per_kg_hard_max,
                                               cfg.mood_dose_mg_per_kg_min))
    if per_kg > hard:
        out.append(DoseFinding(DOSE_PER_KG_ABOVE_HARD_MAX, HARD_STOP,
                               f"Dose {_fmt(per_kg)} mg/kg is above the hard limit of {_fmt(hard)} mg/kg; {_HARD}.",
                               per_kg, hard))
    elif per_kg > soft:
        out.append(DoseFinding(DOSE_PER_KG_ABOVE_SOFT_MAX, WARNING,
                               f"Dose {_fmt(per_kg)} mg/kg is above the usual maximum of {_fmt(soft)} mg/kg; {_SOFT}.",
                               per_kg, soft))
    elif per_kg < low:
        out.append(DoseFinding(DOSE_PER_KG_BELOW_MIN, WARNING,
                               f"Dose {_fmt(per_kg)} mg/kg is below the lowest tested dose of {_fmt(low)} mg/kg; "
                               f"{_SOFT}.", per_kg, low))

    soft_mg, hard_mg = to_decimal(cfg.mood_dose_total_mg_soft_max), to_decimal(cfg.mood_dose_total_mg_hard_max)
    if dose_mg > hard_mg:
        out.append(DoseFinding(TOTAL_MG_ABOVE_HARD_MAX, HARD_STOP,
                               f"Total dose {_fmt(dose_mg)} mg is above the hard limit of {_fmt(hard_mg)} mg; {_HARD}.",
                               dose_mg, hard_mg))
    elif dose_mg > soft_mg:
        out.append(DoseFinding(TOTAL_MG_ABOVE_SOFT_MAX, WARNING,
                               f"Total dose {_fmt(dose_mg)} mg is above the usual maximum of {_fmt(soft_mg)} mg; "
                               f"{_SOFT}.", dose_mg, soft_mg))

    default_min, hard_min = to_decimal(cfg.mood_infusion_min_default), to_decimal(cfg.mood_infusion_min_hard_min)
    if minutes < hard_min:
        out.append(DoseFinding(DURATION_BELOW_HARD_MIN, HARD_STOP,
                               f"Infusion over {_fmt(minutes)} min is shorter than the hard minimum of "
                               f"{_fmt(hard_min)} min (a faster infusion raises the risk of breathing problems "
                               f"and blood-pressure rise); {_HARD}.", minutes, hard_min))
    elif minutes < default_min:
        out.append(DoseFinding(DURATION_BELOW_DEFAULT, WARNING,
                               f"Infusion over {_fmt(minutes)} min is shorter than the standard {_fmt(default_min)} "
                               f"min; {_SOFT}.", minutes, default_min))

    if previous is not None:
        step, hard_step = to_decimal(cfg.titration_step_mg_per_kg), to_decimal(cfg.titration_step_hard_max_mg_per_kg)
        rise = per_kg - previous
        if rise > hard_step:
            out.append(DoseFinding(DOSE_INCREASE_ABOVE_HARD_MAX, HARD_STOP,
                                   f"Dose rises by {_fmt(rise)} mg/kg from the previous {_fmt(previous)} mg/kg, more "
                                   f"than the hard limit of +{_fmt(hard_step)} mg/kg; {_HARD}.", rise, hard_step))
        elif rise > step:
            out.append(DoseFinding(DOSE_INCREASE_ABOVE_STEP, WARNING,
                                   f"Dose rises by {_fmt(rise)} mg/kg from the previous {_fmt(previous)} mg/kg, more "
                                   f"than the usual step of +{_fmt(step)} mg/kg; {_SOFT}.", rise, step))
    return out


def _pain_findings(
    cfg: Dose, rate_per_kg: Decimal, requested_mg_h: Decimal, bolus: Decimal | None, apply_cap: bool
) -> tuple[Decimal, list[DoseFinding]]:
    out: list[DoseFinding] = []
    cap = to_decimal(cfg.pain_rate_mg_per_h_soft_max)
    hard = to_decimal(cfg.pain_rate_mg_per_kg_h_hard_max)
    mg_h = requested_mg_h
    if rate_per_kg > hard:
        out.append(DoseFinding(PAIN_RATE_ABOVE_HARD_MAX, HARD_STOP,
                               f"Rate {_fmt(rate_per_kg)} mg/kg/h is above the hard limit of {_fmt(hard)} mg/kg/h; "
                               f"{_HARD}.", rate_per_kg, hard))
    if requested_mg_h > cap:
        if apply_cap:
            mg_h = cap
            out.append(DoseFinding(PAIN_RATE_CAPPED, WARNING,
                                   f"{_fmt(rate_per_kg)} mg/kg/h gives {_fmt(requested_mg_h)} mg/h, above the "
                                   f"{_fmt(cap)} mg/h cap; the rate was capped to {_fmt(cap)} mg/h. Check and "
                                   f"acknowledge.", requested_mg_h, cap))
        else:
            out.append(DoseFinding(PAIN_RATE_ABOVE_SOFT_MAX, WARNING,
                                   f"Rate {_fmt(requested_mg_h)} mg/h is above the usual cap of {_fmt(cap)} mg/h; "
                                   f"{_SOFT}.", requested_mg_h, cap))
    if bolus is not None:
        bolus_max = to_decimal(cfg.pain_bolus_mg_per_kg_max)
        if bolus > bolus_max:
            out.append(DoseFinding(PAIN_BOLUS_ABOVE_MAX, HARD_STOP,
                                   f"Bolus {_fmt(bolus)} mg/kg is above the hard limit of {_fmt(bolus_max)} mg/kg; "
                                   f"{_HARD}.", bolus, bolus_max))
    return mg_h, out


def _preparation_findings(cfg: Dose, conc: Decimal, diluent_ml: Decimal, age_days: Decimal | None) -> list[DoseFinding]:
    out: list[DoseFinding] = []
    allowed = tuple(Decimal(v) for v in cfg.vial_conc_mg_per_ml_allowed)
    if conc not in allowed:
        listed = ", ".join(_fmt(a) for a in allowed)
        out.append(DoseFinding(CONCENTRATION_NOT_ALLOWED, HARD_STOP,
                               f"Vial strength {_fmt(conc)} mg/mL is not one this clinic stocks ({listed} mg/mL); "
                               f"{_HARD}.", conc, None))
    if diluent_ml <= 0 and conc >= UNDILUTED_FORBIDDEN_CONC_MG_PER_ML and not cfg.undiluted_100mg_ml_iv_allowed:
        out.append(DoseFinding(UNDILUTED_100MG_ML, HARD_STOP,
                               f"The {_fmt(conc)} mg/mL strength must not be given IV without dilution; add it to a "
                               f"diluent bag; {_HARD}.", conc, UNDILUTED_FORBIDDEN_CONC_MG_PER_ML))
    if age_days is not None:
        max_age = Decimal(cfg.dosing_weight_max_age_days)
        if age_days > max_age:
            out.append(DoseFinding(DOSING_WEIGHT_OUT_OF_DATE, WARNING,
                                   f"The weight was measured {_fmt(age_days)} days ago, more than {_fmt(max_age)} "
                                   f"days; weigh the patient again or give a reason.", age_days, max_age))
    return out


# ---------------------------------------------------------------------------------------------
# Command line: `ketaclinic protocol dose`

_NUMBER_FIELDS = (
    "weight_kg", "concentration_mg_per_ml", "height_cm", "dose_mg_per_kg", "duration_minutes", "rate_mg_per_kg_h",
    "session_hours", "bolus_mg_per_kg", "bag_volume_ml", "previous_dose_mg_per_kg", "weight_measured_days_ago",
)
_TEXT_FIELDS = ("sex", "weight_basis", "indication_kind", "volume_mode")
_BOOL_FIELDS = ("apply_pain_rate_cap",)
_REQUIRED = ("weight_kg", "concentration_mg_per_ml")


def parse_payload(payload: Mapping[str, Any]) -> DoseOrderInput:
    """JSON object → DoseOrderInput. Unknown keys are refused so a misspelt key never
    silently falls back to a default dose."""
    known = set(_NUMBER_FIELDS) | set(_TEXT_FIELDS) | set(_BOOL_FIELDS)
    for key in payload:
        if key not in known:
            raise InputError(str(key), "unknown field")
    for key in _REQUIRED:
        if payload.get(key) is None:
            raise InputError(key, "is required")
    kwargs: dict[str, Any] = {}
    for key in _NUMBER_FIELDS:
        value = payload.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(key, f"must be a number, got {value!r}")
        kwargs[key] = value
    for key in _TEXT_FIELDS:
        value = payload.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InputError(key, f"must be text, got {value!r}")
        kwargs[key] = value
    for key in _BOOL_FIELDS:
        value = payload.get(key)
        if value is None:
            continue
        if not isinstance(value, bool):
            raise InputError(key, f"must be true or false, got {value!r}")
        kwargs[key] = value
    return DoseOrderInput(**kwargs)


def cli(payload: dict[str, Any], protocol: Protocol) -> dict[str, Any]:
    """`ketaclinic protocol dose`: order JSON in, calculation JSON out (see DoseCalculation.to_dict)."""
    return calculate_dose(parse_payload(payload), protocol).to_dict()
