"""The shipped consent form meets the same reading-level bar as the patient guide."""

from __future__ import annotations

import pytest

from ketaclinic.consent import default_text
from ketaclinic.guide.content import readability


@pytest.mark.parametrize(("title", "body", "language"), [
    (default_text.TITLE_EN, default_text.BODY_EN, "en"),
    (default_text.TITLE_ES, default_text.BODY_ES, "es"),
])
def test_default_consent_form_is_plain_language(title: str, body: str, language: str) -> None:
    score = readability(title, body, language)
    assert score.passes, f"consent ({language}) reads at {score.label}"
