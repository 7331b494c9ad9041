"""axe-core (WCAG 2.1 A/AA, serious and critical) on the Spanish consent page (reading, errors,
signed) and the Spanish next-day check-in (questions, errors, thank-you), on a 360 px phone."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests.accessibility import serious_violations
from tests.portal_spanish.conftest import speaks_spanish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_YORK = ZoneInfo("America/New_York")


def test_the_spanish_consent_page_has_no_serious_axe_violations(page: Any, browser_login: Any,
                                                                 patient: Any) -> None:
    speaks_spanish(patient)
    page.set_viewport_size({"width": 360, "height": 800})
    browser_login(page, patient.user)
    page.goto(page.base_url + reverse("consent:mine"))
    assert page.locator("html").get_attribute("lang") == "es"
    assert serious_violations(page) == [], "consent form"
    page.get_by_role("button", name="Firmar el consentimiento").click()  # nothing filled in
    page.wait_for_load_state()
    assert page.get_by_text("Por favor, marque la casilla").is_visible()
    assert serious_violations(page) == [], "consent form with errors"
    page.get_by_label("Leí este formulario").check()
    page.get_by_label("Escriba su nombre completo para firmar").fill(patient.display_name)
    page.get_by_label("Fecha de hoy").fill(datetime.now(patient.clinic.zone).date().isoformat())
    page.get_by_role("button", name="Firmar el consentimiento").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Firma").is_visible()  # the signed copy, in Spanish
    assert serious_violations(page) == [], "signed copy"


def _discharged_yesterday(patient: Any, nurse: Any, provider: Any, front_desk: Any, day: date) -> Any:
    """A whole infusion on `day` through the real actions, ending with discharge (which schedules
    the next-day check-in)."""
    from ketaclinic.infusions.actions import (
        do_discharge_patient,
        do_order_dose,
        do_record_pump_event,
        do_score_discharge,
        do_take_patient,
        parse_request,
    )
    from ketaclinic.schedule.actions import do_create_chair
    from tests.infusions.conftest import book_visit, complete_checkin

    def at(hh: int, mm: int = 0) -> datetime:
        return datetime.combine(day, time(hh, mm), tzinfo=NEW_YORK)

    chair = do_create_chair(None, patient.clinic, "Chair 1")
    visit = book_visit(patient, chair, provider, front_desk, at(9, 0))
    do_take_patient(nurse, visit, chair, now=at(9, 2))
    complete_checkin(nurse, visit)
    do_order_dose(provider, visit, parse_request(dose_mg_per_kg="0.5", weight_basis="actual",
                                                 concentration_mg_per_ml="10", bag_volume_ml="100",
                                                 duration_minutes="40"), now=at(9, 12))
    do_record_pump_event(nurse, visit, "start", now=at(9, 15))
    do_record_pump_event(nurse, visit, "stop", now=at(9, 55))
    do_score_discharge(nurse, visit, "aldrete", {"activity": 2, "respiration": 2, "circulation": 2,
                                                 "consciousness": 2, "oxygen_saturation": 2}, now=at(10, 26))
    do_discharge_patient(nurse, visit, escort_name="Sam Reyes", escort_relationship="husband",
                         aftercare_given=True, now=at(10, 27))
    return visit


def test_the_spanish_next_day_check_in_has_no_serious_axe_violations(page: Any, browser_login: Any, patient: Any,
                                                                      nurse: Any, provider: Any,
                                                                      front_desk: Any) -> None:
    from ketaclinic.infusions.models import FollowUp

    # The check-in helpers use 2026-11-26 as the infusion day; the patient answers the next morning.
    with time_machine.travel(datetime(2026, 11, 27, 10, 5, tzinfo=NEW_YORK), tick=True):
        speaks_spanish(patient)
        visit = _discharged_yesterday(patient, nurse, provider, front_desk, date(2026, 11, 26))
        follow_up = FollowUp.objects.get(visit=visit)
        page.set_viewport_size({"width": 360, "height": 800})
        browser_login(page, patient.user)
        page.get_by_role("link", name="Contestar las preguntas").click()
        page.wait_for_load_state()
        assert page.url.endswith(reverse("infusions:follow_up", args=[follow_up.pk]))
        assert page.locator("html").get_attribute("lang") == "es"
        assert serious_violations(page) == [], "check-in"
        page.get_by_role("button", name="Enviar").click()  # nothing answered
        page.wait_for_load_state()
        assert page.get_by_text("Por favor, conteste esta pregunta.").first.is_visible()
        assert serious_violations(page) == [], "check-in with errors"
        for question in ("¿Ha seguido vomitando", "¿Todavía se siente", "¿Le duele al orinar",
                         "¿Tiene dolor de cabeza", "¿Su estado de ánimo", "¿Ha tenido pensamientos"):
            page.get_by_role("group", name=question).get_by_label("No").check()
        page.get_by_role("group", name="En general").get_by_label("Bien").check()
        page.get_by_role("button", name="Enviar").click()
        page.wait_for_load_state()
        assert page.get_by_text("Gracias. Su enfermera leerá sus respuestas.").is_visible()
        assert serious_violations(page) == [], "check-in thank-you"
    follow_up.refresh_from_db()
    assert follow_up.answered_at is not None and not follow_up.flagged
