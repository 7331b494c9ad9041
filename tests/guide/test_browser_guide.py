"""A new patient, in Spanish and in English, reads the right pages; staff see reading status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ketaclinic.courses.actions import do_create_course
from ketaclinic.patients.models import Stage
from ketaclinic.schedule.actions import do_book_visit, do_create_chair
from tests.accessibility import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def approved_and_booked(patient: Any, provider: Any, front_desk: Any) -> Any:
    patient.stage = Stage.APPROVED
    patient.save()
    course = do_create_course(provider, patient, indication_code="F33.2", earliest_on=timezone.localdate())
    chair = do_create_chair(None, patient.clinic, "Chair 1")
    do_book_visit(front_desk, course, chair, timezone.now() + timedelta(days=2))
    return patient


def test_spanish_patient_reads_the_preparation_page_on_a_phone(page: Any, browser_login: Any, tmp_path: Any,
                                                                approved_and_booked: Any, nurse: Any) -> None:
    patient = approved_and_booked
    patient.preferred_language = "es"
    patient.save()
    page.set_viewport_size({"width": 360, "height": 740})
    browser_login(page, patient.user)
    expect(page.get_by_role("heading", name="Hola, Maya")).to_be_visible()
    panel = page.locator("section", has=page.get_by_role("heading", name="Lecturas para usted"))
    panel.get_by_role("link", name="Antes de su visita").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Antes de su visita"
    assert "6 horas" in page.content()
    assert serious_violations(page) == []
    page.screenshot(path=str(tmp_path / "guide-phone-es.png"))  # the docs copy is committed by hand

    staff = page.context.browser.new_context().new_page()
    staff.base_url = page.base_url
    browser_login(staff, nurse)
    staff.goto(page.base_url + "/guide/reading/")
    row = staff.get_by_role("row", name="Maya Reyes")
    assert "Read" in row.inner_text() and "Not read" not in row.inner_text()


def test_english_patient_switches_language_and_pages_follow(page: Any, browser_login: Any, tmp_path: Any,
                                                            approved_and_booked: Any) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    browser_login(page, approved_and_booked.user)
    page.get_by_role("link", name="Read the patient guide").click()
    page.get_by_role("link", name="After your infusion").click()
    expect(page.get_by_role("heading", name="Call 911 right away if you have")).to_be_visible()
    assert serious_violations(page) == []
    page.screenshot(path=str(tmp_path / "guide-phone-en.png"))
    page.goto(page.base_url + "/")
    page.get_by_role("button", name="Español").click()
    expect(page.get_by_role("heading", name="Hola, Maya")).to_be_visible()


def test_patient_home_and_sign_in_pages_pass_axe(page: Any, browser_login: Any, patient: Any) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(page.base_url + "/accounts/login/")
    assert serious_violations(page) == []
    browser_login(page, patient.user)
    assert serious_violations(page) == []
