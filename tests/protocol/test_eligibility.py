"""Table and property tests for the eligibility rules (issue 4; clinical-reference §2, §3, §13)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.protocol.config import default_protocol, load_protocol
from ketaclinic.protocol.eligibility import (
    CONDITIONS,
    SEVERITY_RANK,
    STATUS_RANK,
    AntidepressantTrial,
    BloodPressureReading,
    EligibilityInput,
    Finding,
    assess_eligibility,
    failed_adequate_trials,
    parse_input,
    status_for,
    treatment_resistant,
)
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.indications import IndicationKind, classify, normalize_code

P = default_protocol()
NORMAL_BP = BloodPressureReading(120, 78)


def screening(**kwargs: object) -> EligibilityInput:
    """A clean adult TRD screening; override any field."""
    base: dict[str, object] = {
        "age": 42,
        "indications": ("F33.2",),
        "failed_antidepressant_trials": 2,
        "blood_pressure": NORMAL_BP,
    }
    base.update(kwargs)
    return EligibilityInput(**base)  # type: ignore[arg-type]


def codes(inp: EligibilityInput, protocol: object = P) -> dict[str, str]:
    result = assess_eligibility(inp, protocol)  # type: ignore[arg-type]
    return {f.code: f.severity for f in result.findings}


def test_clean_trd_screening_is_eligible() -> None:
    result = assess_eligibility(screening(), P)
    assert result.status == "eligible"
    assert result.treatment_resistant is True
    assert [f.code for f in result.findings] == ["treatment_resistant"]


# --- §3.1 / §3.2 conditions ------------------------------------------------------------------------------

CONDITION_TABLE = [
    # §3.1 absolute → contraindicated
    ("uncontrolled_hypertension", "contraindicated", "§3.1"),
    ("aneurysmal_vascular_disease", "contraindicated", "§3.1 Spravato PI"),
    ("arteriovenous_malformation", "contraindicated", "§3.1 Spravato PI"),
    ("intracerebral_hemorrhage_history", "contraindicated", "§3.1 Spravato PI"),
    ("ketamine_hypersensitivity", "contraindicated", "§3.1"),
    ("ketamine_use_disorder", "contraindicated", "§3.1"),
    ("active_psychosis", "contraindicated", "psychosis_result"),
    ("schizophrenia", "contraindicated", "psychosis_result"),
    ("current_mania", "contraindicated", "psychosis_result"),
    ("pregnancy", "contraindicated", "pregnancy_result"),
    # §3.2 relative → hold or caution
    ("unstable_cardiac_disease", "hold", "§3.2"),
    ("recent_myocardial_infarction", "hold", "§3.2"),
    ("heart_failure", "hold", "§3.2"),
    ("severe_hepatic_impairment", "hold", "§3.2"),
    ("raised_intracranial_pressure", "hold", "§3.2"),
    ("raised_intraocular_pressure", "hold", "§3.2"),
    ("active_substance_use_disorder", "hold", "§3.2"),
    ("bipolar_disorder", "hold", "§3.2"),
    ("breastfeeding", "hold", "§3.2"),
    ("obstructive_sleep_apnea", "caution", "UNVERIFIED"),
    # not in the reference → conservative hold, basis C
    ("glaucoma", "hold", "C (convention)"),
    ("seizure_disorder", "hold", "C (convention)"),
    ("hyperthyroidism", "hold", "C (convention)"),
    ("dementia", "hold", "C (convention)"),
]
EXPECTED_STATUS = {"contraindicated": "ineligible", "hold": "needs_review", "caution": "needs_review"}


def test_condition_table_covers_the_vocabulary() -> None:
    assert sorted(c for c, _, _ in CONDITION_TABLE) == sorted(CONDITIONS)
    assert len(CONDITIONS) == 24


@pytest.mark.parametrize(("condition", "severity", "source_part"), CONDITION_TABLE)
def test_condition_rule(condition: str, severity: str, source_part: str) -> None:
    result = assess_eligibility(screening(conditions=(condition,)), P)
    finding = next(f for f in result.findings if f.code == condition)
    assert finding.severity == severity
    assert source_part in finding.source
    assert finding.message and finding.message[0].isupper()
    assert result.status == EXPECTED_STATUS[severity]


@pytest.mark.parametrize("condition", ["active_psychosis", "schizophrenia", "current_mania"])
def test_psychosis_rule_follows_protocol_setting(condition: str) -> None:
    relaxed = load_protocol({"eligibility.psychosis_result": "hold"})
    assert codes(screening(conditions=(condition,)), relaxed)[condition] == "hold"
    assert assess_eligibility(screening(conditions=(condition,)), relaxed).status == "needs_review"


def test_pregnancy_rule_follows_protocol_setting() -> None:
    relaxed = load_protocol({"eligibility.pregnancy_result": "hold"})
    assert codes(screening(conditions=("pregnancy",)), relaxed)["pregnancy"] == "hold"
    assert codes(screening(conditions=("pregnancy",)))["pregnancy"] == "contraindicated"


def test_duplicate_condition_reported_once() -> None:
    result = assess_eligibility(screening(conditions=("glaucoma", "glaucoma")), P)
    assert [f.code for f in result.findings].count("glaucoma") == 1


def test_unknown_condition_is_input_error() -> None:
    with pytest.raises(InputError) as exc:
        screening(conditions=("glaucoma", "headache"))
    assert exc.value.field == "conditions[1]"


# --- age --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("age", "blocked"), [(17, True), (18, False), (0, True), (90, False)])
def test_minimum_age(age: int, blocked: bool) -> None:
    found = codes(screening(age=age))
    assert ("age_below_minimum" in found) is blocked
    if blocked:
        assert found["age_below_minimum"] == "contraindicated"


def test_minimum_age_from_protocol() -> None:
    p21 = load_protocol({"eligibility.min_age_years": 21})
    assert codes(screening(age=20), p21)["age_below_minimum"] == "contraindicated"


@pytest.mark.parametrize("age", [-1, 131, True, 42.5])
def test_bad_age(age: object) -> None:
    with pytest.raises(InputError) as exc:
        screening(age=age)
    assert exc.value.field == "age"


# --- §3.3 blood pressure ----------------------------------------------------------------------------------

BP_TABLE = [
    (139, 89, None),
    (140, 89, "caution"),
    (139, 90, "caution"),
    (140, 90, "caution"),
    (159, 99, "caution"),
    (160, 99, "hold"),
    (159, 100, "hold"),
    (160, 100, "hold"),
    (180, 100, "hold"),  # "> 180/100" is strictly above
    (181, 100, "contraindicated"),
    (180, 101, "contraindicated"),
    (181, 101, "contraindicated"),
    (200, 70, "contraindicated"),
    (130, 105, "contraindicated"),
]
BP_CODES = {
    "caution": "blood_pressure_elevated",
    "hold": "blood_pressure_hold",
    "contraindicated": "blood_pressure_uncontrolled",
}


@pytest.mark.parametrize(("systolic", "diastolic", "severity"), BP_TABLE)
def test_blood_pressure_thresholds(systolic: int, diastolic: int, severity: str | None) -> None:
    result = assess_eligibility(screening(blood_pressure=BloodPressureReading(systolic, diastolic)), P)
    bp = [f for f in result.findings if f.code.startswith("blood_pressure")]
    if severity is None:
        assert bp == []
        assert result.status == "eligible"
    else:
        assert [(f.code, f.severity) for f in bp] == [(BP_CODES[severity], severity)]
        assert "§3.3" in bp[0].source and "blood_pressure.bp_preinfusion" in bp[0].source
        assert f"{systolic}/{diastolic}" in bp[0].message


def test_blood_pressure_thresholds_come_from_protocol() -> None:
    strict = load_protocol(
        {
            "blood_pressure.bp_preinfusion_flag_systolic": 130,
            "blood_pressure.bp_preinfusion_hold_systolic": 150,
            "blood_pressure.bp_preinfusion_block_systolic": 170,
        }
    )
    assert codes(screening(blood_pressure=BloodPressureReading(130, 70)), strict)["blood_pressure_elevated"]
    assert codes(screening(blood_pressure=BloodPressureReading(150, 70)), strict)["blood_pressure_hold"]
    assert codes(screening(blood_pressure=BloodPressureReading(171, 70)), strict)["blood_pressure_uncontrolled"]
    assert (
        "10 minutes"
        in assess_eligibility(
            screening(blood_pressure=BloodPressureReading(165, 70)),
            load_protocol({"blood_pressure.bp_recheck_rest_min": 10}),
        )
        .findings[0]
        .message
    )


def test_missing_blood_pressure_is_a_hold() -> None:
    assert codes(screening(blood_pressure=None))["blood_pressure_missing"] == "hold"


@pytest.mark.parametrize(
    ("systolic", "diastolic", "field"),
    [
        (40, 30, "blood_pressure.systolic"),
        (120, 10, "blood_pressure.diastolic"),
        (90, 95, "blood_pressure.diastolic"),
        (120.5, 80, "blood_pressure.systolic"),
        (True, 80, "blood_pressure.systolic"),
    ],
)
def test_bad_blood_pressure(systolic: object, diastolic: object, field: str) -> None:
    with pytest.raises(InputError) as exc:
        BloodPressureReading(systolic, diastolic)  # type: ignore[arg-type]
    assert exc.value.field == field


# --- §2 indications ---------------------------------------------------------------------------------------

INDICATION_TABLE = [
    # code, kind, finding code or None, severity
    ("F32.0", IndicationKind.MDD, None, None),
    ("F32.A", IndicationKind.MDD, None, None),
    ("F32.9", IndicationKind.MDD, None, None),
    ("F33.2", IndicationKind.MDD, None, None),
    ("F33.42", IndicationKind.MDD, None, None),
    ("F32.3", IndicationKind.MDD_PSYCHOTIC, "indication_psychotic_features", "contraindicated"),
    ("F33.3", IndicationKind.MDD_PSYCHOTIC, "indication_psychotic_features", "contraindicated"),
    ("F32.81", IndicationKind.OTHER_DEPRESSIVE, "indication_excluded_unless_override", "hold"),
    ("F32.89", IndicationKind.OTHER_DEPRESSIVE, "indication_excluded_unless_override", "hold"),
    ("F41.1", IndicationKind.GAD, "indication_limited_evidence", "info"),
    ("F43.10", IndicationKind.PTSD, "indication_limited_evidence", "info"),
    ("F43.12", IndicationKind.PTSD, "indication_limited_evidence", "info"),
    ("G90.50", IndicationKind.CRPS_1, None, None),
    ("G90.523", IndicationKind.CRPS_1, None, None),
    ("G56.42", IndicationKind.CRPS_2, None, None),
    ("G57.73", IndicationKind.CRPS_2, None, None),
    ("F31.31", IndicationKind.BIPOLAR_DEPRESSION, "indication_bipolar_override", "hold"),
    ("F31.4", IndicationKind.BIPOLAR_DEPRESSION, "indication_bipolar_override", "hold"),
    ("F31.81", IndicationKind.BIPOLAR_DEPRESSION, "indication_bipolar_override", "hold"),
    ("F31.5", IndicationKind.BIPOLAR_PSYCHOTIC, "indication_bipolar_psychotic", "contraindicated"),
    ("F31.11", IndicationKind.BIPOLAR_CURRENT_MANIA, "indication_current_mania", "contraindicated"),
    ("G89.29", IndicationKind.CHRONIC_PAIN, "indication_provider_discretion", "hold"),
    ("G89.4", IndicationKind.CHRONIC_PAIN, "indication_provider_discretion", "hold"),
    ("E11.9", IndicationKind.NOT_HANDLED, "indication_not_handled", "hold"),
    ("F32.8", IndicationKind.OTHER_DEPRESSIVE, "indication_excluded_unless_override", "hold"),
    ("F43.1", IndicationKind.NOT_HANDLED, "indication_not_handled", "hold"),  # non-billable parent code
    ("G90.5", IndicationKind.NOT_HANDLED, "indication_not_handled", "hold"),
]


@pytest.mark.parametrize(("code", "kind", "finding", "severity"), INDICATION_TABLE)
def test_indication(code: str, kind: IndicationKind, finding: str | None, severity: str | None) -> None:
    assert classify(code) is kind
    found = codes(screening(indications=(code,)))
    indication_codes = {c: s for c, s in found.items() if c.startswith("indication_")}
    assert indication_codes == ({} if finding is None else {finding: severity})


def test_bipolar_psychotic_follows_psychosis_setting() -> None:
    relaxed = load_protocol({"eligibility.psychosis_result": "hold"})
    assert codes(screening(indications=("F31.5",)), relaxed)["indication_bipolar_psychotic"] == "hold"


def test_no_indication_is_a_hold() -> None:
    result = assess_eligibility(screening(indications=()), P)
    assert {f.code: f.severity for f in result.findings} == {"indication_missing": "hold"}
    assert result.treatment_resistant is None


@pytest.mark.parametrize(
    ("raw", "code"), [("f33.2", "F33.2"), (" F332 ", "F33.2"), ("g90511", "G90.511"), ("F32.a", "F32.A")]
)
def test_code_normalisation(raw: str, code: str) -> None:
    assert normalize_code(raw) == code
    assert screening(indications=(raw,)).indications == (code,)


@pytest.mark.parametrize("raw", ["", "depression", "F3", "333.2", "U07.1", "F33.22222"])
def test_malformed_code(raw: str) -> None:
    with pytest.raises(InputError) as exc:
        screening(indications=("F33.2", raw))
    assert exc.value.field == "indications[1]"


# --- §2.1 treatment resistance ----------------------------------------------------------------------------


def trial(
    drug: str = "sertraline", weeks: float = 8, reduction_pct: float | None = 10, **kw: object
) -> AntidepressantTrial:
    return AntidepressantTrial(drug=drug, weeks=weeks, reduction_pct=reduction_pct, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("count", "bipolar", "expected"),
    [(0, False, False), (1, False, False), (2, False, True), (5, False, True), (0, True, False), (1, True, True)],
)
def test_trd_from_count(count: int, bipolar: bool, expected: bool) -> None:
    assert treatment_resistant(count, P, bipolar=bipolar) is expected


TRIAL_TABLE = [
    # trials, failed adequate trials
    ([trial("sertraline"), trial("escitalopram")], 2),
    ([trial("sertraline", weeks=6), trial("escitalopram", weeks=6)], 2),  # exactly 6 weeks is adequate
    ([trial("sertraline", weeks=5.9), trial("escitalopram")], 1),  # too short
    ([trial("sertraline", reduction_pct=49.9), trial("escitalopram", reduction_pct=50)], 1),  # 50% = response
    ([trial("sertraline", reduction_pct=-20), trial("bupropion", reduction_pct=0)], 2),  # worse counts as failed
    ([trial("sertraline"), trial("Sertraline ")], 1),  # one drug counts once
    ([trial("sertraline"), trial("escitalopram", dose_adequate=False)], 1),
    ([trial("sertraline"), trial("escitalopram", reduction_pct=None)], 1),  # response unknown
    (
        [
            trial("sertraline", reduction_pct=None, response="none"),
            trial("venlafaxine", reduction_pct=None, response="partial"),
        ],
        2,
    ),
    (
        [
            trial("sertraline", reduction_pct=None, response="remission"),
            trial("venlafaxine", reduction_pct=None, response="response"),
        ],
        0,
    ),
    ([], 0),
]


@pytest.mark.parametrize(("trials", "failed"), TRIAL_TABLE)
def test_failed_adequate_trials(trials: list[AntidepressantTrial], failed: int) -> None:
    assert failed_adequate_trials(trials, P) == failed
    assert treatment_resistant(trials, P) is (failed >= 2)
    assert treatment_resistant(trials, P, bipolar=True) is (failed >= 1)


def test_trd_settings_from_protocol() -> None:
    four_weeks = load_protocol({"eligibility.adequate_trial_min_weeks": 4, "eligibility.trd_min_failed_trials": 3})
    trials = [trial("a", weeks=4), trial("b", weeks=4), trial("c", weeks=4)]
    assert failed_adequate_trials(trials, P) == 0
    assert failed_adequate_trials(trials, four_weeks) == 3
    assert treatment_resistant(trials[:2], four_weeks) is False
    assert treatment_resistant(trials, four_weeks) is True
    lenient = load_protocol({"eligibility.nonresponse_max_reduction_pct": 30})
    assert failed_adequate_trials([trial("a", reduction_pct=35)], lenient) == 0


def test_contradicting_response_is_input_error() -> None:
    with pytest.raises(InputError):
        failed_adequate_trials([trial(reduction_pct=80, response="none")], P)


@pytest.mark.parametrize("value", [True, -1])
def test_bad_trial_count(value: int) -> None:
    with pytest.raises(InputError):
        treatment_resistant(value, P)


@pytest.mark.parametrize(
    ("kwargs", "expected", "finding", "severity"),
    [
        ({"failed_antidepressant_trials": 2}, True, "treatment_resistant", "info"),
        ({"failed_antidepressant_trials": 1}, False, "not_treatment_resistant", "caution"),
        ({"failed_antidepressant_trials": None}, None, "treatment_resistance_unknown", "caution"),
        (
            {"failed_antidepressant_trials": None, "antidepressant_trials": [trial("a"), trial("b")]},
            True,
            "treatment_resistant",
            "info",
        ),
        (
            {"failed_antidepressant_trials": None, "antidepressant_trials": [trial("a"), trial("b", weeks=2)]},
            False,
            "not_treatment_resistant",
            "caution",
        ),
        ({"indications": ("F31.32",), "failed_antidepressant_trials": 1}, True, "treatment_resistant", "info"),
        ({"indications": ("F41.1",), "failed_antidepressant_trials": 0}, None, None, None),
        ({"indications": ("G90.50",), "failed_antidepressant_trials": None}, None, None, None),
        ({"indications": ("F41.1", "F33.1"), "failed_antidepressant_trials": 3}, True, "treatment_resistant", "info"),
    ],
)
def test_trd_in_assessment(
    kwargs: dict[str, object], expected: bool | None, finding: str | None, severity: str | None
) -> None:
    result = assess_eligibility(screening(**kwargs), P)
    assert result.treatment_resistant is expected
    trd = {f.code: f.severity for f in result.findings if "treatment_resist" in f.code}
    assert trd == ({} if finding is None else {finding: severity})


def test_uncounted_trials_are_explained() -> None:
    inp = screening(failed_antidepressant_trials=None, antidepressant_trials=[trial("a", weeks=3), trial("b")])
    notes = [f for f in assess_eligibility(inp, P).findings if f.code == "trial_not_counted"]
    assert len(notes) == 1 and "3 weeks" in notes[0].message and "6-week" in notes[0].message


def test_count_and_structured_trials_together_rejected() -> None:
    with pytest.raises(InputError) as exc:
        screening(failed_antidepressant_trials=2, antidepressant_trials=[trial()])
    assert exc.value.field == "antidepressant_trials"


# --- medications feed findings ----------------------------------------------------------------------------


def test_medications_feed_findings() -> None:
    result = assess_eligibility(
        screening(medications=("sertraline 100 mg", "Ativan 1 mg tid", "theophylline", "metformin")), P
    )
    found = {f.code: f.severity for f in result.findings}
    assert found["interaction_ssri_snri"] == "info"
    assert found["interaction_benzodiazepine"] == "caution"
    assert found["benzodiazepine_dose_above_flag"] == "caution"
    assert found["interaction_methylxanthine"] == "contraindicated"
    assert found["medication_unrecognised"] == "caution"
    assert result.status == "ineligible"
    assert result.interactions.unrecognised == ("metformin",)


def test_low_dose_benzo_is_not_flagged_for_dose() -> None:
    found = codes(screening(medications=("lorazepam 0.5 mg daily",)))  # 5 mg/day diazepam-equivalent
    assert found == {"treatment_resistant": "info", "interaction_benzodiazepine": "caution"}


def test_findings_sorted_most_severe_first() -> None:
    result = assess_eligibility(
        screening(conditions=("obstructive_sleep_apnea", "pregnancy", "glaucoma"), medications=("sertraline",)), P
    )
    ranks = [SEVERITY_RANK[f.severity] for f in result.findings]
    assert ranks == sorted(ranks, reverse=True)


def test_result_to_dict_shape() -> None:
    out = assess_eligibility(screening(conditions=("glaucoma",)), P).to_dict()
    assert set(out) == {"status", "treatment_resistant", "findings"}
    assert all(set(f) == {"code", "severity", "message", "source"} for f in out["findings"])


def test_parse_input_matches_dataclass() -> None:
    payload = {
        "age": 42,
        "indications": ["F33.2"],
        "failed_antidepressant_trials": 2,
        "conditions": ["glaucoma"],
        "blood_pressure": {"systolic": 128, "diastolic": 82},
        "medications": ["sertraline", "lorazepam"],
    }
    assert parse_input(payload) == screening(
        conditions=("glaucoma",), blood_pressure=BloodPressureReading(128, 82), medications=("sertraline", "lorazepam")
    )


# --- status rule and monotonicity (hypothesis) ------------------------------------------------------------

severities = st.sampled_from(list(SEVERITY_RANK))
finding_lists = st.lists(severities.map(lambda s: Finding("x", s, "m", "s")), max_size=8)


@given(finding_lists)
def test_status_follows_severity_rule(findings: list[Finding]) -> None:
    sev = {f.severity for f in findings}
    expected = "ineligible" if "contraindicated" in sev else "needs_review" if sev & {"caution", "hold"} else "eligible"
    assert status_for(findings) == expected


INDICATIONS = [row[0] for row in INDICATION_TABLE]
MEDICATIONS = [
    "sertraline",
    "Xanax 2 mg bid",
    "Suboxone",
    "Adderall",
    "metformin",
    "lamotrigine",
    "Ozempic",
    "theophylline",
    "clonidine 0.1 mg",
    "Nardil",
    "cannabis",
]
screenings = st.builds(
    EligibilityInput,
    age=st.integers(10, 95),
    indications=st.lists(st.sampled_from(INDICATIONS), max_size=3).map(tuple),
    conditions=st.lists(st.sampled_from(sorted(CONDITIONS)), max_size=4).map(tuple),
    blood_pressure=st.one_of(st.none(), st.builds(BloodPressureReading, st.integers(100, 220), st.integers(50, 99))),
    medications=st.lists(st.sampled_from(MEDICATIONS), max_size=4).map(tuple),
    failed_antidepressant_trials=st.one_of(st.none(), st.integers(0, 5)),
)


@settings(max_examples=200, deadline=None)
@given(screenings)
def test_assessment_status_follows_its_findings(inp: EligibilityInput) -> None:
    result = assess_eligibility(inp, P)
    assert result.status == status_for(result.findings)
    assert all(f.severity in SEVERITY_RANK and f.code and f.message and f.source for f in result.findings)


@settings(max_examples=200, deadline=None)
@given(screenings, st.sampled_from(sorted(CONDITIONS)))
def test_adding_a_condition_never_improves_status(inp: EligibilityInput, condition: str) -> None:
    before = assess_eligibility(inp, P).status
    after = assess_eligibility(replace(inp, conditions=(*inp.conditions, condition)), P).status
    assert STATUS_RANK[after] >= STATUS_RANK[before]
    if CONDITIONS[condition].severity == "contraindicated":
        assert after == "ineligible"


@settings(max_examples=100, deadline=None)
@given(screenings, st.sampled_from(MEDICATIONS))
def test_adding_a_medication_never_improves_status(inp: EligibilityInput, medication: str) -> None:
    before = assess_eligibility(inp, P).status
    after = assess_eligibility(replace(inp, medications=(*inp.medications, medication)), P).status
    assert STATUS_RANK[after] >= STATUS_RANK[before]


def test_modules_import_no_django() -> None:
    code = (
        "import sys, ketaclinic.protocol.eligibility, ketaclinic.protocol.interactions;"
        "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
