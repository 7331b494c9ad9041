"""Request and response shapes of the JSON API (they are the OpenAPI schema)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime, BeforeValidator

# Bounded so no value from outside can overflow the database or a date conversion.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# Printable text only: NUL and other control characters are refused before they reach the database.
PLAIN = r"^[^\x00-\x1f\x7f]*$"


def _utc_or_clamped(value: datetime) -> datetime:
    """In UTC; an instant beyond year 1 or 9999 once in UTC is clamped (it only bounds a filter)."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC) if value.year < 2000 else datetime.max.replace(tzinfo=UTC)


def _reasonable_birth_date(value: date) -> date:
    if not date(1900, 1, 1) <= value <= timezone.localdate():
        raise ValueError("must be a past date after 1900")
    return value


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _iso_date_text(value: object) -> object:
    # Only "YYYY-MM-DD" text: pydantic would otherwise read a number as seconds since 1970.
    if isinstance(value, str) and _ISO_DATE.match(value):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


def _iso_instant_text(value: object) -> object:
    if isinstance(value, str) and _ISO_INSTANT.match(value):
        return value
    raise ValueError("must be a date and time with its UTC offset, e.g. 2026-03-02T09:00:00-05:00")


Instant = Annotated[AwareDatetime, BeforeValidator(_iso_instant_text), AfterValidator(_utc_or_clamped)]
BirthDate = Annotated[date, BeforeValidator(_iso_date_text), AfterValidator(_reasonable_birth_date)]
# Agrees with Django's EmailValidator, so a schema-valid address is never refused later.
EMAIL = (r"^$|^[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@"
         r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")


class ErrorOut(Schema):
    detail: str | list[dict[str, Any]] = Field(..., description="What went wrong (or a list of field errors).")


class MeOut(Schema):
    kind: Literal["token", "session"]
    name: str
    clinic_ids: list[int]
    scope: Literal["read", "write"]


class PatientOut(Schema):
    id: int
    clinic_id: int
    first_name: str
    last_name: str
    date_of_birth: date
    sex_at_birth: str
    email: str
    phone: str
    preferred_language: str
    stage: str
    created_at: datetime


class PatientIn(Schema):
    first_name: str = Field(..., min_length=1, max_length=100, pattern=PLAIN)
    last_name: str = Field(..., min_length=1, max_length=100, pattern=PLAIN)
    date_of_birth: BirthDate
    sex_at_birth: Literal["female", "male"]
    email: str = Field("", max_length=254, pattern=EMAIL)
    phone: str = Field("", max_length=40, pattern=PLAIN)
    preferred_language: Literal["en", "es"] = "en"


class CourseOut(Schema):
    id: int
    patient_id: int
    kind: str
    status: str
    indication_code: str
    planned_visits: int
    earliest_on: date
    created_at: datetime


class VisitOut(Schema):
    id: int
    patient_id: int
    course_id: int
    number: int
    chair_id: int | None
    chair_name: str | None
    starts_at: datetime
    ends_at: datetime
    status: str


class ChairOut(Schema):
    id: int
    name: str
    monitor_device_id: str
    active: bool


class VitalOut(Schema):
    id: int
    visit_id: int
    taken_at: datetime
    phase: str
    systolic: int | None
    diastolic: int | None
    heart_rate: int | None
    spo2: int | None
    respiratory_rate: int | None
    source: str
    device_id: str
    confirmed_at: datetime | None


class VitalIn(Schema):
    systolic: int | None = Field(None, ge=0, le=400)
    diastolic: int | None = Field(None, ge=0, le=300)
    heart_rate: int | None = Field(None, ge=0, le=400)
    spo2: int | None = Field(None, ge=0, le=100)
    respiratory_rate: int | None = Field(None, ge=0, le=100)
    taken_at: Instant | None = Field(None, description="When measured (default: now); not in the future.")
    source: Literal["manual", "monitor"] = Field("monitor", description="monitor: waits for a nurse to confirm")
    device_id: str = Field("", max_length=64, pattern=PLAIN)


class ObservationOut(Schema):
    id: int
    visit_id: int
    kind: str
    value: int | None
    text: str
    observed_at: datetime


class QuestionnaireOut(Schema):
    id: int
    patient_id: int
    instrument: str
    answers: list[int | str | None]
    total: int | None
    severity: str
    severity_label: str
    answered_at: datetime
    visit_id: int | None
    course_id: int | None


class Page(Schema):
    count: int = Field(..., description="How many match, over all pages.")


class PatientPage(Page):
    items: list[PatientOut]


class CoursePage(Page):
    items: list[CourseOut]


class VisitPage(Page):
    items: list[VisitOut]


class ChairPage(Page):
    items: list[ChairOut]


class VitalPage(Page):
    items: list[VitalOut]


class ObservationPage(Page):
    items: list[ObservationOut]


class QuestionnairePage(Page):
    items: list[QuestionnaireOut]
