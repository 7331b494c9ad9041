"""Real flows: a Spanish-speaking patient's reminders, notices and email footer are in Spanish;
an English-speaking patient's stay in English; the message-settings language is the patient's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.notifications.actions import queue_patient_message
from ketaclinic.notifications.delivery import _email_body, deliver
from ketaclinic.notifications.models import OutboundMessage
from ketaclinic.patients.actions import do_set_preferred_language
from ketaclinic.preparation.sweep import sync_one_visit
from ketaclinic.schedule.actions import do_cancel_visit
from tests.notifications.conftest import BOOKED_AT

pytestmark = pytest.mark.django_db


def _spanish(patient: Any) -> Any:
    return do_set_preferred_language(patient.user, patient, "es")


def test_a_spanish_patient_gets_spanish_reminders_with_spanish_dates(patient: Any, visit: Any) -> None:
    _spanish(patient)
    sync_one_visit("w", now=BOOKED_AT)
    rows = {m.kind: m for m in OutboundMessage.objects.filter(visit=visit)}
    assert {"prep.booking_confirmation", "prep.health_update", "prep.day_before", "prep.morning_of"} <= set(rows)
    assert all(m.language == "es" for m in rows.values())
    booked = rows["prep.booking_confirmation"]
    # Tuesday 16 March 2027, 10:00 in New York
    assert booked.subject == "Su visita está reservada: martes 16 de marzo, 10:00 a. m."
    assert "está reservada para el martes 16 de marzo a las 10:00 a. m." in booked.body
    day_before = rows["prep.day_before"].body
    assert "Deje de comer alimentos sólidos a más tardar el" in day_before
    assert "Your" not in day_before and "Please" not in day_before


def test_an_english_patient_keeps_english(patient: Any, visit: Any) -> None:
    sync_one_visit("w", now=BOOKED_AT)
    booked = OutboundMessage.objects.get(visit=visit, kind="prep.booking_confirmation")
    assert booked.language == "en"
    assert booked.subject == "Your visit is booked: Tuesday, March 16 at 10:00 AM"


def test_the_cancellation_notice_follows_the_language_at_the_time_it_is_written(patient: Any, visit: Any,
                                                                                front_desk: Any) -> None:
    sync_one_visit("w", now=BOOKED_AT)
    _spanish(patient)
    do_cancel_visit(front_desk, visit, reason="patient asked", now=BOOKED_AT + timedelta(days=1))
    sync_one_visit("w", now=BOOKED_AT + timedelta(days=1))
    cancelled = OutboundMessage.objects.get(visit=visit, kind="prep.cancelled")
    assert cancelled.subject == "Su visita fue cancelada" and cancelled.language == "es"
    # rows written earlier keep their language (what was written is what is sent)
    assert OutboundMessage.objects.get(visit=visit, kind="prep.booking_confirmation").language == "en"


def test_the_email_footer_is_in_the_messages_language(patient: Any, mailoutbox: Any) -> None:
    _spanish(patient)
    row = queue_patient_message(patient=patient, kind="guide.sleep", due_at=BOOKED_AT, dedupe_key="f",
                                values={"link": "https://x.example/guide/sleep/"}, now=BOOKED_AT)
    body = _email_body(row)
    assert "Si está pensando en hacerse daño, llame o envíe un mensaje de texto al 988 a cualquier hora." in body
    assert "En una emergencia, llame al 911." in body and "thinking" not in body
    deliver(row)
    assert mailoutbox[-1].subject == "Su sueño durante el tratamiento"


def test_choosing_spanish_in_message_settings_changes_the_patients_language(login: Any, patient: Any) -> None:
    client = login(patient.user)
    url = reverse("notifications:preferences")
    response = client.post(url, {"channel": "email", "quiet_start": "21:00", "quiet_end": "08:00", "language": "es"})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.preferred_language == "es"
    row = queue_patient_message(patient=patient, kind="guide.sleep", due_at=datetime(2027, 3, 10, 15, tzinfo=UTC),
                                dedupe_key="after-settings", values={"link": "https://x.example/"})
    assert row.language == "es" and row.subject == "Su sueño durante el tratamiento"


def test_the_message_settings_page_is_in_the_patients_language(login: Any, patient: Any) -> None:
    import re
    from html import unescape

    from ketaclinic.guide.content import readability

    _spanish(patient)
    client = login(patient.user)
    url = reverse("notifications:preferences")
    html = client.get(url).content.decode()
    main = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html.split('<main id="main"', 1)[1].split(">", 1)[1]
                                                .split("</main>", 1)[0]))).strip()
    for spanish in ("Cómo nos comunicamos con usted", "¿Cómo quiere recibir los recordatorios?",
                    "Solo correo electrónico", "Guardar"):
        assert spanish in main, spanish
    assert "reminders" not in main and "Save" not in main
    assert readability("Cómo nos comunicamos con usted", main, "es").passes
    # An error is shown in Spanish and what was typed is kept.
    response = client.post(url, {"channel": "sms", "quiet_start": "22:00", "quiet_end": "07:00", "language": "es"})
    assert "No tenemos un número de celular suyo" in response.content.decode()
    assert 'value="22:00"' in response.content.decode()
