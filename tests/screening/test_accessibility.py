"""axe-core (WCAG 2.1 A/AA, serious and critical) on the screening pages: the portal on a 360 px phone."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.accessibility import serious_violations
from tests.screening.conftest import submitted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_screening_pages_have_no_serious_axe_violations(page: Any, browser_login: Any, patient: Any,
                                                         provider: Any, clinic: Any) -> None:
    submitted(patient, conditions=["heart_failure"], medications=("Xanax 1 mg twice a day", "metformin"))
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(page.base_url + reverse("screening:self_refer", args=[clinic.slug]))
    assert serious_violations(page) == [], "self_refer"
    browser_login(page, patient.user)
    for url in (reverse("screening:intake"), reverse("screening:measure", args=[patient.pk, "phq9"]),
                reverse("web:home")):
        page.goto(page.base_url + url)
        assert serious_violations(page) == [], url
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_login(page, provider)
    for url in (reverse("screening:queue"), reverse("screening:review", args=[patient.pk]),
                reverse("screening:refer"), reverse("screening:intake_for", args=[patient.pk])):
        page.goto(page.base_url + url)
        assert serious_violations(page) == [], url


def test_the_spanish_intake_and_public_pages_have_no_serious_axe_violations(page: Any, browser_login: Any,
                                                                             patient: Any, clinic: Any) -> None:
    patient.preferred_language = "es"
    patient.save(update_fields=["preferred_language"])
    page.set_viewport_size({"width": 360, "height": 800})
    for url in (reverse("screening:clinics") + "?lang=es",
                reverse("screening:clinic_page", args=[clinic.slug]) + "?lang=es",
                reverse("screening:self_refer", args=[clinic.slug]) + "?lang=es"):
        page.goto(page.base_url + url)
        assert page.locator("html").get_attribute("lang") == "es"
        assert serious_violations(page) == [], url
    browser_login(page, patient.user)
    for url in (reverse("screening:intake"), reverse("screening:measure", args=[patient.pk, "phq9"])):
        page.goto(page.base_url + url)
        assert page.locator("html").get_attribute("lang") == "es"
        assert serious_violations(page) == [], url
    assert "Contacto de emergencia" in page.goto(page.base_url + reverse("screening:intake")).text()  # type: ignore[union-attr]
