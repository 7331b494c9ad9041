"""Fixtures for the outcomes tests: an induction course built through the real actions, and
helpers that submit questionnaires through `do_submit_questionnaire`."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from ketaclinic.accounts.models import User
from ketaclinic.clinics.models import Clinic
from ketaclinic.courses.actions import do_create_course
from ketaclinic.courses.models import TreatmentCourse
from ketaclinic.outcomes.actions import do_submit_questionnaire
from ketaclinic.outcomes.models import QuestionnaireResponse
from ketaclinic.patients.actions import do_set_patient_stage
from ketaclinic.patients.models import Patient
from ketaclinic.schedule.actions import do_book_visit, do_create_chair, do_set_opening_hours, do_set_visit_status
from ketaclinic.schedule.models import Chair, Visit, VisitStatus

# Induction Mon 2027-01-04 … Mon 2027-01-18 (Mon/Wed/Fri at 09:00 New York).
START = date(2027, 1, 4)
_keys = itertools.count(1)


def local(clinic: Clinic, day: date, hhmm: str = "09:00") -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=clinic.zone)


def course_days(start: date, count: int) -> list[date]:
    days: list[date] = []
    day = start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
            day += timedelta(days=2)
        else:
            day += timedelta(days=1)
    return days


def phq9(total: int, item9: int = 0) -> list[int | None]:
    """PHQ-9 answers with the given total (item 9 as given), spread over items 1-8."""
    rest = total - item9
    answers = []
    for _ in range(8):
        step = min(3, rest)
        answers.append(step)
        rest -= step
    assert rest == 0, "total too high for the item 9 value"
    return [*answers, item9]


@pytest.fixture
def chair(clinic: Clinic) -> Chair:
    chair = do_create_chair(None, clinic, "Chair 1")
    for weekday in range(5):
        do_set_opening_hours(None, clinic, weekday, time(8), time(18))
    return chair


@pytest.fixture
def make_course(clinic: Clinic, chair: Chair, provider: User, front_desk: User,
                nurse: User) -> Callable[..., tuple[TreatmentCourse, list[Visit]]]:
    """make_course(patient, start=START, done=6, indication="F33.2") → (course, visits): an induction
    course of 6 visits booked through the actions, the first `done` of them discharged."""

    def build(patient: Patient, start: date = START, done: int = 6, indication: str = "F33.2",
              hhmm: str = "09:00") -> tuple[TreatmentCourse, list[Visit]]:
        course = do_create_course(provider, patient, indication_code=indication, earliest_on=start,
                                  now=local(clinic, start) - timedelta(days=10))
        visits = []
        for n, day in enumerate(course_days(start, course.planned_visits), start=1):
            visit = do_book_visit(front_desk, course, chair, local(clinic, day, hhmm), number=n,
                                  now=local(clinic, start) - timedelta(days=9))
            if n <= done:
                do_set_visit_status(nurse, visit, VisitStatus.DISCHARGED, now=visit.ends_at, historical=True)
            visits.append(visit)
        do_set_patient_stage(None, patient, "induction")
        return course, visits

    return build


@pytest.fixture
def submit() -> Callable[..., QuestionnaireResponse]:
    """submit(user, patient, instrument, answers, at) through the action, with a fresh key."""

    def go(user: User, patient: Patient, instrument: str, answers: Sequence[int | None], at: datetime,
           **kwargs: Any) -> QuestionnaireResponse:
        kwargs.setdefault("source", "portal" if patient.user_id == user.pk else "staff")
        return do_submit_questionnaire(user, patient, instrument, list(answers), submission_key=f"k{next(_keys)}",
                                       answered_at=at, now=at, **kwargs)

    return go
