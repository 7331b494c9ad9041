"""The after-care sheet the patient takes home is in the patient's language, whoever prints it
(a nurse whose screens are in English, or the patient in the portal), and reads plainly."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.guide.content import readability
from ketaclinic.patients.actions import do_set_preferred_language
from ketaclinic.schedule.actions import do_create_chair
from tests.infusions.conftest import book_visit

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")


def _sheet(html: str) -> str:
    article = html.split('<article class="aftercare"', 1)[1].split("</article>", 1)[0]
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", article.split(">", 1)[1]))).strip()


@pytest.fixture
def discharged(patient: Any, provider: Any, front_desk: Any) -> Any:
    with time_machine.travel(datetime(2026, 11, 26, 12, 0, tzinfo=NEW_YORK), tick=False):
        chair = do_create_chair(None, patient.clinic, "Chair 1", monitor_device_id="MON-01")
        yield book_visit(patient, chair, provider, front_desk, datetime(2026, 11, 26, 9, 0, tzinfo=NEW_YORK),
                         status="discharged")


def test_a_nurse_prints_a_spanish_patients_sheet_in_spanish(login: Any, nurse: Any, patient: Any,
                                                            discharged: Any) -> None:
    do_set_preferred_language(patient.user, patient, "es")
    html = login(nurse).get(reverse("infusions:aftercare", args=[discharged.pk])).content.decode()
    sheet = _sheet(html)
    assert 'lang="es"' in html
    for spanish in ("Después de su infusión", "26 de noviembre de 2026", "Por el resto del día",
                    "Llame al 911 de inmediato", "Llame o envíe un texto al 988", "No maneje"):
        assert spanish in sheet, spanish
    assert "For the rest of today" not in sheet and "Call" not in sheet and "Do not" not in sheet
    assert readability("Después de su infusión", sheet, "es").passes
    # The nurse's own page stays English around the sheet.
    assert '<html lang="en">' in html


def test_the_patient_sees_their_sheet_in_their_language(login: Any, patient: Any, discharged: Any) -> None:
    url = reverse("infusions:my_aftercare", args=[discharged.pk])
    english = _sheet(login(patient.user).get(url).content.decode())
    assert "For the rest of today" in english and "Call 911 right away" in english
    assert readability("After your infusion", english, "en").passes
    do_set_preferred_language(patient.user, patient, "es")
    spanish = _sheet(login(patient.user).get(url).content.decode())
    assert "Por el resto del día" in spanish and "Llame al 911 de inmediato" in spanish
