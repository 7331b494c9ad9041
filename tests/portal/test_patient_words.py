"""The outcomes and messaging portal pages read at a 6th-8th grade level in English (Flesch-Kincaid
grade ≤ 8) and easily in Spanish (Fernández-Huerta ≥ 70), the same bars as the patient guide.

Questionnaire pages are left out: their item wording is the published instruments' own.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
import textstat

from ketaclinic.guide.content import MAX_GRADE_EN, MIN_EASE_ES

PAGES = ("/outcomes/my-progress/", "/outcomes/journal/", "/outcomes/sleep/new/", "/messages/", "/messages/new/",
         "/messages/how-i-feel/")


def main_text(html: str) -> str:
    """The prose of the page's <main>: no forms' option lists, no SVG, no tables of numbers."""
    body = html.split('<main id="main"', 1)[1].split(">", 1)[1].split("</main>", 1)[0]
    body = re.sub(r"<(script|style|svg|select|table)[^>]*>.*?</\1>", " ", body, flags=re.S)
    text = unescape(re.sub(r"<[^>]+>", " ", body))
    return re.sub(r"\s+", " ", text).strip()


def score(text: str, language: str) -> float:
    textstat.set_lang(language)
    try:
        return float(textstat.fernandez_huerta(text) if language == "es" else textstat.flesch_kincaid_grade(text))
    finally:
        textstat.set_lang("en")


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "es"])
def test_portal_pages_are_plain_and_say_who_to_call(login: Any, portal_patient: Any, language: str) -> None:
    portal_patient.preferred_language = language
    portal_patient.save()
    client = login(portal_patient.user)
    too_hard = {}
    for path in PAGES:
        text = main_text(client.get(path).content.decode())
        value = score(text, language)
        if (language == "en" and value > MAX_GRADE_EN) or (language == "es" and value < MIN_EASE_ES):
            too_hard[path] = (round(value, 1), text[:200])
    assert too_hard == {}
    for path in ("/outcomes/journal/", "/messages/how-i-feel/"):  # where to turn, on the page itself
        text = main_text(client.get(path).content.decode())  # not the footer: the page's own words
        assert "988" in text and "911" in text, path
