"""Plain words for the "How do you feel" form (6th-8th grade; written by us).

The rules are in ketaclinic/protocol/symptoms.py; this file only holds what the patient reads.
The labels stay English here (the report summary and staff screens use them as they are); they
are marked with gettext_noop so the portal form shows them in the patient's language with
`gettext(label)` (messaging catalog).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

from ketaclinic.protocol.symptoms import Onset, Severity, Symptom

SYMPTOM_LABELS: dict[Symptom, str] = {
    Symptom.NAUSEA: _("Upset stomach or throwing up"),
    Symptom.HEADACHE: _("Headache"),
    Symptom.DIZZINESS: _("Dizziness or feeling unsteady"),
    Symptom.LIGHT_SOUND: _("Light or sound bothers you more than usual"),
    Symptom.MOOD: _("Mood change: feeling lower, more worried or more on edge than usual"),
    Symptom.PERCEPTUAL: _("Things still look, sound or feel strange or unreal"),
    Symptom.URINARY: _("Pain or burning when you pee, or blood in your pee"),
    Symptom.SELF_HARM: _("Thoughts of hurting yourself or of suicide"),
}

SEVERITY_LABELS: dict[Severity, str] = {
    Severity.NONE: _("No"),
    Severity.MILD: _("Mild"),
    Severity.MODERATE: _("Moderate"),
    Severity.SEVERE: _("Severe"),
}

SEVERITY_HELP = _("Mild: you notice it, but it does not stop you. Moderate: it gets in the way of what you "
                  "want to do. Severe: it is very hard to bear, or it stops you.")

SELF_HARM_LABELS: dict[Severity, str] = {
    Severity.NONE: _("No"),
    Severity.MILD: _("Yes, sometimes"),
    Severity.MODERATE: _("Yes, often"),
    Severity.SEVERE: _("Yes, and I have a plan or I might act on them"),
}

ONSET_LABELS: dict[Onset, str] = {
    Onset.INFUSION_DAY: _("Started on the day of my infusion"),
    Onset.NEXT_DAY: _("Started the day after"),
    Onset.LATER: _("Started 2 or more days after"),
    Onset.BEFORE: _("I had this before I started treatment"),
}


def patient_summary(answers: list[dict[str, Any]], note: str) -> str:
    """The patient's own report in their language (the stored message keeps English for staff).

    Mirrors the stored summary: one line per symptom reported, with how bad and when it started.
    """
    lines = [gettext('I filled in the "How do you feel" form:')]
    reported = [a for a in answers if int(a.get("severity") or 0) > Severity.NONE]
    for answer in reported:
        symptom = Symptom(answer["symptom"])
        labels = SELF_HARM_LABELS if symptom is Symptom.SELF_HARM else SEVERITY_LABELS
        onset = f", {gettext(ONSET_LABELS[Onset(answer['onset'])]).lower()}" if answer.get("onset") else ""
        lines.append(f"- {gettext(SYMPTOM_LABELS[symptom])}: {gettext(labels[Severity(answer['severity'])]).lower()}"
                     f"{onset}")
    if not reported:
        lines.append(gettext("- None of the listed symptoms."))
    if note:
        lines += ["", note]
    return "\n".join(lines)


def report_subject(created_at: datetime, zone: ZoneInfo) -> str:
    """'How I feel — Jan 16' / 'Cómo me siento — 16 ene' (the stored subject keeps English)."""
    return gettext("How I feel — %(day)s") % {"day": date_format(created_at.astimezone(zone), gettext("M j"))}
