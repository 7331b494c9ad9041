"""A Spanish-speaking patient reads the outcomes portal in Spanish: questionnaires (official item
wording, same scoring), my progress and charts (Spanish dates, decimal comma), journal, sleep diary."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.outcomes.instrument_text import SPANISH, severity_words, wording
from ketaclinic.outcomes.models import JournalEntry, QuestionnaireResponse, SleepDiaryEntry
from ketaclinic.protocol.instruments import INSTRUMENTS
from tests.outcomes.conftest import START, local, phq9

NOW = datetime.fromisoformat("2027-01-12T15:00:00+00:00")  # Tuesday of week 2 of the course


def test_spanish_wording_matches_every_instrument_item_for_item_and_value_for_value() -> None:
    assert set(SPANISH) == set(INSTRUMENTS)
    for code, inst in INSTRUMENTS.items():
        es = wording(code, "es")
        assert len(es.items) == inst.item_count == len(set(es.items)), code
        assert [v for v, _ in es.options] == [v for v, _ in inst.options], code
        assert [v for v, _ in es.supplementary_options] == list(inst.supplementary_options), code
        assert not set(es.items) & set(inst.items), code  # really translated
    assert wording("phq9", "es").items[8].startswith("Pensamientos de que estaría mejor muerto(a)")
    assert wording("phq9", "en").items == INSTRUMENTS["phq9"].items


@pytest.fixture
def spanish_patient(patient: Any) -> Any:
    patient.preferred_language = "es"
    patient.save()
    return patient


@pytest.mark.django_db
def test_spanish_patient_answers_phq9_in_spanish_and_the_score_is_the_same(login: Any, spanish_patient: Any) -> None:
    client = login(spanish_patient.user)
    page = client.get(reverse("outcomes:answer", args=["phq9"]))
    html = page.content.decode()
    assert page["Content-Language"] == "es" and '<html lang="es">' in html
    assert "Poco interés o placer en hacer cosas" in html and "Little interest" not in html
    assert "Más de la mitad de los días" in html and "Nearly every day" not in html
    assert "las últimas 2 semanas" in html and "Enviar mis respuestas" in html
    answers = {f"q{i}": str(v) for i, v in enumerate(phq9(12), start=1)}
    sent = client.post(reverse("outcomes:answer", args=["phq9"]), {
        **answers, "supplementary": "Somewhat difficult", "submission_key": "es-1"})
    response = QuestionnaireResponse.objects.get()
    assert sent.status_code == 302 and response.total == 12 and response.supplementary == "Somewhat difficult"
    thanks = client.get(sent["Location"]).content.decode()
    assert "Su puntaje de hoy es <strong>12</strong> (moderado)" in thanks and "Thank you" not in thanks


@pytest.mark.django_db
def test_a_missing_answer_is_explained_in_spanish_and_the_other_answers_stay(login: Any,
                                                                           spanish_patient: Any) -> None:
    client = login(spanish_patient.user)
    page = client.post(reverse("outcomes:answer", args=["gad7"]), {"q1": "2", "submission_key": "es-2"})
    html = page.content.decode()
    assert page.status_code == 200 and not QuestionnaireResponse.objects.exists()
    assert "Por favor, elija una respuesta." in html and "Please choose an answer." not in html
    assert re.search(r'<input type="radio" name="q1" value="2"[^>]*checked', html)  # the answer given stays


@pytest.mark.django_db
def test_spanish_patient_sees_progress_charts_with_spanish_dates_and_decimal_comma(
        login: Any, spanish_patient: Any, make_course: Any, submit: Any) -> None:
    from ketaclinic.outcomes.actions import do_add_sleep_diary_entry

    clinic = spanish_patient.clinic
    make_course(spanish_patient, done=3)
    for k, total in enumerate((18, 12)):
        submit(spanish_patient.user, spanish_patient, "phq9", phq9(total), local(clinic, START) + timedelta(days=3 * k))
    night = date(2027, 1, 10)
    do_add_sleep_diary_entry(spanish_patient.user, spanish_patient, night_of=night,
                             in_bed=local(clinic, night, "22:00"), tried_to_sleep=local(clinic, night, "22:10"),
                             sleep_onset_minutes=25, awakenings=1, wake_after_sleep_onset_minutes=17,
                             final_wake=local(clinic, night + timedelta(days=1), "06:00"),
                             out_of_bed=local(clinic, night + timedelta(days=1), "06:30"), quality=4,
                             now=NOW - timedelta(days=1))
    with time_machine.travel(NOW, tick=False):
        html = login(spanish_patient.user).get(reverse("outcomes:my_progress")).content.decode()
    assert "Mi progreso" in html and "Estado de ánimo (PHQ-9)" in html
    assert "Su puntaje bajó de 18 a 12" in html and "Your score went" not in html
    assert "Infusión 1 del 4 ene" in html  # chart marker: Spanish month, day first
    assert "Jan 4" not in html
    efficiency = SleepDiaryEntry.objects.get().sleep_efficiency_percent
    assert efficiency != int(efficiency)  # 448 of 510 minutes: 87.8%
    assert f"<td>{efficiency}%".replace(".", ",") in html  # decimal comma in the table
    assert f"{efficiency}%".replace(".", ",") + "</title>" in html  # and in the chart's dot
    assert "18 (moderadamente grave)" in html
    assert "Calidad del sueño" in html and "Noche del" in html


@pytest.mark.django_db
def test_spanish_patient_writes_in_the_journal_and_reads_the_share_explanation_in_spanish(
        login: Any, spanish_patient: Any) -> None:
    url = reverse("outcomes:journal")
    with time_machine.travel(datetime.fromisoformat("2027-01-04T19:30:00+00:00"), tick=False):
        client = login(spanish_patient.user)
        html = client.get(url).content.decode()
        done = client.post(url, {"text": "Me sentí tranquila", "mood": "7", "tags": ["sleep"],
                                 "submission_key": "es-j"}, follow=True)
    assert "Un lugar privado para sus pensamientos" in html
    assert "Compartir esta nota con mi equipo de atención" in html and "Si no marca esta casilla" in html
    assert "Only you can read" not in html
    page = done.content.decode()
    assert JournalEntry.objects.get().text == "Me sentí tranquila"
    assert "Guardado en su diario. Solo usted puede leerlo." in page
    assert "lunes 4 de enero, 2:30 p. m." in page  # clinic time (New York), Spanish date and clock
    assert "Sueño" in page and "Privada" in page


@pytest.mark.django_db
def test_spanish_sleep_diary_labels_and_severity_words(login: Any, spanish_patient: Any) -> None:
    html = login(spanish_patient.user).get(reverse("outcomes:sleep_new")).content.decode()
    assert "Diario de sueño" in html and "¿A qué hora se acostó?" in html and "Regular" in html
    assert "What time did you get into bed?" not in html
    assert severity_words("moderately_severe") == "moderately severe"  # English outside a Spanish request


@pytest.mark.django_db
def test_a_spanish_item9_answer_shows_crisis_help_in_spanish_first(login: Any, spanish_patient: Any) -> None:
    client = login(spanish_patient.user)
    answers = {f"q{i}": str(v) for i, v in enumerate(phq9(6, item9=1), start=1)}
    sent = client.post(reverse("outcomes:answer", args=["phq9"]), {**answers, "submission_key": "es-9"})
    html = client.get(sent["Location"]).content.decode()
    crisis = html.index("Por favor, pida ayuda ahora")
    assert crisis < html.index("<h1>Gracias</h1>")  # crisis help comes before the thank-you
    assert 'llame al <a href="tel:911">911</a>' in html and "Para español, marque 2." in html
    assert "Please reach out now" not in html
