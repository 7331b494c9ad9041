"""Errors the patient can meet from the outcomes and messaging actions follow the active language."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from ketaclinic.messaging import actions as messaging
from ketaclinic.outcomes import actions as outcomes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language, journal, message", [
    ("en", "Write a few words first.", "Please write your message."),
    ("es", "Primero escriba unas palabras.", "Por favor, escriba su mensaje."),
])
def test_patient_facing_action_errors_are_in_the_patients_language(patient: Any, language: str, journal: str,
                                                                  message: str) -> None:
    with translation.override(language):
        with pytest.raises(outcomes.OutcomeError) as exc:
            outcomes.do_add_journal_entry(patient.user, patient, text="   ", mood=None, tags=[],
                                          submission_key="k1")
        assert str(exc.value) == journal
        with pytest.raises(messaging.MessagingError) as err:
            messaging.do_start_conversation(patient.user, patient, topic="question", subject="Hola", body="  ")
        assert str(err.value) == message
