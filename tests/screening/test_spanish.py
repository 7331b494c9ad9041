"""Spanish for the patient's screening pages: the patient's preferred language drives them.

Staff filling the same forms on the patient's behalf keep English. Every intake label has a
Spanish translation in the screening catalog (a new label without one fails here).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from ketaclinic.screening.intake import SECTIONS
from ketaclinic.screening.models import DocumentKind, TrialResponse
from tests.screening.conftest import submitted

pytestmark = pytest.mark.django_db

# Words that are the same in both languages.
SAME_IN_SPANISH = {"No", "Glaucoma"}


@pytest.fixture
def spanish_patient(patient: Any) -> Any:
    patient.preferred_language = "es"
    patient.save(update_fields=["preferred_language"])
    return patient


def test_every_intake_label_has_spanish() -> None:
    words = []
    for section in SECTIONS:
        words += [section.title, section.intro]
        for f in section.fields:
            words += [f.label, f.help, *(label for _, label in f.choices)]
    words += [label for _, label in TrialResponse.choices] + [label for _, label in DocumentKind.choices]
    with translation.override("es"):
        untranslated = [w for w in words if w and w not in SAME_IN_SPANISH and translation.gettext(w) == w]
    assert untranslated == []


def test_a_spanish_speaking_patient_reads_the_intake_in_spanish(login: Any, spanish_patient: Any) -> None:
    response = login(spanish_patient.user).get(reverse("screening:intake"))
    body = response.content.decode()
    assert response.status_code == 200 and '<html lang="es">' in body
    for words in ("Cómo van las cosas", "Necesitamos su historial de salud.",
                  "Contacto de emergencia", "Insuficiencia cardíaca", "¿Está embarazada, o podría estarlo?",
                  "No estoy seguro(a)", "Medicinas y suplementos que toma ahora", "Número de arriba",
                  "Enviar mi historial de salud", "Sin empezar", "Guardar"):
        assert words in body, words
    for english in ("Emergency contact", "Heart failure", "Top number", "Send my health history"):
        assert english not in body, english


def test_a_mistake_is_explained_in_spanish_and_kept(login: Any, spanish_patient: Any) -> None:
    url = reverse("screening:save_section", args=[spanish_patient.pk, "body"])
    response = login(spanish_patient.user).post(url, {"height_cm": "165", "weight_kg": "sesenta"})
    body = response.content.decode()
    assert response.status_code == 400 and "Por favor, escriba un número." in body and 'value="sesenta"' in body
    vitals = reverse("screening:add_vitals", args=[spanish_patient.pk])
    response = login(spanish_patient.user).post(vitals, {"systolic": "80", "diastolic": "90"},
                                                HTTP_HX_REQUEST="true")
    assert "Número de abajo: debe ser menor que el número de arriba." in response.content.decode()


def test_the_status_after_sending_is_in_spanish(login: Any, spanish_patient: Any) -> None:
    submitted(spanish_patient)
    body = login(spanish_patient.user).get(reverse("screening:intake")).content.decode()
    assert "Gracias. Su historial de salud ya está con nuestro equipo." in body
    assert "Ya envió su historial de salud." in body


def test_staff_filling_for_a_spanish_speaking_patient_keep_english(login: Any, spanish_patient: Any,
                                                                   front_desk: Any) -> None:
    body = login(front_desk).get(reverse("screening:intake_for", args=[spanish_patient.pk])).content.decode()
    assert "Emergency contact" in body and "Contacto de emergencia" not in body


def test_the_questionnaires_use_the_validated_spanish_wording(login: Any, spanish_patient: Any) -> None:
    from ketaclinic.outcomes.instrument_text import SPANISH

    client = login(spanish_patient.user)
    intake = client.get(reverse("screening:intake")).content.decode()
    assert SPANISH["phq9"].name in intake and SPANISH["gad7"].name in intake
    for code in ("phq9", "gad7", "pcl5", "pain_nrs"):
        body = client.get(reverse("screening:measure", args=[spanish_patient.pk, code])).content.decode()
        text = SPANISH[code]
        assert text.instructions in body, code
        assert all(item in body for item in text.items), code
        assert all(label in body for _, label in text.options), code
    phq9 = client.get(reverse("screening:measure", args=[spanish_patient.pk, "phq9"])).content.decode()
    assert "Poco interés o placer en hacer cosas" in phq9 and "Ningún día" in phq9
    assert "Little interest or pleasure" not in phq9


def test_a_spanish_phq9_scores_the_same_and_answers_item_9_in_spanish(login: Any, spanish_patient: Any) -> None:
    url = reverse("screening:measure", args=[spanish_patient.pk, "phq9"])
    client = login(spanish_patient.user)
    partial = client.post(url, {f"item{i}": "1" for i in range(8)})
    assert partial.status_code == 400 and "Pregunta 9: por favor, conteste todas las preguntas." in \
        partial.content.decode()
    response = client.post(url, {**{f"item{i}": "1" for i in range(8)}, "item8": "2"})
    body = response.content.decode()
    assert response.status_code == 200 and "Gracias. Sus respuestas están guardadas." in body
    assert "Línea de Prevención del Suicidio y Crisis" in body and "988" in body
    measure = spanish_patient.screening_measures.get()
    assert measure.total == 10 and "suicidal_ideation" in measure.flags
