"""Browser journey: a booked patient opens the timeline, confirms the ride and answers the
health update, and the front desk's readiness list (left open) turns the visit to Ready."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.preparation.helpers import book_visit


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_patient_gets_ready_and_the_front_desk_sees_it(page: Any, browser: Any, browser_login: Any, patient: Any,
                                                       provider: Any, front_desk: Any, monkeypatch: Any) -> None:
    from ketaclinic.preparation import staff_views

    monkeypatch.setattr(staff_views, "POLL_SECONDS", 1)  # poll every second instead of 30
    zone = patient.clinic.zone
    tomorrow = timezone.localdate(timezone=zone) + timedelta(days=1)
    visit = book_visit(patient, datetime.combine(tomorrow, time(10), tzinfo=zone), provider=provider,
                       booker=front_desk)

    desk_context = browser.new_context(viewport={"width": 1280, "height": 900})
    desk = desk_context.new_page()
    desk.set_default_timeout(10_000)
    desk.base_url = page.base_url
    browser_login(desk, front_desk)
    desk.goto(page.base_url + "/preparation/readiness/?day=tomorrow")
    row = desk.locator(f"#visit-{visit.pk}")
    expect(row).to_contain_text("Health update pending")
    expect(row).to_contain_text("Ride unconfirmed")

    # The patient, on a phone-sized screen.
    page.set_viewport_size({"width": 360, "height": 800})
    browser_login(page, patient.user)
    page.get_by_role("link", name="See your full plan").click()
    expect(page.get_by_role("heading", name="Your timeline")).to_be_visible()
    # 6 real hours before 10:00 (04:00, or 03:00/05:00 when the clocks change that night)
    solids = (visit.starts_at - timedelta(hours=6)).astimezone(zone)
    expected = f"Stop eating solid food by {solids.hour}:00 AM"
    expect(page.locator(".step-last_solid_food").get_by_text(expected)).to_be_visible()
    page.get_by_role("link", name="Confirm your ride home").click()
    page.get_by_label("An adult I know will drive me home").check()
    page.get_by_label("Name of the adult taking you home").fill("Sam Reyes")
    page.get_by_label("Their phone number").fill("207-555-0188")
    page.get_by_label("How do you know them?").fill("brother")
    page.get_by_label("I confirm this person will take me home after this visit.").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your ride home is confirmed.")).to_be_visible()

    page.get_by_role("link", name="Fill in your health update").click()
    for question in ("have you been sick", "surgery or a hospital stay", "any new symptoms",
                     "changed any medicines"):
        page.get_by_role("group", name=question).get_by_label("No").check()
    page.get_by_role("group", name="Could you be pregnant?").get_by_label("Does not apply to me").check()
    page.get_by_role("button", name="Send my update").click()
    expect(page.get_by_text("We got your health update.")).to_be_visible()

    # The front desk page was never reloaded: htmx polling brings the change in.
    desk.locator(f'#visit-{visit.pk}[data-status="ready"]').wait_for()
    expect(desk.locator(f"#visit-{visit.pk}")).to_contain_text("Sam Reyes")
    desk_context.close()
