"""The whole journey in headless Chromium: a patient signs consent, writes, reports how they feel the
morning after an infusion (urgent), reports thoughts of self-harm (crisis guidance), and a nurse
triages from the top of the inbox and answers."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _report(page: Any, rows: dict[str, tuple[str, str | None]], note: str) -> None:
    page.get_by_role("link", name="Messages", exact=True).click()
    page.get_by_role("link", name="Tell us how you feel").click()
    for label, (severity, onset) in rows.items():
        page.locator("fieldset", has_text=label).get_by_label(severity, exact=True).check()
        if onset:
            page.get_by_label(f"{label}: when did it start?").select_option(onset)
    page.get_by_label("Anything else you want us to know?").fill(note)
    page.get_by_role("button", name="Send to my care team").click()


def test_patient_signs_writes_reports_and_nurse_triages(page: Any, browser_login: Any, patient: Any, nurse: Any,
                                                         infused_visit: Any) -> None:
    zone = patient.clinic.zone
    today = timezone.localdate(timezone=zone)
    infused_visit(patient, datetime.combine(today - timedelta(days=1), time(10, 0), tzinfo=zone))

    # 1. Consent, from the home panel.
    browser_login(page, patient.user)
    expect(page.get_by_role("heading", name="Please read and sign your consent")).to_be_visible()
    page.get_by_role("link", name="Read and sign").click()
    expect(page.get_by_role("heading", name="No driving until the next day")).to_be_visible()
    page.get_by_label("I have read this form.").check()
    page.get_by_label("Type your full name to sign").fill("Maya Reyes")
    page.get_by_label("Today's date").fill(today.isoformat())
    page.get_by_role("button", name="Sign my consent").click()
    expect(page.get_by_text("Your consent is signed and saved")).to_be_visible()
    expect(page.get_by_role("link", name="Download a copy").first).to_be_visible()

    # 2. A message, with the office hours shown before sending.
    page.get_by_role("link", name="Messages", exact=True).click()
    page.get_by_role("link", name="Write to your care team").click()
    expect(page.get_by_role("heading", name="When we answer")).to_be_visible()
    page.get_by_label("What is it about?").select_option("medicine")
    page.get_by_label("Subject").fill("Sertraline before my visit")
    page.get_by_label("Your message").fill("Do I take sertraline the morning of my next infusion?")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Your message was sent")).to_be_visible()

    # 3. The morning after the infusion things still look strange: urgent, with same-day guidance.
    _report(page, {"Things still look, sound or feel strange or unreal": ("Mild", "infusion_day"),
                   "Headache": ("Mild", "infusion_day")}, "Everything still looks far away.")
    expect(page.get_by_role("heading", name="A nurse needs to check on you today")).to_be_visible()
    assert "911" in page.content()

    # 4. Thoughts of self-harm: 988 and 911 first.
    _report(page, {"Thoughts of hurting yourself or of suicide": ("Yes, sometimes", None)}, "")
    crisis = page.get_by_role("alert")
    expect(crisis.get_by_role("heading", name="Please reach out now")).to_be_visible()
    assert crisis.get_by_role("link", name="988").is_visible() and crisis.get_by_role("link", name="911").is_visible()
    page.get_by_role("button", name="Sign out").click()

    # 5. The nurse sees both urgent tasks at the top of the inbox, triages one and answers.
    browser_login(page, nurse)
    page.get_by_role("link", name="Inbox", exact=True).click()
    rows = page.locator("tbody tr")
    assert "Urgent" in rows.nth(0).inner_text() and "Urgent" in rows.nth(1).inner_text()
    assert "Sertraline" in rows.nth(2).inner_text()
    page.locator("tbody tr", has_text="Urgent").last.get_by_role("link").click()  # the older: perceptual changes
    expect(page.get_by_text("Perceptual changes still present 1 day(s) after the infusion.")).to_be_visible()
    page.get_by_label("What you did").select_option("called")
    page.get_by_label("What you found and why").fill("Called. Mild, settling; no driving today. Recheck tomorrow.")
    page.get_by_role("button", name="Record triage").click()
    expect(page.get_by_text("Triage recorded.")).to_be_visible()
    page.get_by_label("Your reply").fill("Thanks for telling us. I will call you again tomorrow morning.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Reply sent.")).to_be_visible()
    page.get_by_role("link", name="Back to the inbox").click()
    first = page.locator("tbody tr").nth(0).inner_text()
    assert "Urgent" in first  # the self-harm report is still waiting, at the top
    page.locator("tbody tr").nth(0).get_by_role("link").click()
    expect(page.get_by_text("The patient answered yes to thoughts of self-harm")).to_be_visible()
