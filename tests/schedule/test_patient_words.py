"""Patient-facing pages read at about a 6th-8th grade level (Flesch-Kincaid grade ≤ 8) and say
when to call the clinic, 988 or 911."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
import textstat
import time_machine
from django.urls import reverse

from ketaclinic.schedule.actions import do_book_visit
from tests.schedule.conftest import MONDAY


def main_text(html: str) -> str:
    """The prose of the page: main content without slot pickers (lists of times are not sentences)."""
    body = html.split('<main id="main"', 1)[1].split(">", 1)[1].split("</main>", 1)[0]
    body = re.sub(r"<(script|style|fieldset|select)[^>]*>.*?</\1>", " ", body, flags=re.S)
    text = unescape(re.sub(r"<[^>]+>", " ", body))
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.django_db
def test_patient_pages_are_plain_and_say_who_to_call(login: Any, front_desk: Any, course: Any, chairs: Any,
                                                     clinic: Any, at: Any, patient: Any) -> None:
    visit = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY + timedelta(days=2), "09:00"))
    with time_machine.travel(MONDAY - timedelta(days=3), tick=False):
        client = login(patient.user)
        pages = {
            "my visits": client.get(reverse("schedule:my_visits")).content.decode(),
            "reschedule": client.get(reverse("schedule:my_reschedule", args=[visit.pk])).content.decode(),
            "cancel": client.get(reverse("schedule:my_cancel", args=[visit.pk])).content.decode(),
            "availability": client.get(reverse("schedule:my_availability")).content.decode(),
        }
    textstat.set_lang("en")
    for name, html in pages.items():
        text = main_text(html)
        grade = textstat.flesch_kincaid_grade(text)
        assert grade <= 8, f"{name}: grade {grade}: {text[:300]}"
    assert "555-0100" in main_text(pages["my visits"])
    cancel = main_text(pages["cancel"])
    assert "988" in cancel and "911" in cancel
