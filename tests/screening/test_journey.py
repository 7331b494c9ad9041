"""Browser journey: front desk enters a referral → the patient fills the intake on a phone →
the provider reviews, requests clearance, records the reply, accepts it and approves."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from ketaclinic.courses.models import CourseStatus, TreatmentCourse
from ketaclinic.patients.models import Patient
from ketaclinic.screening.models import ClearanceRequest, FindingAcknowledgement, IntakeEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _wait_saved(page: Any, key: str) -> None:
    page.locator(f"#saved-{key}").get_by_text("Saved").wait_for()


def test_referral_to_approval(page: Any, browser_login: Any, front_desk: Any, provider: Any) -> None:
    # Front desk: the referral.
    browser_login(page, front_desk)
    page.get_by_role("link", name="Screening", exact=True).click()
    page.get_by_role("link", name="Enter a referral").click()
    page.get_by_label("First name").fill("Lena")
    page.get_by_label("Last name").fill("Ortiz")
    page.get_by_label("Date of birth").fill("1979-06-02")
    page.get_by_label("Sex at birth").select_option("female")
    page.get_by_label("Email", exact=True).fill("lena@example.org")
    page.get_by_label("Referring clinician").fill("Dr. Anne Park")
    page.get_by_label("Indication (ICD-10-CM)").fill("F33.2")
    page.get_by_role("button", name="Save referral").click()
    expect(page.get_by_text("Referral for Lena Ortiz saved and portal invitation sent.")).to_be_visible()
    expect(page.get_by_role("cell", name="Ortiz, Lena")).to_be_visible()

    # Patient: accepts the emailed invitation and fills the intake on a phone.
    [invitation] = [m for m in mail.outbox if "lena@example.org" in m.to]
    link = re.search(r"https?://\S+/accounts/\S+", invitation.body).group(0)  # type: ignore[union-attr]
    page.context.clear_cookies()
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(page.base_url + link.split("testserver", 1)[-1])
    page.get_by_label("Choose a password").fill("lena-strong-password-2027")
    page.get_by_label("Type it again").fill("lena-strong-password-2027")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text("We need your health history.")).to_be_visible()
    page.get_by_role("link", name="Fill in my health history").click()

    emergency = page.locator("#section-emergency")
    emergency.get_by_label("Their name").fill("Sam Ortiz")
    emergency.get_by_label("How you know them").fill("brother")
    emergency.get_by_label("Their phone number").fill("207-555-0101")
    emergency.get_by_label("Their phone number").blur()
    _wait_saved(page, "emergency")
    page.locator("#section-indications").get_by_label("Depression", exact=True).check()
    _wait_saved(page, "indications")
    page.locator("#section-history").get_by_label("I have none of these").check()
    _wait_saved(page, "history")
    body = page.locator("#section-body")
    body.get_by_label("Height (cm)").fill("165")
    body.get_by_label("Weight (kg)").fill("sixty")  # a mistake: shown back with its message
    body.get_by_label("Weight (kg)").blur()
    page.locator("#section-body").get_by_text("Please enter a number.").wait_for()
    page.locator("#section-body").get_by_label("Weight (kg)").fill("62")
    page.locator("#section-body").get_by_label("Weight (kg)").blur()
    _wait_saved(page, "body")
    page.locator("#section-pregnancy").get_by_label("No").first.check()
    page.locator("#section-pregnancy").get_by_role("group", name="Are you breastfeeding?").get_by_label("No").check()
    _wait_saved(page, "pregnancy")
    page.locator("#section-reactions").get_by_label("No").check()
    _wait_saved(page, "reactions")
    page.get_by_label("Name of the medicine").fill("sertraline")
    page.get_by_label("How much and how often (if you know)").fill("100 mg daily")
    page.get_by_role("button", name="Add medicine").click()
    page.locator("#medications").get_by_text("sertraline — 100 mg daily").wait_for()
    for drug, weeks, response in (("escitalopram", "8", "none"), ("bupropion", "10", "partial")):
        page.get_by_label("Medicine", exact=True).fill(drug)
        page.get_by_label("How many weeks did you take it?").fill(weeks)
        page.get_by_label("How well did it work?").select_option(response)
        page.get_by_role("button", name="Add this medicine").click()
        page.locator("#trials").get_by_text(drug).wait_for()
    page.get_by_label("Top number").fill("144")
    page.get_by_label("Bottom number").fill("80")
    page.get_by_role("button", name="Save reading").click()
    page.locator("#vitals").get_by_text("144/80").wait_for()
    page.get_by_role("button", name="Send my health history").click()
    expect(page.get_by_text("Thank you. Your health history is now with our care team.")).to_be_visible()
    patient = Patient.objects.get(last_name="Ortiz")
    versions = [e.data for e in IntakeEntry.objects.filter(patient=patient, section="body").order_by("saved_at", "id")]
    assert versions[-1] == {"height_cm": 165.0, "weight_kg": 62.0}  # earlier versions kept, the bad value never saved
    assert all(v["weight_kg"] in ("", 62.0) for v in versions)

    # Provider: review, clearance, approval.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_login(page, provider)
    page.get_by_role("link", name="Screening", exact=True).click()
    page.get_by_role("link", name="Review Lena Ortiz").click()
    expect(page.get_by_role("heading", name="Eligibility findings")).to_be_visible()
    expect(page.get_by_text("Treatment-resistant depression: yes")).to_be_visible()
    page.get_by_text("Request clearance").click()
    page.get_by_label("Send to").select_option("pcp")
    page.get_by_label("Clinician's name").fill("Dr. Home")
    page.get_by_label("What should they confirm?").fill("Any heart rhythm problems we should know about?")
    page.get_by_role("button", name="Create letter").click()
    expect(page.get_by_text("Any heart rhythm problems we should know about?")).to_be_visible()
    page.get_by_role("link", name="Back to the review").click()
    page.get_by_label("Note", exact=True).fill("Faxed reply: no arrhythmia, cleared.")
    page.get_by_role("button", name="Record reply").click()
    page.get_by_role("button", name="Accept clearance").click()
    assert ClearanceRequest.objects.get(patient=patient).status == "accepted"
    # Each hold or caution finding is acknowledged on its own (a tick, then the button), then the approval.
    to_acknowledge = page.locator("#findings form").filter(has=page.get_by_role("button", name="Acknowledge"))
    waiting = to_acknowledge.count()
    assert waiting >= 1  # home blood pressure 144/80: a caution to weigh
    for _ in range(waiting):
        form = to_acknowledge.first
        form.get_by_label("I have looked at this finding").check()
        form.get_by_role("button", name="Acknowledge").click()
        expect(page.get_by_text("Finding acknowledged.")).to_be_visible()
    expect(page.locator("#findings").get_by_label("I have looked at this finding")).to_have_count(0)
    assert FindingAcknowledgement.objects.filter(patient=patient, acknowledged_by=provider).count() == waiting
    page.get_by_label("Approve").check()
    page.get_by_label("Reason (recorded in the chart)").fill("TRD after two adequate trials; PCP cleared.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("The treatment course is waiting for scheduling.")).to_be_visible()
    course = TreatmentCourse.objects.get(patient=patient)
    assert course.status == CourseStatus.REQUESTED and course.indication_code == "F33.2"


def test_public_self_referral_in_spanish_to_the_intake(page: Any, clinic: Any, front_desk: Any,
                                                       browser_login: Any) -> None:
    # A member of the public: sign-in page → the clinic → the request form, in Spanish.
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_role("link", name="Ask about treatment").click()
    page.get_by_role("link", name=clinic.name, exact=True).click()
    page.get_by_role("link", name="Español").click()
    page.get_by_role("link", name="Pregunte por el tratamiento").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.get_by_label("Nombre").fill("Rosa")
    page.get_by_label("Apellido").fill("Medina")
    page.get_by_label("Fecha de nacimiento").fill("1982-03-09")
    page.get_by_label("Sexo asignado al nacer").select_option("female")
    page.get_by_label("Correo electrónico").fill("rosa@example.org")
    page.get_by_role("button", name="Enviar mi solicitud").click()
    expect(page.get_by_text("Gracias. Recibimos su solicitud.")).to_be_visible()
    patient = Patient.objects.get(last_name="Medina")
    assert patient.preferred_language == "es" and patient.stage == "referred"

    # The invitation email: the new patient sets a password and lands on the Spanish portal.
    [invitation] = [m for m in mail.outbox if "rosa@example.org" in m.to]
    link = re.search(r"https?://\S+/accounts/\S+", invitation.body).group(0)  # type: ignore[union-attr]
    page.goto(page.base_url + link.split("testserver", 1)[-1])
    # The account set-up page speaks the language the form was filled in.
    page.get_by_label("Elija una contraseña").fill("rosa-strong-password-2027")
    page.get_by_label("Escríbala otra vez").fill("rosa-strong-password-2027")
    page.get_by_role("button", name="Crear mi cuenta").click()
    expect(page.get_by_text("Necesitamos su historial de salud.")).to_be_visible()
    page.get_by_role("link", name="Completar mi historial de salud").click()
    emergency = page.locator("#section-emergency")
    expect(emergency.get_by_role("heading", name="Contacto de emergencia")).to_be_visible()
    emergency.get_by_label("Su nombre").fill("Luis Medina")
    emergency.get_by_label("Su nombre").blur()
    page.locator("#saved-emergency").get_by_text("Guardado").wait_for()

    # The front desk sees the new self-referral and marks it checked.
    page.context.clear_cookies()
    browser_login(page, front_desk)
    page.get_by_role("link", name="Screening", exact=True).click()
    expect(page.get_by_text("Registered as")).to_be_visible()
    page.get_by_role("button", name="Details checked for Rosa Medina").click()
    expect(page.get_by_text("Self-referral of Rosa Medina marked as checked.")).to_be_visible()
