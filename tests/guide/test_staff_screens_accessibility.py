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
