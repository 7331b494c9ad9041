"""A nurse runs a whole visit in the browser: arrival, gate, co-signed order, pump, an alert, an adverse
event with rescue medicine, recovery, discharge to the escort and the printed record. The board
updates live while she works."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from tests.infusions.conftest import at, book_visit, sign_consent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logout(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def test_a_nurse_runs_a_whole_visit(page: Any, browser_login: Any, nurse: Any, provider: Any,
                                    medical_director: Any, front_desk: Any, patient: Any, chair: Any) -> None:
    from playwright.sync_api import expect

    from ketaclinic.infusions.actions import do_request_nurse
    from ketaclinic.infusions.models import Discharge
    from tests.factories import PASSWORD

    with time_machine.travel(at(8, 40), tick=True) as clock:
        sign_consent(patient)
        visit = book_visit(patient, chair, provider, front_desk, at(9, 0), status="booked")

        # Arrival and taking the patient to a chair, from the floor board
        browser_login(page, nurse)
        page.goto(page.base_url + "/infusions/")
        row = page.locator(f"#visit-{visit.pk}")
        row.get_by_role("button", name="Mark arrived").click()
        page.locator(f"#visit-{visit.pk}").get_by_role("button", name="Take patient").click()
        expect(page.get_by_role("heading", name="Readiness gate")).to_be_visible()
        expect(page.get_by_text("Not met: Today's weight")).to_be_visible()

        # Check-in: every item of the gate
        page.get_by_label("Health update reviewed with the patient").check()
        page.get_by_label("Weight today (kg)").fill("142")
        page.get_by_label("Height (cm)").fill("183")
        page.get_by_label("Last solid food (time)").fill("20:30")
        page.get_by_label("Last clear drink (time)").fill("06:15")
        page.get_by_label("No alcohol or recreational drugs within the window").check()
        page.get_by_label("Medicines taken today").fill("sertraline 100 mg at 7:00")
        page.get_by_label("Medicines checked against the plan").check()
        page.get_by_label("Ride home: name").fill("Sam Reyes")
        page.get_by_label("Ride home: phone").fill("207-555-0111")
        page.get_by_label("Ride confirmed").check()
        page.get_by_label("Pregnancy check").select_option("negative")
        page.get_by_role("button", name="Save check-in").click()
        expect(page.get_by_text("Check-in saved.")).to_be_visible()

        # Baseline vitals from the keyboard
        page.get_by_label("Systolic", exact=True).fill("126")
        page.get_by_label("Diastolic", exact=True).fill("80")
        page.get_by_label("Heart rate", exact=True).fill("74")
        page.get_by_label("SpO2 %", exact=True).fill("98")
        page.get_by_label("Breaths/min", exact=True).fill("14")
        page.keyboard.press("Enter")
        expect(page.get_by_text("Vitals saved.")).to_be_visible()
        expect(page.get_by_text("Dose order: a provider must sign the order.")).to_be_visible()
        logout(page)

        # The provider orders; the total is over the hard limit, so a second licensed person co-signs
        browser_login(page, provider)
        page.goto(page.base_url + f"/infusions/visit/{visit.pk}/order/")
        page.get_by_label("Dose (mg/kg)").fill("0.75")
        page.get_by_role("button", name="Calculate").click()
        expect(page.get_by_text(re.compile("HARD LIMIT"))).to_be_visible()
        page.get_by_role("button", name="Sign order").click()
        expect(page.get_by_text("Acknowledge the findings with a reason.")).to_be_visible()
        page.get_by_label("Reason for accepting the warnings").fill("Weight-based dose agreed at intake review")
        page.get_by_label("Co-signer's email (hard limits only)").fill(medical_director.email)
        page.get_by_label("Co-signer's password").fill(PASSWORD)
        page.get_by_label("Co-signer's reason").fill("Tolerated 0.7 mg/kg last course; reviewed in person")
        page.get_by_role("button", name="Sign order").click()
        expect(page.get_by_text("Dose order signed.")).to_be_visible()
        expect(page.get_by_text(re.compile(r"co-signed by Mira Director"))).to_be_visible()
        logout(page)

        # Pump start, an alert to acknowledge, an adverse event with rescue medicine
        browser_login(page, nurse)
        page.goto(page.base_url + f"/infusions/visit/{visit.pk}/")
        page.get_by_label("Pump event").select_option("start")
        page.get_by_role("button", name="Chart pump event").click()
        expect(page.get_by_text("Pump event charted.")).to_be_visible()
        expect(page.get_by_role("heading", name=re.compile("Infusing"))).to_be_visible()
        page.get_by_label("Systolic", exact=True).fill("150")
        page.get_by_label("Diastolic", exact=True).fill("92")
        page.get_by_label("Heart rate", exact=True).fill("126")
        page.get_by_label("SpO2 %", exact=True).fill("97")
        page.get_by_label("Breaths/min", exact=True).fill("14")
        page.get_by_role("button", name="Save vitals").click()
        expect(page.get_by_text("Heart rate 126/min is above 120.")).to_be_visible()
        page.get_by_label("What was done").fill("Rechecked after 5 min: 104. Provider told.")
        page.get_by_role("button", name="Acknowledge").click()
        expect(page.get_by_text(re.compile("Acknowledged by Nina Nurse"))).to_be_visible()

        page.get_by_role("textbox", name="Event", exact=True).fill("nausea and vomiting")
        page.get_by_label("Severity").select_option("moderate")
        page.get_by_label("Action taken").fill("Paused pump, positioned on side")
        page.get_by_label("Provider told").select_option(label="Paul Provider, MD")
        page.get_by_role("button", name="Chart event").click()
        expect(page.get_by_text("Adverse event charted.")).to_be_visible()
        page.get_by_label("Medicine").fill("ondansetron")
        page.get_by_role("spinbutton", name="Dose", exact=True).fill("4")
        page.get_by_label("Route").select_option("IV")
        page.get_by_label("Ordered by").select_option(label="Paul Provider, MD")
        page.get_by_role("button", name="Chart medicine given").click()
        expect(page.get_by_text("Rescue: ondansetron 4 mg IV")).to_be_visible()

        # The patient calls from the portal; the board shows it without a reload
        page.goto(page.base_url + "/infusions/")
        do_request_nurse(patient.user, visit)
        expect(page.locator(f"#visit-{visit.pk}").get_by_text(re.compile("Calling since"))).to_be_visible(
            timeout=15_000)

        # Pump stop → recovery; discharge is blocked until the observation time has passed
        page.goto(page.base_url + f"/infusions/visit/{visit.pk}/")
        clock.shift(timedelta(minutes=40))
        browser_login(page, nurse)  # 40 quiet minutes end a staff session
        page.goto(page.base_url + f"/infusions/visit/{visit.pk}/")
        page.get_by_label("Pump event").select_option("stop")
        page.get_by_label("Volume infused (mL, at stop)").fill("110")
        page.get_by_role("button", name="Chart pump event").click()
        expect(page.get_by_role("heading", name=re.compile("Recovering"))).to_be_visible()
        page.get_by_role("button", name="Save score").click()
        expect(page.get_by_text(re.compile("observe at least 30 min"))).to_be_visible()
        page.get_by_label("Escort's name").fill("Sam Reyes")
        page.get_by_label("Relationship to the patient").fill("husband")
        page.get_by_label("After-care sheet given and explained").check()
        page.get_by_role("button", name="Discharge", exact=True).click()
        expect(page.get_by_text(re.compile("Not ready for discharge"))).to_be_visible()
        assert not Discharge.objects.exists()

        clock.shift(timedelta(minutes=31))
        browser_login(page, nurse)
        page.goto(page.base_url + f"/infusions/visit/{visit.pk}/")
        page.get_by_label("Systolic", exact=True).fill("124")
        page.get_by_label("Diastolic", exact=True).fill("78")
        page.get_by_role("button", name="Save vitals").click()
        page.get_by_role("button", name="Save score").click()
        expect(page.get_by_text("Ready for discharge")).to_be_visible()
        page.get_by_label("Relationship to the patient").fill("husband")
        page.get_by_label("After-care sheet given and explained").check()
        page.get_by_role("button", name="Discharge", exact=True).click()
        expect(page.get_by_text(re.compile("Discharged at"))).to_be_visible()
        discharge = Discharge.objects.get()
        assert discharge.escort_name == "Sam Reyes" and discharge.escort_matches_ride

        # The printed one-page record
        page.get_by_role("link", name="Printable record").click()
        expect(page.get_by_role("heading", name=re.compile("Infusion record"))).to_be_visible()
        assert page.locator("svg polyline").count() >= 2
        expect(page.get_by_text(re.compile("ondansetron 4 mg IV"))).to_be_visible()
        expect(page.get_by_text(re.compile("to Sam Reyes"))).to_be_visible()
