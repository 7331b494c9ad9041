"""Plain words for the "How do you feel" form (6th-8th grade; written by us).

The rules are in ketaclinic/protocol/symptoms.py; this file only holds what the patient reads.
The labels stay English here (the report summary and staff screens use them as they are); they
are marked with gettext_noop so the portal form shows them in the patient's language with
`gettext(label)` (messaging catalog).
"""

from __future__ import annotations

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
