"""Patients who prefer Spanish see the schedule pages, messages and calendar in Spanish (usted form)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
import time_machine
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from ketaclinic.schedule.actions import do_book_visit
from ketaclinic.schedule.feeds import do_create_feed, feed_url
from tests.schedule.conftest import MONDAY

CATALOG = Path(__file__).resolve().parents[2] / "ketaclinic/schedule/locale/es/LC_MESSAGES/django.po"


@pytest.fixture(autouse=True)
def _before_monday() -> Any:
    with time_machine.travel(MONDAY - timedelta(days=3), tick=False) as traveller:
        yield traveller


@pytest.fixture
def spanish(patient: Any) -> Any:
    patient.preferred_language = "es"
    patient.save(update_fields=["preferred_language"])
    return patient


@pytest.fixture
def visit(front_desk: Any, course: Any, chairs: Any, clinic: Any, at: Any, spanish: Any) -> Any:
    return do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY + timedelta(days=2), "09:00"))


def test_every_entry_of_the_catalog_is_translated() -> None:
    text = CATALOG.read_text()
    assert "#, fuzzy" not in text
    entries = text.split("\n\n")[1:]
    empty = [e for e in entries if re.search(r'^msgstr(\[\d\])? ""\n?$', e.strip().split("\n")[-1]) and
             'msgstr ""\n"' not in e and not re.search(r'msgstr(\[\d\])? ""\n"', e)]
    assert empty == []


@pytest.mark.django_db
def test_my_visits_reschedule_and_cancel_in_spanish(login: Any, spanish: Any, visit: Any) -> None:
    client = login(spanish.user)
    page = client.get(reverse("schedule:my_visits")).content.decode()
    assert "Mis visitas" in page and "miércoles 6 de enero a las 09:00" in page
    assert "Cambiar horario" in page and "Agregue sus visitas a su calendario" in page
    assert "Change time" not in page
    page = client.get(reverse("schedule:my_reschedule", args=[visit.pk])).content.decode()
    assert "Cambiar su visita" in page and "Su visita es el <strong>miércoles 6 de enero a las 09:00</strong>" in page
    page = client.get(reverse("schedule:my_cancel", args=[visit.pk])).content.decode()
    assert "Cancelar mi visita" in page and "¿Por qué cancela? (opcional)" in page and "988" in page
    response = client.post(reverse("schedule:my_reschedule", args=[visit.pk]), {"slot": "nonsense"})
    assert "Por favor, elija uno de los horarios." in response.content.decode()


@pytest.mark.django_db
def test_availability_form_in_spanish_and_english_for_staff(login: Any, spanish: Any, front_desk: Any) -> None:
    page = login(spanish.user).get(reverse("schedule:my_availability")).content.decode()
    assert "¿Cuándo puede venir?" in page and "Pueden recogerle desde" in page and "Miércoles" in page
    staff = login(front_desk).get(reverse("schedule:availability", args=[spanish.pk])).content.decode()
    assert "Days you can come" in staff and "Wednesday" in staff


@pytest.mark.django_db
def test_the_patient_calendar_is_in_their_language(spanish: Any, visit: Any, clinic: Any, anon: Any) -> None:
    _, token = do_create_feed(spanish.user, clinic, "patient", patient=spanish)
    body = anon.get(feed_url(token).replace("http://testserver", "")).content
    summaries = [str(e["summary"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT")]
    assert summaries == ["Visita de infusión 1 de 6"]


def test_spanish_dates_keep_lowercase_day_and_month_names_site_wide() -> None:
    """Every app's catalog shares one namespace: a bare "Monday" → "Lunes" in any of them would
    capitalise every Spanish date on the site ("el Lunes 4 de enero"). Labels that need a
    capital (the availability checkboxes) use a context instead."""
    with translation.override("es"):
        days = [date_format(MONDAY + timedelta(days=n), "l") for n in range(7)]
        months = [date_format(date(2027, month, 1), "F") for month in range(1, 13)]
        label = translation.pgettext("availability checkbox", "Monday")
    assert days == ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]
    assert months == ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
                      "octubre", "noviembre", "diciembre"]
    assert label == "Lunes"


@pytest.mark.django_db
def test_a_spanish_patient_page_writes_weekdays_in_lowercase(login: Any, spanish: Any, visit: Any) -> None:
    page = login(spanish.user).get(reverse("schedule:my_visits")).content.decode()
    assert "miércoles 6 de enero" in page
    assert not re.search(r"(Lunes|Martes|Miércoles|Jueves|Viernes|Sábado|Domingo) \d", page)
    assert not re.search(r"\d de (Enero|Febrero|Marzo|Abril|Mayo|Junio|Julio|Agosto|Septiembre|Octubre|Noviembre"
                         r"|Diciembre)", page)
