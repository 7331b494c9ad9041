"""Patient-facing preparation pages and messages read at about a 6th-8th grade level
(Flesch-Kincaid grade ≤ 8) and say when to call the clinic, 988 or 911."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
import textstat
from django.urls import reverse

from ketaclinic.notifications.models import OutboundMessage
from ketaclinic.preparation.sweep import sync_one_visit
from tests.preparation.conftest import BOOKED_AT


def main_text(html: str) -> str:
    body = html.split('<main id="main"', 1)[1].split(">", 1)[1].split("</main>", 1)[0]
    body = re.sub(r"<(script|style|select)[^>]*>.*?</\1>", " ", body, flags=re.S)
    text = unescape(re.sub(r"<[^>]+>", " ", body))
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.django_db
def test_pages_are_plain_and_say_who_to_call(visit: Any, login: Any, patient: Any) -> None:
    client = login(patient.user)
    textstat.set_lang("en")
    for name in ("preparation:visit", "preparation:ride", "preparation:health_update", "preparation:attest"):
        text = main_text(client.get(reverse(name, args=[visit.pk])).content.decode())
        grade = textstat.flesch_kincaid_grade(text)
        assert grade <= 8, f"{name}: grade {grade}: {text[:300]}"
        assert "988" in text and "911" in text and "555-0100" in text, name
    breathing = main_text(client.get(reverse("preparation:breathing")).content.decode())
    assert textstat.flesch_kincaid_grade(breathing) <= 8 and "988" in breathing


@pytest.mark.django_db
def test_reminder_messages_are_plain(visit: Any) -> None:
    sync_one_visit("w", now=BOOKED_AT)
    textstat.set_lang("en")
    for message in OutboundMessage.objects.filter(visit=visit):
        text = re.sub(r"https?://\S+", "", message.body)
        assert textstat.flesch_kincaid_grade(text) <= 8, (message.kind, text)
