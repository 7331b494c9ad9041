"""The intake questionnaire: sections, their fields, plain labels and validation.

Labels are English, marked for translation (`_` is gettext_noop here) and translated where the patient's page shows
them (`{% translate %}`), so the staff review keeps English. Validation messages are translated
when they are made (the active language is the patient's).

Each section is saved on its own (htmx autosave), so the spec validates one section's POST
and returns the cleaned data plus field errors; what was typed is kept either way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _  # marks labels only; pages translate them

from ketaclinic.protocol.eligibility import CONDITIONS

# Plain words for the condition vocabulary (patient sees these; the rules read the codes).
CONDITION_LABELS: dict[str, str] = {
    "uncontrolled_hypertension": _("High blood pressure that is not under control"),
    "aneurysmal_vascular_disease": _("An aneurysm (a bulge in a blood vessel)"),
    "arteriovenous_malformation": _("An arteriovenous malformation (AVM)"),
    "intracerebral_hemorrhage_history": _("Bleeding in the brain, ever"),
    "unstable_cardiac_disease": _("Chest pain (angina) or an irregular heartbeat that is not well controlled"),
    "recent_myocardial_infarction": _("A heart attack in the last 6 months"),
    "heart_failure": _("Heart failure"),
    "active_psychosis": _("Hearing or seeing things others do not, right now"),
    "schizophrenia": _("Schizophrenia or schizoaffective disorder"),
    "current_mania": _("A manic or hypomanic episode right now"),
    "bipolar_disorder": _("Bipolar disorder, or mania or hypomania in the past"),
    "ketamine_use_disorder": _("Problems with ketamine or PCP use"),
    "active_substance_use_disorder": _("Problems with alcohol or drug use right now"),
    "pregnancy": _("Pregnant"),
    "breastfeeding": _("Breastfeeding"),
    "ketamine_hypersensitivity": _("An allergic reaction to ketamine or esketamine"),
    "severe_hepatic_impairment": _("Serious liver disease"),
    "raised_intracranial_pressure": _("High pressure inside the head"),
    "raised_intraocular_pressure": _("High pressure in the eyes"),
    "glaucoma": _("Glaucoma"),
    "seizure_disorder": _("Seizures or epilepsy"),
    "hyperthyroidism": _("An overactive thyroid"),
    "obstructive_sleep_apnea": _("Sleep apnea"),
    "dementia": _("Dementia or serious memory problems"),
}
if set(CONDITION_LABELS) != set(CONDITIONS):  # a new rule condition needs a plain label first
    raise ImportError("screening.intake: CONDITION_LABELS does not match protocol.eligibility.CONDITIONS")

# Conditions asked in the history checklist (pregnancy and breastfeeding have their own section).
HISTORY_CONDITIONS = [c for c in CONDITIONS if c not in ("pregnancy", "breastfeeding")]

# What the patient picks → the ICD-10-CM code the rules read until a clinician gives a precise one.
INDICATION_CHOICES: list[tuple[str, str, str]] = [
    ("depression", _("Depression"), "F33.9"),
    ("anxiety", _("Anxiety (generalized anxiety disorder)"), "F41.1"),
    ("ptsd", _("PTSD (post-traumatic stress)"), "F43.10"),
    ("crps", _("Complex regional pain syndrome (CRPS)"), "G90.50"),
    ("chronic_pain", _("Other long-lasting pain"), "G89.29"),
    ("bipolar_depression", _("Depression with bipolar disorder"), "F31.30"),
]
INDICATION_CODES = {key: code for key, _label, code in INDICATION_CHOICES}

YES_NO = [("no", _("No")), ("yes", _("Yes"))]
PREGNANCY_CHOICES = [("no", _("No")), ("yes", _("Yes")), ("not_sure", _("Not sure")),
                     ("not_applicable", _("Does not apply to me"))]


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
    Section("about", _("About you"), _("How we can reach you."), (
        Field("preferred_name", _("Name you like to be called"), max_length=100),
        Field("address", _("Home address"), "textarea", max_length=500),
        Field("phone", _("Best phone number"), "phone", max_length=40),
    )),
    Section("emergency", _("Emergency contact"), _("Someone we can call if we need to."), (
        Field("name", _("Their name"), max_length=200),
        Field("relationship", _("How you know them"), max_length=100),
        Field("phone", _("Their phone number"), "phone", max_length=40),
    )),
    Section("indications", _("Why you are coming to us"), _("Pick all that apply."), (
        Field("conditions", _("What would you like help with?"), "multi",
              [(key, label) for key, label, _code in INDICATION_CHOICES]),
        Field("details", _("Tell us more, in your own words"), "textarea"),
    )),
    Section("treatments", _("Treatments you have tried"),
            _("List medicines for your mood on the next part of this page."), (
        Field("therapy", _("Talk therapy you have had"), "textarea"),
        Field("other", _("Other treatments (for example TMS, ECT, esketamine)"), "textarea"),
    )),
    Section("history", _("Your health history"), _("Check any that you have now or had before."), (
        Field("conditions", _("Conditions"), "multi", [(c, CONDITION_LABELS[c]) for c in HISTORY_CONDITIONS]),
        Field("no_conditions", _("If none"), "multi", [("yes", _("I have none of these"))]),
        Field("other_conditions", _("Other illnesses"), "textarea"),
        Field("surgeries", _("Surgeries or hospital stays"), "textarea"),
    )),
    Section("family", _("Family health history"), _("Health problems in your parents, brothers or sisters."), (
        Field("details", _("Family history"), "textarea"),
    )),
    Section("allergies", _("Allergies"), _("Medicines, foods, latex or anything else."), (
        Field("details", _("Allergies and what happened"), "textarea"),
    )),
    Section("body", _("Height and weight"), _("We use these to work out your dose."), (
        Field("height_cm", _("Height (cm)"), "number", help=_("5 feet 6 inches is about 168 cm."), lo=100, hi=230),
        Field("weight_kg", _("Weight (kg)"), "number", help=_("150 pounds is about 68 kg."), lo=30, hi=300),
    )),
    Section("substances", _("Alcohol and drugs"), _("Your answers help keep you safe. They stay in your chart."), (
        Field("alcohol", _("How much alcohol do you drink in a week?"), max_length=200),
        Field("cannabis", _("Do you use cannabis (marijuana)?"), "choice", YES_NO),
        Field("other", _("Other drugs, including ketamine outside a clinic"), "textarea"),
    )),
    Section("pregnancy", _("Pregnancy"), _("Ketamine may harm an unborn baby."), (
        Field("pregnant", _("Are you pregnant, or could you be?"), "choice", PREGNANCY_CHOICES),
        Field("breastfeeding", _("Are you breastfeeding?"), "choice", YES_NO),
    )),
    Section("reactions", _("Past reactions"), _("Reactions to ketamine or to anesthesia (being put to sleep)."), (
        Field("ketamine_allergy", _("Have you had an allergic reaction to ketamine?"), "choice", YES_NO),
        Field("details", _("Other reactions to ketamine or anesthesia"), "textarea"),
    )),
    Section("goals", _("Your goals"), _("What would you like to be different after treatment?"), (
        Field("goals", _("Your goals"), "textarea"),
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
            allowed = {key for key, _label in f.choices}
            picked = [v for v in post.getlist(f.name) if v]
            bad = [v for v in picked if v not in allowed]
            if bad:
                errors[f.name] = gettext("Please pick from the list.")
            data[f.name] = [v for v in picked if v in allowed]
            continue
        raw = (post.get(f.name) or "").strip()
        data[f.name] = raw
        if not raw:
            continue
        if len(raw) > f.max_length:
            errors[f.name] = gettext("Please keep this under %(count)d characters.") % {"count": f.max_length}
        elif f.kind == "choice" and raw not in {key for key, _label in f.choices}:
            errors[f.name] = gettext("Please pick one of the choices.")
        elif f.kind == "number":
            try:
                value = float(raw.replace(",", "."))
            except ValueError:
                value = math.nan
            if not math.isfinite(value):  # "nan", "inf" parse as floats but are not answers
                errors[f.name] = gettext("Please enter a number.")
                continue
            if (f.lo is not None and value < f.lo) or (f.hi is not None and value > f.hi):
                errors[f.name] = gettext("Please enter a number between %(low)s and %(high)s.") % {
                    "low": f"{f.lo:g}", "high": f"{f.hi:g}"}
            else:
                data[f.name] = value
        elif f.kind == "phone" and sum(ch.isdigit() for ch in raw) < 7:
            errors[f.name] = gettext("Please enter a phone number with at least 7 digits.")
    if section.key == "history" and data.get("no_conditions") and data.get("conditions"):
        errors["no_conditions"] = gettext("You checked a condition and also \"none of these\". Please uncheck one.")
    return data, errors


def section_is_filled(data: dict[str, Any] | None) -> bool:
    return bool(data) and any(v not in ("", [], None) for v in (data or {}).values())
