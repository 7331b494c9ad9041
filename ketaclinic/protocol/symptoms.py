"""Triage of a patient's "report how you feel" answers (clinical-reference §9, §11).

Rules give a level and the reasons; a nurse reads the report and decides what to do. The
thresholds come from the clinic's protocol ([outcomes] symptom_*). One rule is not a setting:
any answer about thoughts of self-harm is urgent and shows the 988 / 911 guidance (§11).
No Django import (see ARCHITECTURE.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from ketaclinic.protocol.config import Outcomes


class Symptom(StrEnum):
    NAUSEA = "nausea"
    HEADACHE = "headache"
    DIZZINESS = "dizziness"
    LIGHT_SOUND = "light_sound_sensitivity"
    MOOD = "mood_change"
    PERCEPTUAL = "perceptual_changes"
    URINARY = "urinary_pain"
    SELF_HARM = "self_harm_thoughts"


class Severity(IntEnum):
    NONE = 0
    MILD = 1
    MODERATE = 2
    SEVERE = 3


class Onset(StrEnum):
    INFUSION_DAY = "infusion_day"      # during or soon after the infusion, the same day
    NEXT_DAY = "next_day"              # the day after the infusion
    LATER = "later"                    # two or more days after the infusion
    BEFORE = "before_treatment"        # the patient had it before treatment started


# Onsets that mean "not the usual same-day after-effect": the symptom is new.
NEW_ONSETS = frozenset({Onset.NEXT_DAY, Onset.LATER})


class Level(StrEnum):
    URGENT = "urgent"    # same-day attention: a task at the top of the inbox
    ROUTINE = "routine"  # read and answered in the clinic's usual reply time


class Guidance(StrEnum):
    """What the patient is told right after sending; the wording lives with the page."""

    CRISIS = "crisis"                    # self-harm: 988 and 911, prominently
    CALL_TODAY = "call_today"            # urgent: we will call you today; call if it cannot wait
    PERCEPTUAL_TOMORROW = "perceptual_tomorrow"  # same day: call if still there next morning
    ROUTINE = "routine"                  # we will answer within the usual reply time


class SymptomInputError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class SymptomAnswer:
    symptom: Symptom
    severity: Severity
    onset: Onset | None = None


@dataclass(frozen=True)
class TriageInput:
    answers: tuple[SymptomAnswer, ...]
    # Calendar days (clinic zone) between the last infusion and the report; None if no infusion yet.
    days_since_infusion: int | None = None


@dataclass(frozen=True)
class Finding:
    symptom: Symptom
    level: Level
    reason: str  # for staff: why the rule said so


@dataclass(frozen=True)
class TriageResult:
    level: Level
    crisis: bool
    findings: tuple[Finding, ...]
    guidance: tuple[Guidance, ...]

    @property
    def urgent_reasons(self) -> tuple[str, ...]:
        return tuple(f.reason for f in self.findings if f.level is Level.URGENT)


def validate(data: TriageInput) -> None:
    seen: set[Symptom] = set()
    for i, answer in enumerate(data.answers):
        field = f"answers[{i}]"
        if not isinstance(answer.symptom, Symptom):
            raise SymptomInputError(field, f"unknown symptom {answer.symptom!r}")
        if answer.symptom in seen:
            raise SymptomInputError(field, f"{answer.symptom.value} is answered twice")
        seen.add(answer.symptom)
        if not isinstance(answer.severity, Severity):
            raise SymptomInputError(field, f"severity must be 0-3, got {answer.severity!r}")
        if answer.severity > Severity.NONE and answer.symptom is not Symptom.SELF_HARM and answer.onset is None:
            raise SymptomInputError(field, "say when it started")
        if answer.onset is not None and not isinstance(answer.onset, Onset):
            raise SymptomInputError(field, f"unknown onset {answer.onset!r}")
    if data.days_since_infusion is not None and data.days_since_infusion < 0:
        raise SymptomInputError("days_since_infusion", "must not be negative")


def _name(symptom: Symptom) -> str:
    return symptom.value.replace("_", " ").capitalize()


def _rule(answer: SymptomAnswer, data: TriageInput, o: Outcomes) -> Finding | None:
    """The most serious finding for one answer, or None when it was not reported."""
    sym, sev, onset = answer.symptom, answer.severity, answer.onset
    if sev == Severity.NONE:
        return None
    if sym is Symptom.SELF_HARM:
        return Finding(sym, Level.URGENT, "Thoughts of self-harm reported: same-day clinician contact (§11).")
    if sev >= o.symptom_urgent_min_severity:
        return Finding(sym, Level.URGENT, f"{_name(sym)} reported as severe.")
    if sym is Symptom.PERCEPTUAL and data.days_since_infusion is not None \
            and data.days_since_infusion >= o.symptom_perceptual_urgent_after_days:
        return Finding(sym, Level.URGENT, f"Perceptual changes still present {data.days_since_infusion} day(s) "
                                          "after the infusion.")
    if sym is Symptom.URINARY and onset is not Onset.BEFORE and sev >= o.symptom_urinary_urgent_min_severity:
        return Finding(sym, Level.URGENT, "New urinary pain (possible ketamine bladder irritation).")
    if sym is Symptom.MOOD and sev >= o.symptom_mood_urgent_min_severity:
        return Finding(sym, Level.URGENT, "Mood worse (moderate or more).")
    if onset in NEW_ONSETS and sev >= o.symptom_new_urgent_min_severity:
        return Finding(sym, Level.URGENT,
                       f"New {_name(sym).lower()} that began after the infusion day, {sev.name.lower()}.")
    return Finding(sym, Level.ROUTINE, f"{_name(sym)}, {sev.name.lower()}.")


def triage(data: TriageInput, outcomes: Outcomes) -> TriageResult:
    """Level, reasons and patient guidance for one symptom report.

    Urgent when any finding is urgent; a report with nothing ticked is routine (the patient may
    still have written a note). Raises SymptomInputError for malformed input.
    """
    validate(data)
    findings = tuple(f for f in (_rule(a, data, outcomes) for a in data.answers) if f is not None)
    level = Level.URGENT if any(f.level is Level.URGENT for f in findings) else Level.ROUTINE
    crisis = any(f.symptom is Symptom.SELF_HARM for f in findings)
    guidance: list[Guidance] = []
    if crisis:
        guidance.append(Guidance.CRISIS)
    guidance.append(Guidance.CALL_TODAY if level is Level.URGENT else Guidance.ROUTINE)
    perceptual_same_day = any(f.symptom is Symptom.PERCEPTUAL and f.level is Level.ROUTINE for f in findings)
    if perceptual_same_day:
        guidance.append(Guidance.PERCEPTUAL_TOMORROW)
    return TriageResult(level=level, crisis=crisis, findings=findings, guidance=tuple(guidance))
