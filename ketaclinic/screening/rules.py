"""Bridge from a patient's screening records to the pure eligibility rules (protocol.eligibility)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ketaclinic.patients.models import Patient
from ketaclinic.protocol.config import Protocol
from ketaclinic.protocol.eligibility import (
    CONDITIONS,
    BloodPressureReading,
    EligibilityResult,
    Finding,
    assess_eligibility,
    parse_input,
    status_for,
)
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.indications import DEPRESSION_KINDS, classify
from ketaclinic.screening.intake import INDICATION_CODES
from ketaclinic.screening.models import (
    AntidepressantTrialRecord,
    BaselineVitals,
    IntakeEntry,
    Medication,
    Referral,
    ScreeningMeasure,
)

ITEM9_CODE = "phq9_item9_positive"
CHANGE_KEYS = frozenset({"conditions", "medications", "blood_pressure", "pregnancy", "breastfeeding",
                         "heart_rate", "spo2", "note"})


def _current(patient: Patient, section: str) -> dict[str, Any]:
    entry = IntakeEntry.objects.filter(patient=patient, section=section).order_by("-saved_at", "-id").first()
    return dict(entry.data) if entry else {}


def validate_changes(changes: dict[str, Any] | None) -> dict[str, Any]:
    """Check a health update's `changes`; raises InputError naming the bad key."""
    changes = dict(changes or {})
    for key in changes:
        if key not in CHANGE_KEYS:
            raise InputError(f"changes.{key}", f"unknown; expected some of {', '.join(sorted(CHANGE_KEYS))}")
    conditions = changes.get("conditions", [])
    if not isinstance(conditions, list):
        raise InputError("changes.conditions", "must be a list of condition codes")
    for i, code in enumerate(conditions):
        if code not in CONDITIONS:
            raise InputError(f"changes.conditions[{i}]", f"unknown condition {code!r}")
    meds = changes.get("medications", [])
    if not isinstance(meds, list) or not all(isinstance(m, str) and m.strip() for m in meds):
        raise InputError("changes.medications", "must be a list of medicine names")
    bp = changes.get("blood_pressure")
    if bp is not None:
        if not isinstance(bp, dict) or set(bp) - {"systolic", "diastolic"}:
            raise InputError("changes.blood_pressure", 'must be like {"systolic": 128, "diastolic": 82}')
        BloodPressureReading(systolic=bp.get("systolic"), diastolic=bp.get("diastolic"))  # type: ignore[arg-type]
    for key in ("pregnancy", "breastfeeding"):
        if key in changes and not isinstance(changes[key], bool):
            raise InputError(f"changes.{key}", "must be true or false")
    return changes


def build_payload(patient: Patient, day_age: int) -> dict[str, Any]:
    """The eligibility JSON (same shape as `ketaclinic protocol eligibility`) from stored records."""
    indications: list[str] = []
    for code in Referral.objects.filter(patient=patient).exclude(indication_code="").values_list(
            "indication_code", flat=True):
        if code not in indications:
            indications.append(code)
    for key in _current(patient, "indications").get("conditions", []):
        code = INDICATION_CODES.get(key, "")
        # A clinician's code for the same kind is more precise than the patient's plain choice.
        if code and code not in indications and classify(code) not in {classify(c) for c in indications}:
            indications.append(code)

    conditions = [c for c in _current(patient, "history").get("conditions", []) if c in CONDITIONS]
    pregnancy = _current(patient, "pregnancy")
    if pregnancy.get("pregnant") == "yes":
        conditions.append("pregnancy")
    if pregnancy.get("breastfeeding") == "yes":
        conditions.append("breastfeeding")
    if _current(patient, "reactions").get("ketamine_allergy") == "yes":
        conditions.append("ketamine_hypersensitivity")

    payload: dict[str, Any] = {
        "age": day_age,
        "indications": indications,
        "conditions": list(dict.fromkeys(conditions)),
        "medications": [m.rule_text for m in Medication.objects.filter(patient=patient, stopped_at__isnull=True)],
    }
    vitals = BaselineVitals.objects.filter(patient=patient).order_by("-taken_at", "-id").first()
    if vitals is not None:
        payload["blood_pressure"] = {"systolic": vitals.systolic, "diastolic": vitals.diastolic}
    trials = AntidepressantTrialRecord.objects.filter(patient=patient, withdrawn_at__isnull=True)
    if trials and any(classify(c) in DEPRESSION_KINDS for c in indications):
        payload["antidepressant_trials"] = [
            {"drug": t.drug, "weeks": t.weeks, "response": t.response, **({"dose": t.dose} if t.dose else {})}
            for t in trials
        ]
    return payload


def extra_findings(patient: Patient) -> list[Finding]:
    """Findings from intake answers that the condition vocabulary cannot express."""
    found = []
    if _current(patient, "pregnancy").get("pregnant") == "not_sure":
        found.append(Finding(
            "pregnancy_status_unknown", "hold",
            "The patient is not sure if they are pregnant: confirm (e.g. pregnancy test) before the decision.",
            "§3.1 Spravato PI pregnancy (L); clinic convention (C)",
        ))
    phq9 = ScreeningMeasure.objects.filter(patient=patient, instrument="phq9").order_by("-taken_at", "-id").first()
    if phq9 is not None and "suicidal_ideation" in phq9.flags:
        found.append(Finding(
            ITEM9_CODE, "hold",
            f"PHQ-9 item 9 answered {phq9.answers[8]} on {phq9.taken_at:%Y-%m-%d} (thoughts of death or self-harm): "
            "same-day clinician review before anything is booked or infused; record the outcome.",
            "§11 suicide-risk safety (C); outcomes.phq9_item9_review_min_score",
        ))
    return found


def run_rules(patient: Patient, protocol: Protocol, now: datetime) -> tuple[dict[str, Any], EligibilityResult | None,
                                                                            list[Finding], str]:
    """(stored inputs, result, findings, error). On bad stored input the rules cannot run: one hold finding says why."""
    payload, extra = collect(patient, now)
    inputs = stored_inputs(payload, extra)
    try:
        result = assess_eligibility(parse_input(payload), protocol)
    except InputError as exc:
        finding = Finding("rules_could_not_run", "hold",
                          f"The eligibility rules could not run ({exc}). Correct the record and run them again.",
                          "ketaclinic screening")
        return inputs, None, [finding, *extra], str(exc)
    return inputs, result, [*result.findings, *extra], ""


def collect(patient: Patient, now: datetime) -> tuple[dict[str, Any], list[Finding]]:
    """The rules' JSON input and the intake-only findings, as of `now`."""
    payload = build_payload(patient, patient.age_on(now.astimezone(patient.clinic.zone).date()))
    return payload, extra_findings(patient)


def stored_inputs(payload: dict[str, Any], extra: list[Finding]) -> dict[str, Any]:
    """What an assessment stores as its input: the rules' JSON plus the intake-only finding codes."""
    return {**payload, "intake_findings": [f.code for f in extra]}


def status_of(findings: list[Finding]) -> str:
    return status_for(findings)
