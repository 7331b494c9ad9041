"""Signing in through the real pages in headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_sign_in_with_two_step_code_reaches_todays_screen(page: Any, browser_login: Any, nurse: Any) -> None:
    browser_login(page, nurse)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Harbor Ketamine Clinic")


def test_new_staff_member_is_sent_to_set_up_two_step_sign_in(page: Any, nurse: Any) -> None:
    from tests.factories import PASSWORD

    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("Email").fill(nurse.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    page.goto(page.base_url + "/patients/")  # every staff page insists on it
    assert "/accounts/two-factor/setup/" in page.url


def test_patient_signs_in_to_their_portal(page: Any, browser_login: Any, patient: Any) -> None:
    browser_login(page, patient.user)
    expect(page.get_by_role("heading", name="Hello, Maya")).to_be_visible()
    assert "988" in page.content()
