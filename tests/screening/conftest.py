"""Screening fixtures: a patient whose intake is filled in through the actions, like the portal does."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from ketaclinic.accounts.models import User
from ketaclinic.patients.models import Patient
from ketaclinic.screening import actions
from ketaclinic.screening.models import ScreeningCase

GOOD_SECTIONS: dict[str, dict[str, Any]] = {
    "emergency": {"name": "Sam Reyes", "relationship": "brother", "phone": "555-0101"},
    "indications": {"conditions": ["depression"], "details": "Low mood for two years."},
    "history": {"conditions": [], "no_conditions": ["yes"], "other_conditions": "", "surgeries": ""},
    "body": {"height_cm": 165.0, "weight_kg": 70.0},
    "pregnancy": {"pregnant": "no", "breastfeeding": "no"},
    "reactions": {"ketamine_allergy": "no", "details": ""},
}


def fill_intake(user: Any, patient: Patient, *, conditions: list[str] | None = None, bp: tuple[int, int] = (122, 78),
                medications: tuple[str, ...] = ("sertraline 100 mg daily",), trials: bool = True) -> None:
    """A complete intake (as the patient, or staff on their behalf)."""
    for key, data in GOOD_SECTIONS.items():
        if key == "history" and conditions:
            data = {**data, "conditions": conditions, "no_conditions": []}
        actions.do_save_intake_section(user, patient, key, dict(data))
    for med in medications:
        name, _, dose = med.partition(" ")
        actions.do_add_medication(user, patient, name=name, dose=dose)
    if trials:
        actions.do_add_antidepressant_trial(user, patient, drug="sertraline", dose="100 mg", weeks=8,
                                            response="none")
        actions.do_add_antidepressant_trial(user, patient, drug="escitalopram", dose="20 mg", weeks=10,
                                            response="partial")
    if bp:
        actions.do_record_baseline_vitals(user, patient, systolic=bp[0], diastolic=bp[1], heart_rate=72)


def submitted(patient: Patient, **kwargs: Any) -> Patient:
    """The patient's intake filled and sent for review (as the patient)."""
    fill_intake(patient.user, patient, **kwargs)
    actions.do_submit_intake(patient.user, patient)
    return patient


def approve(provider: User, patient: Patient, reason: str = "Good candidate; TRD.") -> Any:
    latest = patient.eligibility_assessments.order_by("-version").first()
    return actions.do_decide_screening(provider, patient, decision="approve", reason=reason,
                                       acknowledge=[i for i, _ in latest.findings_to_acknowledge()] if latest else [])


@pytest.fixture
def submitted_patient(patient: Patient) -> Patient:
    return submitted(patient)


@pytest.fixture
def approved_patient(submitted_patient: Patient, provider: User) -> Patient:
    approve(provider, submitted_patient)
    return submitted_patient


def case_of(patient: Patient) -> ScreeningCase:
    return ScreeningCase.objects.filter(patient=patient).latest("created_at")


def local(clinic: Any, day: date, hhmm: str) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=clinic.zone)


def tomorrow_at(clinic: Any, hhmm: str = "09:00") -> datetime:
    from django.utils import timezone

    return local(clinic, timezone.localdate(timezone=clinic.zone) + timedelta(days=1), hhmm)
