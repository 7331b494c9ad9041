"""The outcomes and messaging panels on a Spanish-speaking patient's home page are in Spanish."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.django_db
def test_home_panels_are_in_spanish_for_a_spanish_speaking_patient(login: Any, portal_patient: Any) -> None:
    portal_patient.preferred_language = "es"
    portal_patient.save()
    html = login(portal_patient.user).get("/").content.decode()
    assert "Tiene 1 mensaje nuevo de su equipo de atención." in html  # the nurse's reply, unread
    assert "Díganos cómo se siente" in html and "Tell us how you feel" not in html
    assert "Leer sus mensajes" in html and "Read your messages" not in html


@pytest.mark.django_db
def test_home_panels_stay_english_for_an_english_speaking_patient(login: Any, portal_patient: Any) -> None:
    html = login(portal_patient.user).get("/").content.decode()
    assert "You have 1 new message from your care team." in html and "Díganos" not in html
