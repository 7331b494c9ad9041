"""Every shipped guide page passes the reading-level bar, in English and Spanish."""

from __future__ import annotations

import pytest

from ketaclinic.guide.content import LANGUAGES, TOPIC_SLUGS, default_page, readability, render


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("slug", TOPIC_SLUGS)
def test_default_pages_are_plain_language(slug: str, language: str) -> None:
    page = default_page(slug, language)
    score = readability(page.title, page.body, language)
    assert score.passes, f"{slug}/{language} reads at {score.label}"


@pytest.mark.parametrize("slug", TOPIC_SLUGS)
def test_every_page_exists_in_both_languages_with_the_same_shape(slug: str) -> None:
    en, es = default_page(slug, "en"), default_page(slug, "es")
    assert en.body.count("## ") == es.body.count("## ")
    assert set(_placeholders(en.body)) == set(_placeholders(es.body))


def _placeholders(text: str) -> list[str]:
    import re

    return re.findall(r"\{[a-z_]+\}", text)


def test_after_care_page_says_when_to_call_and_has_crisis_numbers() -> None:
    body = default_page("after", "en").body
    for needed in ("{clinic_phone}", "{emergency_number}", "{crisis_line}", "next day", "6 hours"):
        assert needed in body


def test_markup_is_escaped_and_links_stay_inside_the_site() -> None:
    html = str(render("Hi <script>x</script> [ok](/guide/) [bad](https://evil.example)\n- a {clinic_phone}",
                      {"clinic_phone": "555 <b>"}))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="/guide/">ok</a>' in html
    assert "https://evil.example" in html and 'href="https://evil' not in html
    assert "555 &lt;b&gt;" in html and "<li>" in html


def test_an_unreadable_text_fails_the_bar() -> None:
    dense = ("Notwithstanding pharmacokinetic considerations, intravenous administration of racemic ketamine "
             "necessitates comprehensive hemodynamic surveillance throughout the perioperative interval. ") * 3
    assert not readability("Considerations", dense, "en").passes
