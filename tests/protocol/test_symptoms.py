"""Table tests for symptom triage (clinical-reference §9 "call the clinic", §11 self-harm)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.protocol.config import load_protocol
from ketaclinic.protocol.symptoms import (
    Guidance,
    Level,
    Onset,
    Severity,
    Symptom,
    SymptomAnswer,
    SymptomInputError,
    TriageInput,
    triage,
)

P = load_protocol().outcomes
S = Symptom
N, MI, MO, SE = Severity.NONE, Severity.MILD, Severity.MODERATE, Severity.SEVERE
DAY0, NEXT, LATER, BEFORE = Onset.INFUSION_DAY, Onset.NEXT_DAY, Onset.LATER, Onset.BEFORE


def one(symptom, severity, onset=DAY0, days=0):
    return triage(TriageInput((SymptomAnswer(symptom, severity, onset),), days), P)


@pytest.mark.parametrize(("symptom", "severity", "onset", "days", "level"), [
    # expected same-day after-effects, mild or moderate: routine
    (S.NAUSEA, MI, DAY0, 0, "routine"),
    (S.NAUSEA, MO, DAY0, 0, "routine"),
    (S.HEADACHE, MO, DAY0, 1, "routine"),
    (S.DIZZINESS, MI, DAY0, 0, "routine"),
    (S.LIGHT_SOUND, MO, DAY0, 0, "routine"),
    # severe anything: urgent (symptom_urgent_min_severity = 3)
    (S.NAUSEA, SE, DAY0, 0, "urgent"),
    (S.HEADACHE, SE, DAY0, 0, "urgent"),
    (S.LIGHT_SOUND, SE, BEFORE, 3, "urgent"),
    # new symptoms (began the next day or later): moderate is urgent, mild is routine
    (S.HEADACHE, MO, NEXT, 1, "urgent"),
    (S.DIZZINESS, MO, LATER, 3, "urgent"),
    (S.HEADACHE, MI, NEXT, 1, "routine"),
    (S.NAUSEA, MO, BEFORE, 2, "routine"),
    # perceptual changes: same day routine; still there the next morning urgent
    (S.PERCEPTUAL, MI, DAY0, 0, "routine"),
    (S.PERCEPTUAL, MO, DAY0, 0, "routine"),
    (S.PERCEPTUAL, MI, DAY0, 1, "urgent"),
    (S.PERCEPTUAL, MI, DAY0, 4, "urgent"),
    # urinary pain: new at any severity urgent; known before treatment and mild routine
    (S.URINARY, MI, NEXT, 2, "urgent"),
    (S.URINARY, MI, DAY0, 0, "urgent"),
    (S.URINARY, MI, BEFORE, 2, "routine"),
    # mood worse: moderate urgent, mild routine
    (S.MOOD, MI, DAY0, 0, "routine"),
    (S.MOOD, MO, DAY0, 0, "urgent"),
    # any self-harm answer: urgent
    (S.SELF_HARM, MI, None, 0, "urgent"),
    (S.SELF_HARM, SE, None, None, "urgent"),
])
def test_triage_table(symptom, severity, onset, days, level):
    assert one(symptom, severity, onset, days).level == level


def test_nothing_reported_is_routine_with_no_findings():
    result = triage(TriageInput((SymptomAnswer(S.NAUSEA, N),), 1), P)
    assert result.level is Level.ROUTINE and result.findings == () and result.guidance == (Guidance.ROUTINE,)


def test_self_harm_sets_crisis_guidance_first():
    result = triage(TriageInput((SymptomAnswer(S.NAUSEA, MI, DAY0), SymptomAnswer(S.SELF_HARM, MI)), 0), P)
    assert result.crisis and result.guidance[0] is Guidance.CRISIS and Guidance.CALL_TODAY in result.guidance
    assert any("self-harm" in reason for reason in result.urgent_reasons)


def test_no_self_harm_means_no_crisis_flag():
    result = one(S.HEADACHE, SE)
    assert result.level is Level.URGENT and not result.crisis and result.guidance == (Guidance.CALL_TODAY,)


def test_same_day_perceptual_changes_tell_the_patient_to_call_if_still_there_tomorrow():
    assert Guidance.PERCEPTUAL_TOMORROW in one(S.PERCEPTUAL, MI, DAY0, 0).guidance
    assert Guidance.PERCEPTUAL_TOMORROW not in one(S.PERCEPTUAL, MI, DAY0, 1).guidance


def test_perceptual_rule_needs_a_known_infusion():
    assert one(S.PERCEPTUAL, MI, DAY0, None).level is Level.ROUTINE


def test_one_urgent_answer_makes_the_report_urgent():
    answers = (SymptomAnswer(S.NAUSEA, MI, DAY0), SymptomAnswer(S.HEADACHE, SE, DAY0))
    result = triage(TriageInput(answers, 0), P)
    assert result.level is Level.URGENT and [f.level for f in result.findings] == [Level.ROUTINE, Level.URGENT]


@pytest.mark.parametrize(("overrides", "symptom", "severity", "onset", "days", "level"), [
    ({"outcomes.symptom_urgent_min_severity": 2}, S.NAUSEA, MO, DAY0, 0, "urgent"),
    ({"outcomes.symptom_new_urgent_min_severity": 1}, S.HEADACHE, MI, NEXT, 1, "urgent"),
    ({"outcomes.symptom_new_urgent_min_severity": 3}, S.HEADACHE, MO, NEXT, 1, "routine"),
    ({"outcomes.symptom_perceptual_urgent_after_days": 2}, S.PERCEPTUAL, MI, DAY0, 1, "routine"),
    ({"outcomes.symptom_perceptual_urgent_after_days": 0}, S.PERCEPTUAL, MI, DAY0, 0, "urgent"),
    ({"outcomes.symptom_mood_urgent_min_severity": 3}, S.MOOD, MO, DAY0, 0, "routine"),
    ({"outcomes.symptom_urinary_urgent_min_severity": 2}, S.URINARY, MI, NEXT, 1, "routine"),
])
def test_thresholds_come_from_the_protocol(overrides, symptom, severity, onset, days, level):
    outcomes = load_protocol(overrides).outcomes
    assert triage(TriageInput((SymptomAnswer(symptom, severity, onset),), days), outcomes).level == level


def test_self_harm_is_urgent_whatever_the_settings():
    lenient = load_protocol({"outcomes.symptom_urgent_min_severity": 3, "outcomes.symptom_new_urgent_min_severity": 3,
                             "outcomes.symptom_mood_urgent_min_severity": 3}).outcomes
    assert triage(TriageInput((SymptomAnswer(S.SELF_HARM, MI),), None), lenient).level is Level.URGENT


@pytest.mark.parametrize(("data", "field"), [
    (TriageInput((SymptomAnswer(S.NAUSEA, MI, DAY0), SymptomAnswer(S.NAUSEA, MO, DAY0))), "answers[1]"),
    (TriageInput((SymptomAnswer(S.NAUSEA, MI, None),)), "answers[0]"),
    (TriageInput((SymptomAnswer("itching", MI, DAY0),)), "answers[0]"),  # type: ignore[arg-type]
    (TriageInput((SymptomAnswer(S.NAUSEA, 5, DAY0),)), "answers[0]"),  # type: ignore[arg-type]
    (TriageInput((SymptomAnswer(S.NAUSEA, MI, "soon"),)), "answers[0]"),  # type: ignore[arg-type]
    (TriageInput((), -1), "days_since_infusion"),
])
def test_malformed_input_is_refused_with_the_field_named(data, field):
    with pytest.raises(SymptomInputError) as info:
        triage(data, P)
    assert info.value.field == field


answers = st.lists(
    st.builds(SymptomAnswer, st.sampled_from(list(Symptom)), st.sampled_from(list(Severity)),
              st.sampled_from(list(Onset))),
    max_size=8, unique_by=lambda a: a.symptom)


@given(answers, st.one_of(st.none(), st.integers(0, 30)))
def test_properties(items, days):
    result = triage(TriageInput(tuple(items), days), P)
    # Urgent exactly when some finding is urgent; a crisis is always urgent.
    assert (result.level is Level.URGENT) == any(f.level is Level.URGENT for f in result.findings)
    assert not result.crisis or result.level is Level.URGENT
    # Every severe answer is urgent; unreported answers give no finding.
    assert all(f.level is Level.URGENT for f in result.findings
               if next(a for a in items if a.symptom is f.symptom).severity is Severity.SEVERE)
    assert len(result.findings) == sum(1 for a in items if a.severity > Severity.NONE)
    # Raising any severity never lowers the level (monotone).
    raised = tuple(SymptomAnswer(a.symptom, Severity.SEVERE, a.onset) for a in items)
    if items:
        assert triage(TriageInput(raised, days), P).level is Level.URGENT
