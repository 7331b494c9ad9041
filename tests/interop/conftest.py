"""Fixtures for interop tests: API tokens, a chair with a bedside monitor and a visit in it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from typing import Any, TypeVar

import pytest
from django.test import Client
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.clinics.models import Clinic
from ketaclinic.courses.actions import do_create_course
from ketaclinic.interop.actions import do_create_api_token
from ketaclinic.patients.models import Patient
from ketaclinic.schedule.actions import do_book_visit, do_create_chair, do_set_visit_status
from ketaclinic.schedule.models import Chair, Visit
from tests.factories import make_staff

MONITOR_ID = "MON-0001"
T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a fresh thread: a browser test earlier in the same worker leaves Playwright's
    event loop running on the main thread, where asyncio.run refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result(60)


@contextmanager
def running_listener(process: Any, **ingestor: Any) -> Iterator[Any]:
    """An MLLP listener on a free port with its own event loop thread, stopped on exit."""
    from ketaclinic.interop.hl7.mllp import Ingestor, MLLPServer

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = MLLPServer(Ingestor(process, **ingestor), host="127.0.0.1", port=0)
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def read_token(clinic: Clinic, admin_user: User) -> str:
    """A read-only token of `clinic`."""
    return do_create_api_token(admin_user, clinic, name="Research export", scope="read")[1]


@pytest.fixture
def write_token(clinic: Clinic, admin_user: User) -> str:
    """A read-write token of `clinic`."""
    return do_create_api_token(admin_user, clinic, name="EHR referrals", scope="write")[1]


@pytest.fixture
def other_clinic_token(other_clinic: Clinic) -> str:
    """A read-write token of another clinic: must see nothing of `clinic`."""
    from ketaclinic.accounts.roles import Role

    other_admin = make_staff(other_clinic, Role.ADMIN)
    return do_create_api_token(other_admin, other_clinic, name="Other EHR", scope="write")[1]


@pytest.fixture
def api() -> Client:
    return Client()


@pytest.fixture
def monitored_chair(clinic: Clinic) -> Chair:
    return do_create_chair(None, clinic, "Chair 1", monitor_device_id=MONITOR_ID)


def book_visit(patient: Patient, chair: Chair, provider: User, front_desk: User, *, status: str = "in_chair",
               starts_at: Any = None, code: str = "F33.2", nurse: User | None = None) -> Visit:
    """A visit of `patient` in `chair`, built through the actions.

    "in_chair": today, marked arrived by the front desk and taken to the chair by `nurse` (the
    infusion-day actions). "booked": as booked. Any other status is a visit that already
    happened, recorded as such (`historical`).
    """
    now = timezone.now()
    midnight = datetime.combine(timezone.localdate(now, chair.clinic.zone), time(0), tzinfo=chair.clinic.zone)
    starts_at = starts_at or max(now - timedelta(minutes=20), midnight)
    course = patient.courses.first() or do_create_course(provider, patient, indication_code=code,
                                                         earliest_on=starts_at.date())
    visit = do_book_visit(front_desk, course, chair, starts_at)
    if status == "in_chair":
        from ketaclinic.infusions.actions.checkin import do_mark_arrived, do_take_patient

        if nurse is None:
            from ketaclinic.accounts.roles import Role

            nurse = make_staff(chair.clinic, Role.NURSE)
        do_mark_arrived(front_desk, visit)
        do_take_patient(nurse, visit, chair)
    elif status != "booked":
        do_set_visit_status(front_desk, visit, status, historical=True)
    return visit


@pytest.fixture
def visit_in_chair(patient: Patient, monitored_chair: Chair, provider: User, front_desk: User) -> Visit:
    """`patient` in the monitored chair right now (pre-checks)."""
    return book_visit(patient, monitored_chair, provider, front_desk)
