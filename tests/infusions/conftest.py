"""Fixtures for the infusion-day tests: a visit on today's floor, built through the real actions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

# Today at the clinic: Thursday 2026-11-26 in New York. Visits start at 09:00.
NOON = datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo("America/New_York"))


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def chair(clinic: Any) -> Any:
    from ketaclinic.schedule.actions import do_create_chair

    return do_create_chair(None, clinic, "Chair 1", monitor_device_id="MON-01")


@pytest.fixture
def nurse2(clinic: Any) -> Any:
    """A second nurse: witnesses waste, co-signs as a licensed user."""
    from ketaclinic.accounts.roles import Role
    from tests.factories import make_staff

    return make_staff(clinic, Role.NURSE, full_name="Nadia Second", credentials="RN")


def book_visit(patient: Any, chair: Any, provider: Any, front_desk: Any, start: datetime, status: str = "arrived",
               number: int = 1) -> Any:
    from ketaclinic.courses.actions import do_create_course
    from ketaclinic.schedule.actions import do_book_visit, do_set_visit_status

    course = patient.courses.first() or do_create_course(provider, patient, indication_code="F33.2",
                                                         earliest_on=start.date() - timedelta(days=30))
    visit = do_book_visit(front_desk, course, chair, start, number=number, now=start - timedelta(days=7))
    if status != "booked":
        do_set_visit_status(front_desk, visit, status, now=start, historical=True)
    return visit


@pytest.fixture
def visit(frozen: Any, patient: Any, chair: Any, provider: Any, front_desk: Any) -> Any:
    """`patient`'s visit today at 09:00 in Chair 1; they have arrived."""
    return book_visit(patient, chair, provider, front_desk, datetime.combine(date(2026, 11, 26), time(9, 0),
                                                                            tzinfo=ZoneInfo("America/New_York")))


def at(hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11, 26, hh, mm, tzinfo=ZoneInfo("America/New_York"))


def complete_checkin(nurse: Any, visit: Any, **overrides: Any) -> Any:
    """Every gate item met the way a nurse would record it (times relative to 09:00 today)."""
    from ketaclinic.infusions.actions import do_record_checkin, do_record_vitals

    values: dict[str, Any] = {
        "health_update_reviewed": True, "weight_kg": "80", "height_cm": "170",
        "last_solid_food_at": at(0, 0) - timedelta(hours=4), "last_clear_liquids_at": at(6, 30),
        "no_alcohol_or_drugs": True, "medications_taken": "sertraline 50 mg", "medications_confirmed": True,
        "ride_name": "Sam Reyes", "ride_phone": "555-0111", "ride_confirmed": True, "pregnancy": "negative",
    }
    values.update(overrides)
    sign_consent(visit.patient)
    checkin = do_record_checkin(nurse, visit, now=at(9, 5), **values)
    do_record_vitals(nurse, visit, systolic=124, diastolic=78, heart_rate=70, spo2=98, respiratory_rate=14,
                     now=at(9, 8))
    return checkin


@pytest.fixture
def ready_visit(visit: Any, nurse: Any, provider: Any) -> Any:
    """`visit` in Chair 1 with the check-in done and a signed standard order (0.5 mg/kg over 40 min)."""
    from ketaclinic.infusions.actions import do_order_dose, do_take_patient, parse_request

    do_take_patient(nurse, visit, visit.chair, now=at(9, 2))
    complete_checkin(nurse, visit)
    do_order_dose(provider, visit, parse_request(dose_mg_per_kg="0.5", weight_basis="actual",
                                                 concentration_mg_per_ml="10", bag_volume_ml="100",
                                                 duration_minutes="40"), now=at(9, 12))
    return visit


def sign_consent(patient: Any) -> None:
    """The patient signs the clinic's consent in the portal (the consent app's own action)."""
    from django.utils import timezone

    from ketaclinic.consent.actions import do_ensure_consent_template, do_sign_consent

    template = do_ensure_consent_template(None, patient.clinic, now=at(8, 0) - timedelta(days=10))
    signed_at = at(8, 0) - timedelta(days=9)
    do_sign_consent(patient.user, patient, template_version=template.version, language="en",
                    typed_name=patient.display_name, signed_on=timezone.localdate(signed_at, patient.clinic.zone),
                    agreed=True, now=signed_at)
