"""Helpers for preparation and notification tests: visits built through the real actions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from ketaclinic.courses.actions import do_create_course
from ketaclinic.schedule.actions import do_book_visit, do_create_chair
from ketaclinic.schedule.models import Chair, Visit


def book_visit(patient: Any, starts_at: datetime, *, provider: Any, booker: Any, now: datetime | None = None,
               chair_name: str = "Chair 1") -> Visit:
    """A booked visit for `patient` at `starts_at` (aware), with a course created by `provider`."""
    chair = Chair.objects.filter(clinic=patient.clinic, name=chair_name).first()
    if chair is None:
        chair = do_create_chair(None, patient.clinic, chair_name)
    course = patient.courses.first() or do_create_course(
        provider, patient, indication_code="F33.2", earliest_on=date(2026, 1, 1),
        now=(now or starts_at) - timedelta(days=2))
    return do_book_visit(booker, course, chair, starts_at, now=now or starts_at - timedelta(days=7))
