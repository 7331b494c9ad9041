"""Eligibility rules for IV ketamine (shared/clinical-reference.md §1-§4, §13).

`assess_eligibility(inp, protocol)` turns a screening (age, ICD-10-CM indications, prior
antidepressant trials, conditions, baseline blood pressure, medications) into findings. Rules
produce findings; a licensed person decides (§1). Each finding has a stable snake_case code, a
severity, a plain message for the provider and the source in the clinical reference.

Severity vocabulary (§1): block → ``contraindicated``; needs provider review → ``hold`` (nothing is
booked or infused until a provider decides) or ``caution`` (a provider acknowledges; treatment may
proceed); flag → ``caution``; info → ``info``.

Status: any ``contraindicated`` → ``ineligible``; else any ``hold`` or ``caution`` →
``needs_review``; else ``eligible``.

Every clinical number comes from the clinic's `Protocol` (`protocol.eligibility`,
`protocol.blood_pressure`). No Django import (ARCHITECTURE.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ketaclinic.protocol.config import Protocol
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.indications import (
    BIPOLAR_KINDS,
    DEPRESSION_KINDS,
    LABELS,
    IndicationKind,
    classify,
    normalize_code,
)
from ketaclinic.protocol.interactions import InteractionReview, Severity, parse_medication_list, review_medications

Status = Literal["eligible", "needs_review", "ineligible"]

SEVERITY_RANK: dict[Severity, int] = {"info": 0, "caution": 1, "hold": 2, "contraindicated": 3}
STATUS_RANK: dict[Status, int] = {"eligible": 0, "needs_review": 1, "ineligible": 2}

# Severity markers resolved from the clinic's protocol settings.
_PSYCHOSIS = "psychosis_result"
_PREGNANCY = "pregnancy_result"


@dataclass(frozen=True)
class Finding:
    """One rule result for the provider."""

    code: str  # stable snake_case identifier
    severity: Severity  # info | caution | hold | contraindicated
    message: str  # plain English for the provider
    source: str  # section and source in clinical-reference.md, or the protocol settings key

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "message": self.message, "source": self.source}


@dataclass(frozen=True)
class ConditionRule:
    severity: str  # a Severity, or _PSYCHOSIS / _PREGNANCY (resolved from protocol.eligibility)
    message: str
    source: str


# The condition vocabulary. Absolute contraindications (§3.1) → contraindicated; relative ones
# (§3.2) → hold when a provider must decide before anything is booked, caution when the provider
# only acknowledges. Conditions that the reference does not name carry a conservative "hold" with
# basis C (clinic convention), explained in their comment.
CONDITIONS: dict[str, ConditionRule] = {
    "uncontrolled_hypertension": ConditionRule(
        "contraindicated",
        "Uncontrolled hypertension: a significant rise in blood pressure would be a serious hazard. "
        "Not eligible until blood pressure is controlled.",
        "§3.1 Swiss ketamine PI (> 180/100 at rest); Ketalar US PI (L)",
    ),
    "aneurysmal_vascular_disease": ConditionRule(
        "contraindicated",
        "Aneurysmal vascular disease (aortic, intracranial or peripheral arteries): absolute contraindication.",
        "§3.1 Spravato PI (L)",
    ),
    "arteriovenous_malformation": ConditionRule(
        "contraindicated", "Arteriovenous malformation: absolute contraindication.", "§3.1 Spravato PI (L)"
    ),
    "intracerebral_hemorrhage_history": ConditionRule(
        "contraindicated", "History of intracerebral haemorrhage: absolute contraindication.", "§3.1 Spravato PI (L)"
    ),
    "ketamine_hypersensitivity": ConditionRule(
        "contraindicated",
        "Hypersensitivity to ketamine, esketamine or an excipient: absolute contraindication.",
        "§3.1 Spravato PI; Ketalar PI (L)",
    ),
    "ketamine_use_disorder": ConditionRule(
        "contraindicated",
        "Active ketamine/PCP (dissociative) use disorder: no serial infusions.",
        "§3.1 ASRA 2018 (G); Spravato PI (L)",
    ),
    "active_psychosis": ConditionRule(
        _PSYCHOSIS,
        "Current psychosis: blocked by default; the clinic may set this to provider review.",
        "§3.1 ACEP; ASRA 2018; Spravato PI (G/L); eligibility.psychosis_result",
    ),
    "schizophrenia": ConditionRule(
        _PSYCHOSIS,
        "Schizophrenia-spectrum disorder: blocked by default; the clinic may set this to provider review.",
        "§3.1 ACEP; ASRA 2018; Spravato PI (G/L); eligibility.psychosis_result",
    ),
    # §3.1 names current psychosis and §3.2 only *past* mania; a current manic episode is at least as
    # serious as past mania, so it follows the (configurable) current-psychosis rule. Basis C.
    "current_mania": ConditionRule(
        _PSYCHOSIS,
        "Current manic or hypomanic episode: handled like current psychosis (blocked by default).",
        "§3.1 psychosis rule applied to current mania (C); §3.2 Spravato PI; eligibility.psychosis_result",
    ),
    "pregnancy": ConditionRule(
        _PREGNANCY,
        "Pregnancy: not recommended, may cause fetal harm; blocked by default.",
        "§3.1 Spravato PI (L); ASRA 2018 relative; eligibility.pregnancy_result",
    ),
    # §3.2 lists unstable angina / significant arrhythmia as relative; the UK SmPC (§3.1, non-US)
    # makes severe coronary or myocardial disease absolute, so this is at least a hold.
    "unstable_cardiac_disease": ConditionRule(
        "hold",
        "Poorly controlled cardiovascular disease (unstable angina, significant arrhythmia): provider review "
        "before anything is booked; baseline ECG. The UK SmPC lists severe coronary or myocardial disease as absolute.",
        "§3.2 Cohen 2018 (G); §3.1 UK Ketalar SmPC (L, non-US)",
    ),
    "recent_myocardial_infarction": ConditionRule(
        "hold",
        "Recent myocardial infarction: provider review before anything is booked; baseline ECG.",
        "§3.2 Cohen 2018 (G)",
    ),
    "heart_failure": ConditionRule(
        "hold",
        "Heart failure: provider review (decompensated heart failure is a relative contraindication); baseline ECG.",
        "§3.2 Cohen 2018 (G)",
    ),
    "severe_hepatic_impairment": ConditionRule(
        "hold",
        "Severe hepatic impairment: the guideline says avoid; provider review; liver tests before and after "
        "if treated.",
        "§3.2 Cohen 2018 (G); Ketalar PI drug-induced liver injury (L)",
    ),
    "raised_intracranial_pressure": ConditionRule(
        "hold",
        "Raised intracranial pressure: avoid, or lower doses with extreme caution; provider review.",
        "§3.2 Cohen 2018 (G); Ketalar PI CSF pressure warning (L)",
    ),
    "raised_intraocular_pressure": ConditionRule(
        "hold",
        "Raised intraocular pressure: avoid, or lower doses with extreme caution; provider review.",
        "§3.2 Cohen 2018 (G)",
    ),
    # Not named in the reference; glaucoma may mean raised intraocular pressure, so it follows that
    # rule until the provider has checked current eye pressures. Basis C.
    "glaucoma": ConditionRule(
        "hold",
        "Glaucoma: possible raised intraocular pressure; provider review (check current eye pressure control).",
        "C (convention): §3.2 raised intraocular pressure rule applied to glaucoma",
    ),
    "active_substance_use_disorder": ConditionRule(
        "hold",
        "Other active substance use disorder: provider review; treat with universal precautions and monitor "
        "for misuse.",
        "§3.2 Cohen 2018 (G)",
    ),
    "bipolar_disorder": ConditionRule(
        "hold",
        "Bipolar disorder (past mania or hypomania): assess carefully; trial patients were on a mood stabiliser. "
        "Provider review.",
        "§3.2 Spravato PI (L); Diazgranados 2010 (T)",
    ),
    "obstructive_sleep_apnea": ConditionRule(
        "caution",
        "Obstructive sleep apnoea / airway risk: screen with a validated tool (e.g. STOP-BANG) and plan airway "
        "monitoring.",
        "§3.2 CPSBC standard 2021 draft (G) — UNVERIFIED",
    ),
    "breastfeeding": ConditionRule(
        "hold",
        "Breastfeeding: do not breastfeed during treatment; provider review and a documented plan.",
        "§3.2 Spravato medication guide (L)",
    ),
    # Not named in the reference. Ketamine's label treats agents that lower the seizure threshold as
    # contraindicated (methylxanthines, §4), so a seizure disorder is held for provider review. Basis C.
    "seizure_disorder": ConditionRule(
        "hold",
        "Seizure disorder: not addressed by the reference; provider review of seizure control and anticonvulsants.",
        "C (convention): not in the clinical reference; cf. §4 methylxanthines (seizure threshold)",
    ),
    # Not named in the reference. Hyperthyroidism adds sympathetic drive to ketamine's pressor effect;
    # the Ketalar PI's "rise in blood pressure would be a serious hazard" (§3.1) may apply. Basis C.
    "hyperthyroidism": ConditionRule(
        "hold",
        "Hyperthyroidism: additive rise in heart rate and blood pressure possible; provider review of thyroid control.",
        "C (convention): not in the clinical reference; cf. §3.1 Ketalar US PI blood-pressure hazard",
    ),
    # Not named in the reference. Capacity to consent, emergence reactions and delirium risk need a
    # provider's judgement; ketamine for these indications is not studied in dementia. Basis C.
    "dementia": ConditionRule(
        "hold",
        "Dementia: not studied; provider review of capacity to consent and delirium risk.",
        "C (convention): not in the clinical reference",
    ),
}


@dataclass(frozen=True)
class BloodPressureReading:
    """A resting baseline blood pressure in mmHg."""

    systolic: int
    diastolic: int

    def __post_init__(self) -> None:
        for name, value, lo, hi in (("systolic", self.systolic, 50, 300), ("diastolic", self.diastolic, 20, 200)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise InputError(f"blood_pressure.{name}", "must be a whole number in mmHg")
            if not lo <= value <= hi:
                raise InputError(f"blood_pressure.{name}", f"must be between {lo} and {hi} mmHg")
        if self.diastolic >= self.systolic:
            raise InputError("blood_pressure.diastolic", "must be lower than the systolic pressure")


TRIAL_RESPONSES = ("none", "partial", "response", "remission")


@dataclass(frozen=True)
class AntidepressantTrial:
    """One prior antidepressant trial in the current episode, as the patient or referrer reports it.

    `reduction_pct` is the percentage fall in the depression score during the trial (negative if
    worse). `response` is the categorical alternative: "none" or "partial" (< 50% fall) count as
    non-response; "response" or "remission" do not. Give either or both (they must agree).
    `dose_adequate` is False when the provider judges the dose below the label's minimum effective
    dose (§2.1, UNVERIFIED); such a trial does not count.
    """

    drug: str
    weeks: float
    reduction_pct: float | None = None
    response: str | None = None
    dose: str | None = None
    dose_adequate: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.drug, str) or not self.drug.strip():
            raise InputError("antidepressant_trials.drug", "must be a non-empty text")
        if isinstance(self.weeks, bool) or not isinstance(self.weeks, int | float) or not 0 <= self.weeks <= 520:
            raise InputError("antidepressant_trials.weeks", "must be a number of weeks between 0 and 520")
        if self.reduction_pct is not None and (
            isinstance(self.reduction_pct, bool)
            or not isinstance(self.reduction_pct, int | float)
            or not -1000 <= self.reduction_pct <= 100
        ):
            raise InputError("antidepressant_trials.reduction_pct", "must be a percentage of at most 100")
        if self.response is not None and self.response not in TRIAL_RESPONSES:
            raise InputError("antidepressant_trials.response", f"must be one of {', '.join(TRIAL_RESPONSES)}")
        if not isinstance(self.dose_adequate, bool):
            raise InputError("antidepressant_trials.dose_adequate", "must be true or false")


def trial_counts_as_failed(trial: AntidepressantTrial, protocol: Protocol) -> tuple[bool, str]:
    """Whether one trial is a failed adequate trial (§2.1), with the reason in plain words."""
    e = protocol.eligibility
    if not trial.dose_adequate:
        return False, f"{trial.drug}: dose judged below the minimum effective dose, not an adequate trial"
    if trial.weeks < e.adequate_trial_min_weeks:
        return False, f"{trial.drug}: {trial.weeks:g} weeks, shorter than the {e.adequate_trial_min_weeks}-week minimum"
    by_pct = None if trial.reduction_pct is None else trial.reduction_pct < e.nonresponse_max_reduction_pct
    by_cat = None if trial.response is None else trial.response in ("none", "partial")
    if by_pct is not None and by_cat is not None and by_pct != by_cat:
        raise InputError(
            "antidepressant_trials.response",
            f"{trial.drug}: response {trial.response!r} contradicts a {trial.reduction_pct:g}% reduction",
        )
    nonresponse = by_pct if by_pct is not None else by_cat
    if nonresponse is None:
        return False, f"{trial.drug}: response not recorded, cannot count as a failed trial"
    if not nonresponse:
        return False, f"{trial.drug}: responded (≥ {e.nonresponse_max_reduction_pct}% reduction), not a failed trial"
    return True, f"{trial.drug}: failed adequate trial"


def failed_adequate_trials(trials: Iterable[AntidepressantTrial], protocol: Protocol) -> int:
    """Number of distinct antidepressants with a failed adequate trial (repeat trials of one drug count once)."""
    failed = {" ".join(t.drug.lower().split()) for t in trials if trial_counts_as_failed(t, protocol)[0]}
    return len(failed)


def treatment_resistant(
    trials: Sequence[AntidepressantTrial] | int, protocol: Protocol, *, bipolar: bool = False
) -> bool:
    """Treatment-resistant depression per §2.1.

    `trials` is either the structured trial list (current episode) or a plain count of failed adequate
    trials. Resistant when the failed trials reach `trd_min_failed_trials` (default 2), or
    `trd_bipolar_min_failed_trials` (default 1) for bipolar depression.
    """
    if isinstance(trials, bool):
        raise InputError("failed_antidepressant_trials", "must be a whole number")
    count = trials if isinstance(trials, int) else failed_adequate_trials(trials, protocol)
    if count < 0:
        raise InputError("failed_antidepressant_trials", "must not be negative")
    e = protocol.eligibility
    return count >= (e.trd_bipolar_min_failed_trials if bipolar else e.trd_min_failed_trials)


@dataclass(frozen=True)
class EligibilityInput:
    """A screening to assess. Lists may be given as any sequence; they are stored as tuples.

    Give at most one of `failed_antidepressant_trials` (a count) and `antidepressant_trials`
    (structured). `blood_pressure` None means no baseline reading yet (a hold finding).
    """

    age: int
    indications: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    blood_pressure: BloodPressureReading | None = None
    medications: tuple[str, ...] = ()
    failed_antidepressant_trials: int | None = None
    antidepressant_trials: tuple[AntidepressantTrial, ...] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.age, bool) or not isinstance(self.age, int) or not 0 <= self.age <= 130:
            raise InputError("age", "must be a whole number of years between 0 and 130")
        for name in ("indications", "conditions", "medications"):
            for i, item in enumerate(getattr(self, name)):
                if not isinstance(item, str) or not item.strip():
                    raise InputError(f"{name}[{i}]", "must be a non-empty text")
        codes = tuple(normalize_code(c, f"indications[{i}]") for i, c in enumerate(self.indications))
        object.__setattr__(self, "indications", codes)
        for i, cond in enumerate(self.conditions):
            if cond not in CONDITIONS:
                raise InputError(
                    f"conditions[{i}]", f"unknown condition {cond!r}; expected one of: {', '.join(CONDITIONS)}"
                )
        object.__setattr__(self, "conditions", tuple(self.conditions))
        object.__setattr__(self, "medications", tuple(self.medications))
        count = self.failed_antidepressant_trials
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 50):
            raise InputError("failed_antidepressant_trials", "must be a whole number between 0 and 50")
        if self.antidepressant_trials is not None:
            if count is not None:
                raise InputError(
                    "antidepressant_trials",
                    "give either failed_antidepressant_trials or antidepressant_trials, not both",
                )
            object.__setattr__(self, "antidepressant_trials", tuple(self.antidepressant_trials))


@dataclass(frozen=True)
class EligibilityResult:
    """Findings sorted most severe first; `interactions` is the full medication review behind them."""

    status: Status
    treatment_resistant: bool | None  # None: no depression indication, or no trial information
    findings: tuple[Finding, ...]
    interactions: InteractionReview = field(default_factory=lambda: InteractionReview((), ()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "treatment_resistant": self.treatment_resistant,
            "findings": [f.to_dict() for f in self.findings],
        }


def status_for(findings: Iterable[Finding]) -> Status:
    """Any contraindicated → ineligible; else any hold or caution → needs_review; else eligible."""
    worst = max((SEVERITY_RANK[f.severity] for f in findings), default=0)
    if worst >= SEVERITY_RANK["contraindicated"]:
        return "ineligible"
    if worst >= SEVERITY_RANK["caution"]:
        return "needs_review"
    return "eligible"


# --- rule groups -----------------------------------------------------------------------------------------


def _resolve(marker: str, protocol: Protocol) -> Severity:
    if marker == _PSYCHOSIS:
        return _as_severity(protocol.eligibility.psychosis_result)
    if marker == _PREGNANCY:
        return _as_severity(protocol.eligibility.pregnancy_result)
    return _as_severity(marker)


def _as_severity(value: str) -> Severity:
    for sev in SEVERITY_RANK:
        if sev == value:
            return sev
    raise ValueError(f"not a severity: {value!r}")  # pragma: no cover - config validates choices


def _age_findings(age: int, protocol: Protocol) -> list[Finding]:
    minimum = protocol.eligibility.min_age_years
    if age >= minimum:
        return []
    return [
        Finding(
            "age_below_minimum",
            "contraindicated",
            f"Age {age} is below the programme minimum of {minimum} years; not studied outside trials.",
            "§3.2 / §13 eligibility.min_age_years (C)",
        )
    ]


def _condition_findings(conditions: Iterable[str], protocol: Protocol) -> list[Finding]:
    findings = []
    for cond in dict.fromkeys(conditions):  # de-duplicate, keep order
        rule = CONDITIONS[cond]
        findings.append(Finding(cond, _resolve(rule.severity, protocol), rule.message, rule.source))
    return findings


def _indication_findings(codes: Sequence[str], protocol: Protocol) -> list[Finding]:
    if not codes:
        return [
            Finding(
                "indication_missing",
                "hold",
                "No indication code given; a provider must document an accepted indication.",
                "§2",
            )
        ]
    psychosis = _as_severity(protocol.eligibility.psychosis_result)
    findings = []
    for code in dict.fromkeys(codes):
        kind = classify(code)
        label = LABELS[kind]
        if kind is IndicationKind.MDD_PSYCHOTIC:
            findings.append(
                Finding(
                    "indication_psychotic_features",
                    psychosis,
                    f"{code} ({label}): current psychotic features fall under the psychosis rule.",
                    "§2; §3.1 psychosis rule (C for F32.3/F33.3); eligibility.psychosis_result",
                )
            )
        elif kind is IndicationKind.OTHER_DEPRESSIVE:
            findings.append(
                Finding(
                    "indication_excluded_unless_override",
                    "hold",
                    f"{code} ({label}) is excluded unless a provider overrides.",
                    "§2",
                )
            )
        elif kind is IndicationKind.GAD:
            findings.append(
                Finding(
                    "indication_limited_evidence",
                    "info",
                    f"{code} ({label}): evidence is from small studies only.",
                    "§2 Glue 2017; Glue 2018 (T)",
                )
            )
        elif kind is IndicationKind.PTSD:
            findings.append(
                Finding(
                    "indication_limited_evidence",
                    "info",
                    f"{code} ({label}): trial results are mixed (positive in civilians, negative in veterans).",
                    "§2 Feder 2021; Abdallah 2022 (T)",
                )
            )
        elif kind is IndicationKind.BIPOLAR_DEPRESSION:
            findings.append(
                Finding(
                    "indication_bipolar_override",
                    "hold",
                    f"{code} ({label}): off-label consideration; a provider override is required and the provider "
                    "confirms a current depressive episode.",
                    "§2 Diazgranados 2010 (T)",
                )
            )
        elif kind is IndicationKind.BIPOLAR_PSYCHOTIC:
            findings.append(
                Finding(
                    "indication_bipolar_psychotic",
                    psychosis,
                    f"{code} ({label}): blocked by the psychosis rule.",
                    "§2; §3.1; eligibility.psychosis_result",
                )
            )
        elif kind is IndicationKind.BIPOLAR_CURRENT_MANIA:
            findings.append(
                Finding(
                    "indication_current_mania",
                    psychosis,
                    f"{code} ({label}): current mania is handled like current psychosis.",
                    "§3.1 psychosis rule applied to current mania (C); eligibility.psychosis_result",
                )
            )
        elif kind is IndicationKind.CHRONIC_PAIN:
            findings.append(
                Finding(
                    "indication_provider_discretion",
                    "hold",
                    f"{code} ({label}): provider-discretion indication; the provider documents the rationale.",
                    "C (convention): not in §2; pain evidence per Cohen 2018",
                )
            )
        elif kind is IndicationKind.NOT_HANDLED:
            findings.append(
                Finding(
                    "indication_not_handled",
                    "hold",
                    f"{code} is not an indication this programme handles; provider review.",
                    "§2",
                )
            )
    return findings


def _trd(inp: EligibilityInput, protocol: Protocol) -> tuple[bool | None, list[Finding]]:
    kinds = {classify(c) for c in inp.indications}
    if not kinds & DEPRESSION_KINDS:
        return None, []
    bipolar = bool(kinds & BIPOLAR_KINDS)
    e = protocol.eligibility
    needed = e.trd_bipolar_min_failed_trials if bipolar else e.trd_min_failed_trials
    key = "eligibility.trd_bipolar_min_failed_trials" if bipolar else "eligibility.trd_min_failed_trials"
    source = f"§2.1 Gaynes 2020; Canadian consensus 2021 (G); {key}"
    findings: list[Finding] = []
    if inp.antidepressant_trials is not None:
        for trial in inp.antidepressant_trials:
            counted, reason = trial_counts_as_failed(trial, protocol)
            if not counted:
                findings.append(Finding("trial_not_counted", "info", reason + ".", source))
        count = failed_adequate_trials(inp.antidepressant_trials, protocol)
    elif inp.failed_antidepressant_trials is not None:
        count = inp.failed_antidepressant_trials
    else:
        findings.append(
            Finding(
                "treatment_resistance_unknown",
                "caution",
                "No prior antidepressant trials recorded, so treatment resistance cannot be assessed. IV ketamine is a "
                "third-line option; record the trials in the current episode.",
                f"§2 CANMAT 2021; {source}",
            )
        )
        return None, findings
    resistant = treatment_resistant(count, protocol, bipolar=bipolar)
    if resistant:
        findings.append(
            Finding(
                "treatment_resistant",
                "info",
                f"Treatment-resistant: {count} failed adequate antidepressant trial(s); at least {needed} required.",
                source,
            )
        )
    else:
        findings.append(
            Finding(
                "not_treatment_resistant",
                "caution",
                f"Only {count} failed adequate antidepressant trial(s) recorded; at least {needed} define treatment-"
                "resistant depression. IV ketamine is a third-line option; the provider documents the rationale.",
                f"§2 CANMAT 2021; {source}",
            )
        )
    return resistant, findings


def _bp_findings(bp: BloodPressureReading | None, protocol: Protocol) -> list[Finding]:
    t = protocol.blood_pressure
    if bp is None:
        return [
            Finding(
                "blood_pressure_missing",
                "hold",
                "No baseline blood pressure recorded; take a resting reading before the eligibility decision.",
                "§3.2 APA consensus 2017 baseline vitals (UNVERIFIED)",
            )
        ]
    s, d = bp.systolic, bp.diastolic
    rest = t.bp_recheck_rest_min
    # §3.3: block is "> 180/100" (strictly above); hold and flag are "≥" (at or above). Either value counts.
    if s > t.bp_preinfusion_block_systolic or d > t.bp_preinfusion_block_diastolic:
        return [
            Finding(
                "blood_pressure_uncontrolled",
                "contraindicated",
                f"Resting blood pressure {s}/{d} mmHg is above {t.bp_preinfusion_block_systolic}/"
                f"{t.bp_preinfusion_block_diastolic}: uncontrolled hypertension. Recheck after {rest} minutes' rest; "
                "not eligible until blood pressure is controlled.",
                "§3.3 Swiss ketamine PI (L); blood_pressure.bp_preinfusion_block_systolic/_diastolic",
            )
        ]
    if s >= t.bp_preinfusion_hold_systolic or d >= t.bp_preinfusion_hold_diastolic:
        return [
            Finding(
                "blood_pressure_hold",
                "hold",
                f"Resting blood pressure {s}/{d} mmHg is at or above the hold level {t.bp_preinfusion_hold_systolic}/"
                f"{t.bp_preinfusion_hold_diastolic}. Recheck after {rest} minutes' rest; the provider decides.",
                "§3.3 clinic protocols (C/UNVERIFIED); blood_pressure.bp_preinfusion_hold_systolic/_diastolic",
            )
        ]
    if s >= t.bp_preinfusion_flag_systolic or d >= t.bp_preinfusion_flag_diastolic:
        return [
            Finding(
                "blood_pressure_elevated",
                "caution",
                f"Resting blood pressure {s}/{d} mmHg is at or above {t.bp_preinfusion_flag_systolic}/"
                f"{t.bp_preinfusion_flag_diastolic}: weigh a short-term rise against the benefit and recheck "
                "after dosing.",
                "§3.3 Spravato PI general guide (UNVERIFIED); blood_pressure.bp_preinfusion_flag_systolic/_diastolic",
            )
        ]
    return []


def _medication_findings(review: InteractionReview, protocol: Protocol) -> list[Finding]:
    findings = []
    for item in review.interactions:
        note = f" Dose: {item.dose_note}." if item.dose_note else ""
        findings.append(
            Finding(
                f"interaction_{item.drug_class}",
                item.eligibility_severity,
                f"{item.medication} ({item.matched}, {item.class_name}, {item.severity}): {item.effect} "
                f"Suggested: {item.action}{note}",
                item.source,
            )
        )
        if item.above_benzo_flag:
            findings.append(
                Finding(
                    "benzodiazepine_dose_above_flag",
                    "caution",
                    f"{item.medication}: about {item.diazepam_equivalent_mg_day:g} mg/day diazepam-equivalent, "
                    f"above the clinic's flag level of {protocol.eligibility.benzo_flag_diazepam_eq_mg_day:g} "
                    "mg/day; higher doses are linked to a weaker antidepressant response.",
                    "§4 Andrashko 2020; Feeney 2023 (T); eligibility.benzo_flag_diazepam_eq_mg_day",
                )
            )
    findings.extend(
        Finding(
            "medication_unrecognised",
            "caution",
            f"{name}: not recognised in the clinic's interaction table — review manually.",
            "§4 (not in the curated table)",
        )
        for name in review.unrecognised
    )
    return findings


def assess_eligibility(inp: EligibilityInput, protocol: Protocol) -> EligibilityResult:
    """Apply every eligibility rule to one screening and return findings, status and TRD attribute."""
    review = review_medications(inp.medications, protocol)
    resistant, trd_findings = _trd(inp, protocol)
    findings = [
        *_age_findings(inp.age, protocol),
        *_indication_findings(inp.indications, protocol),
        *trd_findings,
        *_condition_findings(inp.conditions, protocol),
        *_bp_findings(inp.blood_pressure, protocol),
        *_medication_findings(review, protocol),
    ]
    findings.sort(key=lambda f: -SEVERITY_RANK[f.severity])  # stable: rule order kept within a severity
    return EligibilityResult(
        status=status_for(findings), treatment_resistant=resistant, findings=tuple(findings), interactions=review
    )


# --- command line ----------------------------------------------------------------------------------------

_FIELDS = frozenset(
    {
        "age",
        "indications",
        "failed_antidepressant_trials",
        "antidepressant_trials",
        "conditions",
        "blood_pressure",
        "medications",
    }
)
_TRIAL_FIELDS = frozenset({"drug", "weeks", "reduction_pct", "response", "dose", "dose_adequate"})


def _whole(value: Any, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(field_name, "must be a whole number")
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        raise InputError(field_name, "must be a whole number")
    return int(value)


def _text_list(payload: dict[str, Any], field_name: str) -> tuple[str, ...]:
    value = payload.get(field_name, [])
    if not isinstance(value, list):
        raise InputError(field_name, "must be a list of texts")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise InputError(f"{field_name}[{i}]", "must be a text")
    return tuple(value)


def _parse_bp(value: Any) -> BloodPressureReading | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InputError("blood_pressure", 'must be an object like {"systolic": 128, "diastolic": 82}')
    for key in value:
        if key not in ("systolic", "diastolic"):
            raise InputError(f"blood_pressure.{key}", "unknown field")
    parts = {}
    for key in ("systolic", "diastolic"):
        if key not in value or value[key] is None:
            raise InputError(f"blood_pressure.{key}", "is required")
        parts[key] = _whole(value[key], f"blood_pressure.{key}")
    return BloodPressureReading(**parts)


def _parse_trials(value: Any) -> tuple[AntidepressantTrial, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise InputError("antidepressant_trials", "must be a list of objects")
    trials = []
    for i, item in enumerate(value):
        where = f"antidepressant_trials[{i}]"
        if not isinstance(item, dict):
            raise InputError(where, 'must be an object like {"drug": "sertraline", "weeks": 8, "reduction_pct": 20}')
        for key in item:
            if key not in _TRIAL_FIELDS:
                raise InputError(f"{where}.{key}", "unknown field")
        for key in ("drug", "weeks"):
            if key not in item:
                raise InputError(f"{where}.{key}", "is required")
        try:
            trials.append(
                AntidepressantTrial(
                    drug=item["drug"],
                    weeks=item["weeks"],
                    reduction_pct=item.get("reduction_pct"),
                    response=item.get("response"),
                    dose=item.get("dose"),
                    dose_adequate=item.get("dose_adequate", True),
                )
            )
        except InputError as exc:
            raise InputError(exc.field.replace("antidepressant_trials", where, 1), exc.message) from None
    return tuple(trials)


def parse_input(payload: dict[str, Any]) -> EligibilityInput:
    """Build an EligibilityInput from the JSON object of `ketaclinic protocol eligibility`."""
    for key in sorted(payload):
        if key not in _FIELDS:
            raise InputError(key, f"unknown field; expected some of: {', '.join(sorted(_FIELDS))}")
    if "age" not in payload:
        raise InputError("age", "is required")
    count = payload.get("failed_antidepressant_trials")
    return EligibilityInput(
        age=_whole(payload["age"], "age"),
        indications=_text_list(payload, "indications"),
        conditions=_text_list(payload, "conditions"),
        blood_pressure=_parse_bp(payload.get("blood_pressure")),
        medications=parse_medication_list(payload),
        failed_antidepressant_trials=None if count is None else _whole(count, "failed_antidepressant_trials"),
        antidepressant_trials=_parse_trials(payload.get("antidepressant_trials")),
    )


def cli(payload: dict[str, Any], protocol: Protocol) -> dict[str, Any]:
    """`ketaclinic protocol eligibility`: screening JSON → {"status", "treatment_resistant", "findings"}."""
    return assess_eligibility(parse_input(payload), protocol).to_dict()
