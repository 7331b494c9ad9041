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
        do_set_visit_status(front_desk, visit, status, now=start)
    return visit


@pytest.fixture
def visit(frozen: Any, patient: Any, chair: Any, provider: Any, front_desk: Any) -> Any:
    """`patient`'s visit today at 09:00 in Chair 1; they have arrived."""
    return book_visit(patient, chair, provider, front_desk, datetime.combine(date(2026, 11, 26), time(9, 0),
                                                                            tzinfo=ZoneInfo("America/New_York")))


def at(hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11, 26, hh, mm, tzinfo=ZoneInfo("America/New_York"))
