"""Plain words for the "How do you feel" form (6th-8th grade; written by us).

The rules are in ketaclinic/protocol/symptoms.py; this file only holds what the patient reads.
"""

from __future__ import annotations

from ketaclinic.protocol.symptoms import Onset, Severity, Symptom

SYMPTOM_LABELS: dict[Symptom, str] = {
    Symptom.NAUSEA: "Upset stomach or throwing up",
    Symptom.HEADACHE: "Headache",
    Symptom.DIZZINESS: "Dizziness or feeling unsteady",
    Symptom.LIGHT_SOUND: "Light or sound bothers you more than usual",
    Symptom.MOOD: "Mood change: feeling lower, more worried or more on edge than usual",
    Symptom.PERCEPTUAL: "Things still look, sound or feel strange or unreal",
    Symptom.URINARY: "Pain or burning when you pee, or blood in your pee",
    Symptom.SELF_HARM: "Thoughts of hurting yourself or of suicide",
}

SEVERITY_LABELS: dict[Severity, str] = {
    Severity.NONE: "No",
    Severity.MILD: "Mild",
    Severity.MODERATE: "Moderate",
    Severity.SEVERE: "Severe",
}

SEVERITY_HELP = ("Mild: you notice it, but it does not stop you. Moderate: it gets in the way of what you "
                 "want to do. Severe: it is very hard to bear, or it stops you.")

SELF_HARM_LABELS: dict[Severity, str] = {
    Severity.NONE: "No",
    Severity.MILD: "Yes, sometimes",
    Severity.MODERATE: "Yes, often",
    Severity.SEVERE: "Yes, and I have a plan or I might act on them",
}

ONSET_LABELS: dict[Onset, str] = {
    Onset.INFUSION_DAY: "Started on the day of my infusion",
    Onset.NEXT_DAY: "Started the day after",
    Onset.LATER: "Started 2 or more days after",
    Onset.BEFORE: "I had this before I started treatment",
}
