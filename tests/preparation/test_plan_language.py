"""The visit plan (timeline, lists, page and printout) in the patient's language.

The English rendered through gettext must be exactly the protocol's reviewed wording, for every
step and setting, so the Spanish translates the same sentences at the same instants.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from ketaclinic.guide.content import readability
from ketaclinic.notifications.wording import Fmt
from ketaclinic.patients.actions import do_set_preferred_language
from ketaclinic.preparation.step_words import day_lists, step_text
from ketaclinic.protocol.config import default_protocol
from ketaclinic.protocol.preparation import MedicationInstruction, build_timeline, what_to_bring
from tests.preparation.test_patient_words import main_text

NEW_YORK = ZoneInfo("America/New_York")
MEDS = (MedicationInstruction("lorazepam", "hold_evening_before", "Dr. Lee"),
        MedicationInstruction("lamotrigine", "hold_morning_of", "Dr. Lee"),
        MedicationInstruction("sertraline", "take_as_usual", "Dr. Lee"))
SETTINGS = [
    {},
    {"caffeine_limit_cups": 0},
    {"caffeine_limit_cups": 2, "escort_required": False},
    {"fast_nonhuman_milk_h": 7, "fast_fatty_meal_h": 8},
    {"fast_fatty_meal_h": 6},
    {"alcohol_abstinence_h": 24, "recreational_drug_abstinence_h": 48},
]
STARTS = [datetime(2027, 3, 16, 14, 0, tzinfo=UTC),  # 10:00 EDT, after the spring change
          datetime(2026, 11, 1, 6, 30, tzinfo=UTC),  # 1:30 the second time (clocks went back)
          datetime(2026, 12, 3, 5, 0, tzinfo=UTC)]  # midnight


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("changes", SETTINGS)
def test_the_english_is_exactly_the_protocols_reviewed_wording(changes: dict[str, Any], start: datetime) -> None:
    protocol = default_protocol()
    protocol = dataclasses.replace(protocol, preparation=dataclasses.replace(protocol.preparation, **changes))
    timeline = build_timeline(start, NEW_YORK, 150, protocol, medication_instructions=MEDS)
    fmt = Fmt("en", NEW_YORK)
    with translation.override("en"):
        for step in timeline.steps:
            assert step_text(step, timeline, protocol.preparation, fmt, MEDS) == step.text, step.kind
        ours, theirs = day_lists(protocol.preparation), what_to_bring(protocol)
    assert ours.bring == [item.text for item in theirs.bring]
    assert ours.leave_at_home == [item.text for item in theirs.leave_at_home]
    assert (ours.getting_home, ours.no_driving) == (theirs.getting_home, theirs.no_driving)


@pytest.mark.parametrize("changes", SETTINGS)
def test_every_step_has_spanish_that_reads_plainly(changes: dict[str, Any]) -> None:
    protocol = default_protocol()
    protocol = dataclasses.replace(protocol, preparation=dataclasses.replace(protocol.preparation, **changes))
    timeline = build_timeline(STARTS[0], NEW_YORK, 150, protocol, medication_instructions=MEDS)
    fmt = Fmt("es", NEW_YORK)
    with translation.override("es"):
        texts = [step_text(step, timeline, protocol.preparation, fmt, MEDS) for step in timeline.steps]
        lists = day_lists(protocol.preparation)
    with translation.override("en"):
        english = {step_text(step, timeline, protocol.preparation, Fmt("en", NEW_YORK), MEDS)
                   for step in timeline.steps}
    for text in texts:
        assert text not in english and " the " not in text and " your " not in text, text
    body = " ".join(texts + lists.bring + lists.leave_at_home + [lists.getting_home, lists.no_driving])
    assert readability("Sus horarios", body, "es").passes
    assert "el martes 16 de marzo a las 10:00 a. m." in body


@pytest.mark.django_db
def test_a_spanish_patient_reads_and_prints_their_plan_in_spanish(visit: Any, login: Any, patient: Any,
                                                                   nurse: Any) -> None:
    do_set_preferred_language(patient.user, patient, "es")
    url = reverse("preparation:visit", args=[visit.pk])
    text = main_text(login(patient.user).get(url).content.decode())
    for spanish in ("Su visita del martes 16 de marzo", "Cosas por hacer", "Sus horarios", "Qué traer",
                    "Deje de comer alimentos sólidos a más tardar el martes 16 de marzo a las 4:00 a. m.",
                    "Por favor, llegue a la clínica a más tardar", "¿Necesita ayuda?", "988", "911"):
        assert spanish in text, spanish
    words = set(re.findall(r"[a-z]+", text.lower()))
    assert not words & {"the", "your", "please", "visit", "before", "after", "stop", "drink"}, words & {
        "the", "your", "please", "visit", "before", "after", "stop", "drink"}
    assert readability("Su plan para la visita", text, "es").passes

    # A nurse (English screens) opening the plan, e.g. to print it for the patient: the
    # patient's parts are Spanish, the staff section stays English.
    staff_view = main_text(login(nurse).get(url).content.decode())
    assert "Sus horarios" in staff_view and "For staff" in staff_view


@pytest.mark.django_db
def test_an_english_patient_sees_the_same_plan_as_before(visit: Any, login: Any, patient: Any) -> None:
    text = main_text(login(patient.user).get(reverse("preparation:visit", args=[visit.pk])).content.decode())
    assert "Your visit on Tuesday, March 16" in text and "Your timeline" in text
    assert "Stop eating solid food by 4:00 AM on Tuesday, March 16." in text


@pytest.mark.django_db
def test_the_other_preparation_pages_are_in_spanish_for_a_spanish_patient(visit: Any, login: Any,
                                                                          patient: Any) -> None:
    do_set_preferred_language(patient.user, patient, "es")
    client = login(patient.user)
    expected = {"preparation:ride": "Su regreso a casa", "preparation:health_update": "Su informe de salud",
                "preparation:attest": "Antes de venir", "preparation:intentions": "Su intención"}
    leftover = {"the", "your", "please", "visit", "before", "after", "when", "what", "have", "you"}
    for name, heading in expected.items():
        text = main_text(client.get(reverse(name, args=[visit.pk])).content.decode())
        assert heading in text, name
        assert "martes 16 de marzo" in text or name == "preparation:intentions", name
        words = set(re.findall(r"[a-z]+", text.lower()))
        assert not words & leftover, (name, words & leftover)
        assert readability(heading, text, "es").passes, name
    breathing = main_text(client.get(reverse("preparation:breathing")).content.decode())
    assert "Respiración tranquila" in breathing and "988" in breathing
    assert readability("Respiración tranquila", breathing, "es").passes
    # A mistake is explained in Spanish and what was typed stays in the form.
    response = client.post(reverse("preparation:ride", args=[visit.pk]),
                           {"kind": "adult", "escort_name": "", "escort_phone": "207-555-0142"})
    html = response.content.decode()
    assert "Por favor, escriba el nombre del adulto que le llevará a casa." in html
    assert 'value="207-555-0142"' in html


@pytest.mark.django_db
def test_the_calendar_file_is_in_the_patients_language(visit: Any, login: Any, patient: Any) -> None:
    url = reverse("preparation:visit_ics", args=[visit.pk])
    english = login(patient.user).get(url).content.decode().replace("\r\n ", "")
    assert "SUMMARY:Last solid food before your visit" in english
    do_set_preferred_language(patient.user, patient, "es")
    spanish = login(patient.user).get(url).content.decode().replace("\r\n ", "")
    assert "SUMMARY:Últimos alimentos sólidos antes de su visita" in spanish
    assert "Deje de comer alimentos sólidos a más tardar el martes 16 de marzo a las 4:00 a. m." in spanish
    assert spanish.count("BEGIN:VEVENT") == 3 and "DTSTART:20270316T080000Z" in spanish
