"""A Spanish-speaking patient at each stage, built through the real actions.

`portal_patient` (tests/portal) has a course, scores, a sleep diary night, a journal entry and a
conversation; the infusion-day fixtures (tests/infusions) put a patient in the chair and send
them home with a next-day check-in.
"""

from __future__ import annotations

from typing import Any

from tests.consent.conftest import sign  # noqa: F401  (fixture)
from tests.infusions.conftest import chair, frozen, ready_visit, visit  # noqa: F401  (fixtures)
from tests.portal.conftest import portal_patient  # noqa: F401  (fixture)


def speaks_spanish(patient: Any) -> Any:
    from ketaclinic.patients.actions import do_set_preferred_language

    do_set_preferred_language(patient.user, patient, "es")
    patient.refresh_from_db()
    return patient


def own_words(patient: Any) -> list[str]:
    """Text the patient (or their nurse, in a message) wrote: shown as written, in any language."""
    words = [patient.clinic.name, patient.display_name, patient.first_name, patient.last_name]
    for conversation in patient.conversations.all():
        words.append(conversation.subject)
        words += [m.body for m in conversation.messages.all()]
    words += [entry.text for entry in patient.journal_entries.all()]
    return words
