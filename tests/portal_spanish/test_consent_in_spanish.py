"""The consent in Spanish: the clinic tablet follows the patient's language (the witness's lines
stay English, marked lang="en"), and a Spanish signature keeps a Spanish signed copy."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.consent.models import ConsentSignature
from tests.portal_spanish.conftest import speaks_spanish
from tests.portal_spanish.crawl import english_words, read_page

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def _visible(response: Any) -> str:
    return " ".join(read_page(response.content.decode()).text)


@time_machine.travel(T0, tick=False)
def test_the_tablet_page_speaks_the_patients_language(login: Any, patient: Any, nurse: Any) -> None:
    speaks_spanish(patient)
    client = login(nurse)
    url = reverse("consent:tablet", args=[patient.pk])
    page = client.get(url)
    html = page.content.decode()
    assert '<html lang="es">' in html and page["Content-Language"] == "es"
    assert "Consentimiento para el tratamiento" in html and "Escriba su nombre completo para firmar" in html
    assert '<p class="note no-print" lang="en">Hand the tablet to the patient.' in html  # for the witness
    assert '<span lang="en">I am the witness' in html
    assert english_words(_visible(page), [patient.display_name, patient.clinic.name]) == []
    data = {"template_version": 1, "language": "es", "typed_name": "Maya Reyes", "signed_on": "2026-03-10",
            "witness_confirmed": "on"}
    missing = client.post(url, data)
    assert "Por favor, marque la casilla" in missing.content.decode()
    assert client.post(url, {**data, "agree": "on"}).status_code == 302
    signature = ConsentSignature.objects.get()
    assert signature.language == "es" and signature.witness == nurse
    assert "Tableta de la clínica" in signature.document_html  # the printable copy is in Spanish
    assert '<html lang="en">' in login(nurse).get("/").content.decode()  # the staff's own pages stay English


@time_machine.travel(T0, tick=False)
def test_an_english_speaker_can_read_the_tablet_form_in_spanish(login: Any, patient: Any, nurse: Any) -> None:
    page = login(nurse).get(reverse("consent:tablet", args=[patient.pk]) + "?lang=es").content.decode()
    assert '<html lang="es">' in page and "Firmar" in page
    english = login(nurse).get(reverse("consent:tablet", args=[patient.pk])).content.decode()
    assert '<html lang="en">' in english and "Type your full name to sign" in english


@time_machine.travel(T0, tick=False)
def test_a_spanish_signature_keeps_a_spanish_copy_and_an_english_one_stays_english(
        login: Any, patient: Any, other_patient: Any, sign: Any) -> None:
    spanish = sign(speaks_spanish(patient), now=T0, language="es")
    english = sign(other_patient, now=T0, language="en")
    for words in ("<h2>Firma</h2>", "Paciente: Maya Reyes", "Cómo: Portal del paciente",
                  'lang="es"', "Huella digital del texto firmado"):
        assert words in spanish.document_html
    assert "<h2>Signature</h2>" in english.document_html and "How: Patient portal" in english.document_html
    page = login(patient.user).get(reverse("consent:signature", args=[spanish.pk]))
    assert "Volver a la página de su consentimiento" in page.content.decode()
    assert english_words(_visible(page), [patient.display_name, patient.clinic.name]) == []


@time_machine.travel(T0, tick=False)
def test_the_signing_errors_are_in_spanish(login: Any, patient: Any) -> None:
    client = login(speaks_spanish(patient).user)
    base = {"template_version": 1, "language": "es", "agree": "on"}
    wrong_name = client.post(reverse("consent:mine"), {**base, "typed_name": "Otra Persona",
                                                       "signed_on": "2026-03-10"}).content.decode()
    assert "Por favor, escriba el nombre completo que aparece en el expediente: Maya Reyes." in wrong_name
    wrong_day = client.post(reverse("consent:mine"), {**base, "typed_name": "Maya Reyes",
                                                      "signed_on": "2026-03-09"}).content.decode()
    assert "Por favor, escriba la fecha de hoy (10/03/2026)." in wrong_day
    assert not ConsentSignature.objects.exists()
