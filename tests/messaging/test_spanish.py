"""A Spanish-speaking patient uses messages in Spanish: the list, writing to the care team, a
conversation, "How do you feel" and its answer page, with office hours and reply times in
Spanish (clinic time zone). Staff keep English, and the stored report summary stays English."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.messaging.hours import OfficeHours, office_hours_for
from ketaclinic.protocol.symptoms import Symptom

# Tuesday 2027-01-12, 10:00 in New York: office open, replies within 24 office hours.
NOW = datetime.fromisoformat("2027-01-12T15:00:00+00:00")
SATURDAY = datetime.fromisoformat("2027-01-16T15:00:00+00:00")


@pytest.fixture
def spanish_patient(patient: Any) -> Any:
    patient.preferred_language = "es"
    patient.save()
    return patient


def test_office_hours_and_reply_time_read_naturally_in_spanish(clinic: Any, db: Any) -> None:
    from django.utils import translation

    hours: OfficeHours = office_hours_for(clinic)
    with translation.override("es"):
        assert hours.describe() == "lunes a viernes, de 9:00 a. m. a 5:00 p. m."
        assert hours.reply_by_phrase(NOW) == "el viernes 15 de enero a las 10:00 a. m."
    with translation.override("en"):
        assert hours.describe() == "Monday to Friday, 9:00 AM to 5:00 PM"
        assert hours.reply_by_phrase(NOW) == "10:00 AM on Friday, January 15"


@pytest.mark.django_db
def test_spanish_patient_writes_to_the_care_team_in_spanish(login: Any, spanish_patient: Any, nurse: Any) -> None:
    from ketaclinic.messaging.actions import do_send_message
    from ketaclinic.messaging.models import Conversation

    with time_machine.travel(NOW, tick=False):
        client = login(spanish_patient.user)
        form = client.get(reverse("messaging:compose")).content.decode()
        assert "Escribir a su equipo de atención" in form and "Una pregunta sobre un medicamento" in form
        assert "Leemos los mensajes en este horario (lunes a viernes, de 9:00 a. m. a 5:00 p. m.)." in form
        assert "What is it about?" not in form and "Monday" not in form
        sent = client.post(reverse("messaging:compose"), {
            "topic": "medicine", "subject": "Mi medicina", "body": "¿Puedo tomar mi pastilla?",
            "client_token": "es-1"}, follow=True)
        conversation = Conversation.objects.get()
        page = sent.content.decode()
        assert "Su mensaje fue enviado. Le responderemos a más tardar el viernes 15 de enero" in page
        assert "Usted" in page and "mar 12 ene, 10:00 a.m." in page  # the message time, clinic zone
        do_send_message(nurse, conversation, body="Sí, puede tomarla.", client_token="n1")
        listing = client.get(reverse("messaging:my_messages")).content.decode()
    assert "Sus conversaciones" in listing and "12 ene" in listing and "1 nuevo" in listing
    assert "Your conversations" not in listing


@pytest.mark.django_db
def test_a_form_error_is_shown_in_spanish_and_what_was_typed_stays(login: Any, spanish_patient: Any) -> None:
    page = login(spanish_patient.user).post(reverse("messaging:compose"), {
        "topic": "question", "subject": "", "body": "Mi pregunta", "client_token": "es-2"})
    html = page.content.decode()
    assert page.status_code == 200 and "Mi pregunta" in html
    assert "Este campo es obligatorio." in html  # Django's own Spanish


@pytest.mark.django_db
def test_spanish_how_do_you_feel_form_and_answer_page_after_hours(login: Any, spanish_patient: Any,
                                                                  nurse: Any) -> None:
    from ketaclinic.messaging.models import SymptomReport

    with time_machine.travel(SATURDAY, tick=False):
        client = login(spanish_patient.user)
        form = client.get(reverse("messaging:report")).content.decode()
        assert "¿Cómo se siente?" in form and "Dolor de cabeza" in form and "Empezó al día siguiente" in form
        assert "Nuestra oficina está cerrada en este momento. Si no puede esperar:" in form
        assert "Headache" not in form and "When did it start?" not in form
        none = {f"{s.value}_severity": "0" for s in Symptom}
        missing_onset = client.post(reverse("messaging:report"), {**none, "headache_severity": "1",
                                                                  "client_token": "t0"})
        assert "Por favor, díganos cuándo empezó." in missing_onset.content.decode()
        done = client.post(reverse("messaging:report"), {**none, "headache_severity": "1",
                                                         "headache_onset": "next_day", "client_token": "t1"},
                           follow=True)
    page = done.content.decode()
    assert "Gracias. Recibimos su reporte." in page
    assert "a más tardar <strong>el miércoles 20 de enero a las 5:00 p. m.</strong> (hora de la clínica)." in page
    report = SymptomReport.objects.get()
    with time_machine.travel(SATURDAY, tick=False):
        own = client.get(reverse("messaging:my_conversation", args=[report.conversation_id])).content.decode()
        listing = client.get(reverse("messaging:my_messages")).content.decode()
    # The patient reads their own report in Spanish: subject and summary.
    assert "<h1>Cómo me siento — 16 ene</h1>" in own and "Cómo me siento — 16 ene" in listing
    assert "- Dolor de cabeza: leve, empezó al día siguiente" in own and "Headache" not in own
    # The stored summary the nurse reads stays in English, as the staff screens are.
    assert "Headache: mild, started the day after" in report.conversation.messages.get().body
    staff_page = login(nurse).get(reverse("messaging:conversation", args=[report.conversation_id])).content.decode()
    assert "Headache" in staff_page and "Dolor de cabeza" not in staff_page
