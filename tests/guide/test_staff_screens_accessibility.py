"""WCAG 2.1 AA (axe-core, serious and critical) on the key staff screens: floor board, the visit
chart with vitals entry, and the scheduling day view."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from tests.accessibility import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def todays_visit(patient: Any, provider: Any, front_desk: Any) -> Any:
    from ketaclinic.courses.actions import do_create_course
    from ketaclinic.schedule.actions import do_book_visit, do_create_chair

    course = do_create_course(provider, patient, indication_code="F33.2", earliest_on=timezone.localdate())
    chair = do_create_chair(None, patient.clinic, "Chair 1")
    start = timezone.localtime(timezone.now(), patient.clinic.zone).replace(minute=0, second=0, microsecond=0)
    return do_book_visit(front_desk, course, chair, start)


@pytest.mark.parametrize("path", ["/infusions/", "/infusions/visit/{visit}/", "/schedule/"])
def test_key_staff_screens_have_no_serious_accessibility_violations(page: Any, browser_login: Any, nurse: Any,
                                                                     front_desk: Any, todays_visit: Any,
                                                                     path: str) -> None:
    from ketaclinic.accounts.actions import do_grant_role

    do_grant_role(None, todays_visit.clinic, nurse, "front_desk")  # one person sees all three screens
    browser_login(page, nurse)
    page.goto(page.base_url + path.format(visit=todays_visit.pk))
    assert page.get_by_role("heading", level=1).count() == 1
    assert serious_violations(page) == []


def test_a_nurse_charts_vitals_with_the_keyboard_only(page: Any, browser_login: Any, nurse: Any, front_desk: Any,
                                                      todays_visit: Any) -> None:
    from ketaclinic.infusions.actions import do_mark_arrived, do_take_patient
    from ketaclinic.infusions.models import VitalSign

    do_mark_arrived(front_desk, todays_visit)
    do_take_patient(nurse, todays_visit, todays_visit.chair)
    browser_login(page, nurse)
    page.goto(page.base_url + f"/infusions/visit/{todays_visit.pk}/")
    page.get_by_label("Systolic").focus()
    page.keyboard.type("128")
    for value in ("80", "72", "98", "14"):  # diastolic, heart rate, SpO2, breaths/min: Tab between them
        page.keyboard.press("Tab")
        page.keyboard.type(value)
    assert page.get_by_label("Breaths/min").input_value() == "14"
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submits the vitals form
    reading = VitalSign.objects.get(visit=todays_visit)
    assert (reading.systolic, reading.diastolic, reading.heart_rate, reading.spo2, reading.respiratory_rate) == \
        (128, 80, 72, 98, 14)
