"""Whole journeys in headless Chromium: the front desk books and moves a visit; a patient
reschedules and cancels on their phone."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ketaclinic.courses.actions import do_create_course
from ketaclinic.schedule.actions import do_add_nurse_shift, do_book_visit, do_create_chair, do_set_opening_hours
from ketaclinic.schedule.models import Visit, VisitStatus
from tests.schedule.conftest import local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def next_monday(clinic: Any) -> date:
    today = timezone.localdate(timezone=clinic.zone)
    return today + timedelta(days=7 - today.weekday())


@pytest.fixture
def open_clinic(clinic: Any, nurse: Any) -> list[Any]:
    chairs = [do_create_chair(None, clinic, "Chair 1"), do_create_chair(None, clinic, "Chair 2")]
    for weekday in range(5):
        do_set_opening_hours(None, clinic, weekday, time(8), time(18))
    start = next_monday(clinic)
    for offset in range(21):
        day = start + timedelta(days=offset)
        if day.weekday() < 5:
            do_add_nurse_shift(None, clinic, nurse, local(clinic, day, "08:00"), local(clinic, day, "18:00"))
    return chairs


def test_front_desk_books_and_moves_a_visit(page: Any, browser_login: Any, front_desk: Any, provider: Any,
                                            patient: Any, open_clinic: Any, clinic: Any) -> None:
    monday = next_monday(clinic)
    course = do_create_course(provider, patient, indication_code="F33.2", earliest_on=monday)
    browser_login(page, front_desk)
    page.get_by_role("link", name="Schedule").click()
    page.goto(page.base_url + f"/schedule/?date={monday.isoformat()}")
    page.get_by_role("link", name="Book a visit").click()
    page.get_by_label("Patient and course").select_option(str(course.pk))
    page.get_by_label("Chair").select_option(label="Chair 1")
    page.get_by_label("Date").fill(monday.isoformat())
    page.get_by_label("Start time").fill("17:00")  # too late: the visit would end after closing
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_role("alert").filter(has_text="must fit between 08:00 and 18:00")).to_be_visible()
    page.get_by_label("Start time").fill("09:00")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text(re.compile("Booked Maya Reyes in Chair 1"))).to_be_visible()
    expect(page.get_by_text("Reyes, Maya")).to_be_visible()
    page.get_by_role("link", name="Move Maya Reyes").click()
    page.get_by_label("Chair").select_option(label="Chair 2")
    page.get_by_label("Start time").fill("10:30")
    page.get_by_label("Reason (kept in the audit log)").fill("Patient asked for later")
    page.get_by_role("button", name="Move").click()
    expect(page.get_by_text(re.compile("Moved visit to"))).to_be_visible()
    visit = Visit.objects.get()
    assert visit.chair == open_clinic[1] and visit.starts_at == local(clinic, monday, "10:30")


def test_patient_reschedules_and_cancels_on_a_phone(page: Any, browser_login: Any, front_desk: Any,
                                                    provider: Any, patient: Any, open_clinic: Any,
                                                    clinic: Any) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    monday = next_monday(clinic)
    course = do_create_course(provider, patient, indication_code="F33.2", earliest_on=monday)
    visits = [do_book_visit(front_desk, course, open_clinic[0], local(clinic, monday + timedelta(days=d), "09:00"))
              for d in (0, 2, 4)]
    browser_login(page, patient.user)
    page.get_by_role("link", name="See or change my visits").click()  # from the "Your next visit" panel
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling on a phone
    friday = monday + timedelta(days=4)
    page.get_by_role("link", name=f"Change time of visit on {friday:%B} {friday.day}").click()
    page.get_by_role("group", name=f"{friday:%A, %B} {friday.day}").get_by_label("1:00 PM").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Move my visit").click()
    expect(page.get_by_text(re.compile("Your visit is now on Friday"))).to_be_visible()
    visits[2].refresh_from_db()
    assert visits[2].starts_at == local(clinic, friday, "13:00")
    wednesday = monday + timedelta(days=2)
    page.get_by_role("link", name=f"Cancel visit on {wednesday:%B} {wednesday.day}").click()
    page.get_by_label("Why are you cancelling? (optional)").fill("I have the flu")
    page.get_by_role("button", name="Cancel my visit").click()
    expect(page.get_by_text(re.compile("Your visit is cancelled"))).to_be_visible()
    visits[1].refresh_from_db()
    assert visits[1].status == VisitStatus.CANCELLED and visits[1].cancelled_reason == "I have the flu"
