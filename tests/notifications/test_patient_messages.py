"""Every patient message, in every language: it renders, reads plainly, and the Spanish has no
English left in it. Dates and times are written for the patient's language and clinic zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from ketaclinic.guide.content import readability
from ketaclinic.notifications.wording import LANGUAGES, Fmt, registered_messages, render_patient_message

KINDS = sorted(registered_messages())
NEW_YORK = ZoneInfo("America/New_York")
# Words that only English has; one of them in a Spanish message means a string was not translated.
ENGLISH_ONLY = {"the", "your", "you", "please", "visit", "call", "and", "is", "at", "to", "with", "of", "if",
                "read", "here", "before", "after", "today", "tomorrow", "check", "from", "by", "on"}


def _render(kind: str, language: str) -> Any:
    message = registered_messages()[kind]
    return render_patient_message(kind, language=language, zone=ZoneInfo(message.sample_zone), values=message.sample)


def _without_values(kind: str, text: str) -> str:
    """The words we wrote: links and the sample's own values (names, phone numbers) removed."""
    text = re.sub(r"https?://\S+", " ", text)
    for value in registered_messages()[kind].sample.values():
        if isinstance(value, str) and value:
            text = text.replace(value, " ")
    return text


def test_every_kind_the_stage_apps_send_is_registered() -> None:
    expected = {"prep.booking_confirmation", "prep.rescheduled", "prep.cancelled", "prep.health_update",
                "prep.day_before", "prep.morning_of", "prep.medication", "aftercare", "next_day_checkin",
                "outcomes.questionnaire_due", "messaging.reply", "guide.course", "guide.before", "guide.before_day",
                "guide.during", "guide.after", "guide.sleep", "schedule.slot_offer", "schedule.course_moved"}
    assert expected <= set(KINDS)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_each_message_renders_and_reads_plainly(kind: str, language: str) -> None:
    rendered = _render(kind, language)
    assert rendered.language == language and rendered.subject and rendered.body
    assert "%(" not in rendered.body + rendered.subject and "{" not in rendered.body
    score = readability(rendered.subject, re.sub(r"https?://\S+", "", rendered.body), language)
    assert score.passes, f"{kind}/{language} reads at {score.label} (needs {score.target}):\n{rendered.body}"


@pytest.mark.parametrize("kind", KINDS)
def test_spanish_has_no_untranslated_english(kind: str) -> None:
    english, spanish = _render(kind, "en"), _render(kind, "es")
    assert spanish.subject != english.subject
    english_lines = {line.strip() for line in _without_values(kind, english.body).splitlines() if line.strip()}
    for line in _without_values(kind, spanish.subject + "\n" + spanish.body).splitlines():
        words = set(re.findall(r"[a-záéíóúñü]+", line.lower()))
        assert not (words & ENGLISH_ONLY), f"{kind}: English words {words & ENGLISH_ONLY} in {line!r}"
        assert not line.strip() or line.strip() not in english_lines, f"{kind}: {line!r} is the English line"


@pytest.mark.parametrize("kind", KINDS)
def test_messages_keep_the_safety_numbers_and_links_in_both_languages(kind: str) -> None:
    english, spanish = _render(kind, "en"), _render(kind, "es")
    for needle in ("988", "911", "555-0100", "https://portal.example"):
        assert (needle in english.body) == (needle in spanish.body), (kind, needle)


def test_times_are_written_for_the_language_and_the_clinic_zone() -> None:
    at = datetime(2026, 12, 3, 14, 30, tzinfo=UTC)  # 9:30 in New York
    en, es = Fmt("en", NEW_YORK), Fmt("es", NEW_YORK)
    assert en.when(at) == "9:30 AM on Thursday, December 3"
    assert es.when(at) == "el jueves 3 de diciembre a las 9:30 a. m."
    assert es.day(at) == "jueves 3 de diciembre" and es.clock(at) == "9:30 a. m."
    assert Fmt("es", ZoneInfo("America/Los_Angeles")).clock(at) == "6:30 a. m."
    assert es.when(datetime(2026, 12, 3, 18, 15, tzinfo=UTC)) == "el jueves 3 de diciembre a la 1:15 p. m."
    assert es.clock(datetime(2026, 12, 3, 17, 0, tzinfo=UTC)) == "12:00 del mediodía"
    assert es.when(datetime(2026, 12, 3, 5, 0, tzinfo=UTC)) == (
        "la medianoche entre el miércoles 2 de diciembre y el jueves 3 de diciembre")
    # 1:30 happens twice on 1 November 2026 in New York (clocks go back): say which one.
    first, second = datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert "primera vez" in es.clock(first) and "segunda vez" in es.clock(second)
    assert "first one" in en.clock(first) and "second one" in en.clock(second)
    with pytest.raises(ValueError):
        es.when(datetime(2026, 12, 3, 9, 30))


def test_a_sentence_ending_in_a_spanish_time_has_one_full_stop() -> None:
    body = _render("prep.day_before", "es").body
    assert "a. m.." not in body and "p. m.." not in body and "a las 9:30 a. m." in body


def test_rendering_does_not_change_the_active_language() -> None:
    with translation.override("en"):
        _render("prep.booking_confirmation", "es")
        assert translation.get_language() == "en"


def test_an_unknown_language_falls_back_to_english() -> None:
    assert _render("guide.sleep", "fr").body == _render("guide.sleep", "en").body


def test_stage_apps_write_patient_messages_in_the_patients_language() -> None:
    """queue_message takes finished text, so the stage apps never call it: they queue registered
    wording with queue_patient_message, which renders it in the patient's language (and so it is
    in the table above)."""
    root = Path(__file__).resolve().parents[2] / "ketaclinic"
    offenders = [str(path.relative_to(root)) for path in root.rglob("*.py")
                 if "notifications" not in path.parts and re.search(r"\bqueue_message\(", path.read_text())]
    assert offenders == []
