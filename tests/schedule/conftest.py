"""Fixtures for the schedule tests: a clinic with chairs, hours and nurse shifts, and courses."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from ketaclinic.accounts.models import User
from ketaclinic.clinics.models import Clinic
from ketaclinic.courses.actions import do_create_course
from ketaclinic.courses.models import CourseKind, TreatmentCourse
from ketaclinic.patients.models import Patient
from ketaclinic.schedule.actions import do_add_nurse_shift, do_create_chair, do_set_opening_hours
from ketaclinic.schedule.models import Chair

# A Monday well in the future; tests travel to the Friday before it.
MONDAY = date(2027, 1, 4)


def booster(provider: Any, patient: Any, earliest: date, latest: date) -> TreatmentCourse:
    """A single-visit maintenance course that may start between `earliest` and `latest`."""
    return do_create_course(provider, patient, indication_code="F33.2", kind=CourseKind.MAINTENANCE,
                            earliest_on=earliest, latest_start_on=latest)


def local(clinic: Clinic, day: date, hhmm: str) -> datetime:
    """An aware datetime for a clinic-local wall clock time."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=clinic.zone)


@pytest.fixture
def chairs(clinic: Clinic, nurse: User) -> list[Chair]:
    """Two chairs, open Mon-Fri 08:00-18:00, one nurse on shift 08:00-18:00 for four weeks."""
    made = [do_create_chair(None, clinic, "Chair 1"), do_create_chair(None, clinic, "Chair 2")]
    for weekday in range(5):
        do_set_opening_hours(None, clinic, weekday, time(8), time(18))
    for offset in range(28):
        day = MONDAY + timedelta(days=offset)
        if day.weekday() < 5:
            do_add_nurse_shift(None, clinic, nurse, local(clinic, day, "08:00"), local(clinic, day, "18:00"))
    return made


@pytest.fixture
def course(patient: Patient, provider: User) -> TreatmentCourse:
    return do_create_course(provider, patient, indication_code="F33.2", earliest_on=MONDAY)


@pytest.fixture
def other_course(other_patient: Patient, provider: User) -> TreatmentCourse:
    return do_create_course(provider, other_patient, indication_code="F33.2", earliest_on=MONDAY)


@pytest.fixture
def at() -> Any:
    return local
