"""The intake questionnaire: sections, their fields, plain labels and validation.

Each section is saved on its own (htmx autosave), so the spec validates one section's POST
and returns the cleaned data plus field errors; what was typed is kept either way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from ketaclinic.protocol.eligibility import CONDITIONS

# Plain words for the condition vocabulary (patient sees these; the rules read the codes).
CONDITION_LABELS: dict[str, str] = {
    "uncontrolled_hypertension": "High blood pressure that is not under control",
    "aneurysmal_vascular_disease": "An aneurysm (a bulge in a blood vessel)",
    "arteriovenous_malformation": "An arteriovenous malformation (AVM)",
    "intracerebral_hemorrhage_history": "Bleeding in the brain, ever",
    "unstable_cardiac_disease": "Chest pain (angina) or an irregular heartbeat that is not well controlled",
    "recent_myocardial_infarction": "A heart attack in the last 6 months",
    "heart_failure": "Heart failure",
    "active_psychosis": "Hearing or seeing things others do not, right now",
    "schizophrenia": "Schizophrenia or schizoaffective disorder",
    "current_mania": "A manic or hypomanic episode right now",
    "bipolar_disorder": "Bipolar disorder, or mania or hypomania in the past",
    "ketamine_use_disorder": "Problems with ketamine or PCP use",
    "active_substance_use_disorder": "Problems with alcohol or drug use right now",
    "pregnancy": "Pregnant",
    "breastfeeding": "Breastfeeding",
    "ketamine_hypersensitivity": "An allergic reaction to ketamine or esketamine",
    "severe_hepatic_impairment": "Serious liver disease",
    "raised_intracranial_pressure": "High pressure inside the head",
    "raised_intraocular_pressure": "High pressure in the eyes",
    "glaucoma": "Glaucoma",
    "seizure_disorder": "Seizures or epilepsy",
    "hyperthyroidism": "An overactive thyroid",
    "obstructive_sleep_apnea": "Sleep apnea",
    "dementia": "Dementia or serious memory problems",
}
if set(CONDITION_LABELS) != set(CONDITIONS):  # a new rule condition needs a plain label first
    raise ImportError("screening.intake: CONDITION_LABELS does not match protocol.eligibility.CONDITIONS")

# Conditions asked in the history checklist (pregnancy and breastfeeding have their own section).
HISTORY_CONDITIONS = [c for c in CONDITIONS if c not in ("pregnancy", "breastfeeding")]

# What the patient picks → the ICD-10-CM code the rules read until a clinician gives a precise one.
INDICATION_CHOICES: list[tuple[str, str, str]] = [
    ("depression", "Depression", "F33.9"),
    ("anxiety", "Anxiety (generalized anxiety disorder)", "F41.1"),
    ("ptsd", "PTSD (post-traumatic stress)", "F43.10"),
    ("crps", "Complex regional pain syndrome (CRPS)", "G90.50"),
    ("chronic_pain", "Other long-lasting pain", "G89.29"),
    ("bipolar_depression", "Depression with bipolar disorder", "F31.30"),
]
INDICATION_CODES = {key: code for key, _, code in INDICATION_CHOICES}

YES_NO = [("no", "No"), ("yes", "Yes")]
PREGNANCY_CHOICES = [("no", "No"), ("yes", "Yes"), ("not_sure", "Not sure"), ("not_applicable", "Does not apply to me")]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text | textarea | number | choice | multi | phone | email
    choices: list[tuple[str, str]] = field(default_factory=list)
    help: str = ""
    lo: float | None = None
    hi: float | None = None
    max_length: int = 2000


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    intro: str
    fields: tuple[Field, ...]


SECTIONS: tuple[Section, ...] = (
    Section("about", "About you", "How we can reach you.", (
        Field("preferred_name", "Name you like to be called", max_length=100),
        Field("address", "Home address", "textarea", max_length=500),
        Field("phone", "Best phone number", "phone", max_length=40),
    )),
    Section("emergency", "Emergency contact", "Someone we can call if we need to.", (
        Field("name", "Their name", max_length=200),
        Field("relationship", "How you know them", max_length=100),
        Field("phone", "Their phone number", "phone", max_length=40),
    )),
    Section("indications", "Why you are coming to us", "Pick all that apply.", (
        Field("conditions", "What would you like help with?", "multi",
              [(key, label) for key, label, _ in INDICATION_CHOICES]),
        Field("details", "Tell us more, in your own words", "textarea"),
    )),
    Section("treatments", "Treatments you have tried", "List medicines for your mood on the next part of this page.", (
        Field("therapy", "Talk therapy you have had", "textarea"),
        Field("other", "Other treatments (for example TMS, ECT, esketamine)", "textarea"),
    )),
    Section("history", "Your health history", "Check any that you have now or had before.", (
        Field("conditions", "Conditions", "multi", [(c, CONDITION_LABELS[c]) for c in HISTORY_CONDITIONS]),
        Field("no_conditions", "If none", "multi", [("yes", "I have none of these")]),
        Field("other_conditions", "Other illnesses", "textarea"),
        Field("surgeries", "Surgeries or hospital stays", "textarea"),
    )),
    Section("family", "Family health history", "Health problems in your parents, brothers or sisters.", (
        Field("details", "Family history", "textarea"),
    )),
    Section("allergies", "Allergies", "Medicines, foods, latex or anything else.", (
        Field("details", "Allergies and what happened", "textarea"),
    )),
    Section("body", "Height and weight", "We use these to work out your dose.", (
        Field("height_cm", "Height (cm)", "number", help="5 feet 6 inches is about 168 cm.", lo=100, hi=230),
        Field("weight_kg", "Weight (kg)", "number", help="150 pounds is about 68 kg.", lo=30, hi=300),
    )),
    Section("substances", "Alcohol and drugs", "Your answers help keep you safe. They stay in your chart.", (
        Field("alcohol", "How much alcohol do you drink in a week?", max_length=200),
        Field("cannabis", "Do you use cannabis (marijuana)?", "choice", YES_NO),
        Field("other", "Other drugs, including ketamine outside a clinic", "textarea"),
    )),
    Section("pregnancy", "Pregnancy", "Ketamine may harm an unborn baby.", (
        Field("pregnant", "Are you pregnant, or could you be?", "choice", PREGNANCY_CHOICES),
        Field("breastfeeding", "Are you breastfeeding?", "choice", YES_NO),
    )),
    Section("reactions", "Past reactions", "Reactions to ketamine or to anesthesia (being put to sleep).", (
        Field("ketamine_allergy", "Have you had an allergic reaction to ketamine?", "choice", YES_NO),
        Field("details", "Other reactions to ketamine or anesthesia", "textarea"),
    )),
    Section("goals", "Your goals", "What would you like to be different after treatment?", (
        Field("goals", "Your goals", "textarea"),
    )),
)
SECTION_BY_KEY = {s.key: s for s in SECTIONS}
# Sections that must have something in them before the intake can be sent for review.
REQUIRED_SECTIONS = ("emergency", "indications", "history", "body", "pregnancy", "reactions")


def clean_section(section: Section, post: QueryDict) -> tuple[dict[str, Any], dict[str, str]]:
    """(data, errors) for one section's POST. Invalid values are kept as typed in `data`."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in section.fields:
        if f.kind == "multi":
            allowed = {key for key, _ in f.choices}
            picked = [v for v in post.getlist(f.name) if v]
            bad = [v for v in picked if v not in allowed]
            if bad:
                errors[f.name] = "Please pick from the list."
            data[f.name] = [v for v in picked if v in allowed]
            continue
        raw = (post.get(f.name) or "").strip()
        data[f.name] = raw
        if not raw:
            continue
        if len(raw) > f.max_length:
            errors[f.name] = f"Please keep this under {f.max_length} characters."
        elif f.kind == "choice" and raw not in {key for key, _ in f.choices}:
            errors[f.name] = "Please pick one of the choices."
        elif f.kind == "number":
            try:
                value = float(raw.replace(",", "."))
            except ValueError:
                value = math.nan
            if not math.isfinite(value):  # "nan", "inf" parse as floats but are not answers
                errors[f.name] = "Please enter a number."
                continue
            if (f.lo is not None and value < f.lo) or (f.hi is not None and value > f.hi):
                errors[f.name] = f"Please enter a number between {f.lo:g} and {f.hi:g}."
            else:
                data[f.name] = value
        elif f.kind == "phone" and sum(ch.isdigit() for ch in raw) < 7:
            errors[f.name] = "Please enter a phone number with at least 7 digits."
    if section.key == "history" and data.get("no_conditions") and data.get("conditions"):
        errors["no_conditions"] = "You checked a condition and also \"none of these\". Please uncheck one."
    return data, errors


def section_is_filled(data: dict[str, Any] | None) -> bool:
    return bool(data) and any(v not in ("", [], None) for v in (data or {}).values())
