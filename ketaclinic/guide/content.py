"""Guide pages: the default text (ours, in content/<lang>/<slug>.txt), a small safe markup,
and readability scores.

Markup, chosen so a medical director can edit it in a plain text box:
  "# Title" on the first line; "## Heading"; "- item" for lists; blank line between paragraphs;
  [link text](/internal/path) for links inside the site; {clinic_phone} style placeholders.
Everything is HTML-escaped before the markup is applied, so edits can never inject HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import textstat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

CONTENT_DIR = Path(__file__).with_name("content")
LANGUAGES = ("en", "es")

# Readability bars for patient pages. English: Flesch–Kincaid grade ≤ 8 (6th–8th grade target in
# DEVELOPERS.md). Spanish: Fernández-Huerta ≥ 70 ("bastante fácil", roughly 7th grade); the index
# is the Spanish adaptation of Flesch reading ease provided by textstat.
MAX_GRADE_EN = 8.0
MIN_EASE_ES = 70.0


@dataclass(frozen=True)
class GuideTopic:
    slug: str
    order: int
    when: str  # the moment it is offered, shown to staff


TOPICS = (
    GuideTopic("about", 1, "after approval"),
    GuideTopic("course", 2, "after approval"),
    GuideTopic("before", 3, "after booking and the day before each visit"),
    GuideTopic("during", 4, "at check-in"),
    GuideTopic("after", 5, "at discharge"),
    GuideTopic("sleep", 6, "one week into treatment"),
    GuideTopic("faq", 7, "always"),
)
TOPIC_SLUGS = tuple(t.slug for t in TOPICS)


@dataclass(frozen=True)
class PageText:
    title: str
    body: str  # markup, without the title line


def split_title(text: str) -> PageText:
    lines = text.strip().splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ValueError("The first line must be the title, starting with '# '.")
    return PageText(title=lines[0][2:].strip(), body="\n".join(lines[1:]).strip())


@cache
def default_page(slug: str, language: str) -> PageText:
    if slug not in TOPIC_SLUGS or language not in LANGUAGES:
        raise KeyError(f"{slug}/{language}")
    return split_title((CONTENT_DIR / language / f"{slug}.txt").read_text(encoding="utf-8"))


_LINK = re.compile(r"\[([^\]]+)\]\((/[^)\s]*)\)")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _inline(text: str, values: dict[str, str]) -> str:
    html = str(escape(text))
    html = _LINK.sub(lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>', html)
    return _PLACEHOLDER.sub(lambda m: escape(values.get(m.group(1), m.group(0))), html)


def render(body: str, values: dict[str, str]) -> SafeString:
    """Markup → HTML. Placeholders take `values` (escaped); unknown ones stay visible."""
    out: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if paragraph:
            out.append(f"<p>{_inline(' '.join(paragraph), values)}</p>")
            paragraph.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{_inline(i, values)}</li>" for i in items) + "</ul>")
            items.clear()

    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("## "):
            flush()
            out.append(f"<h2>{_inline(line[3:], values)}</h2>")
        elif line.startswith("- "):
            if paragraph:
                flush()
            items.append(line[2:])
        else:
            if items:
                flush()
            paragraph.append(line)
    flush()
    return mark_safe("\n".join(out))  # noqa: S308 — every piece above was escaped first


def plain_sentences(title: str, body: str) -> str:
    """The page as prose for readability scoring: headings and list items become sentences."""
    lines = [title, *body.splitlines()]
    cleaned = []
    for raw in lines:
        line = _LINK.sub(r"\1", raw.strip().lstrip("#").lstrip("-").strip())
        line = _PLACEHOLDER.sub("the clinic", line)
        if line:
            cleaned.append(line if line.endswith((".", "?", "!", ":")) else line + ".")
    return " ".join(cleaned)


@dataclass(frozen=True)
class Readability:
    language: str
    score: float
    label: str  # e.g. "grade 5.4" or "ease 86.8"
    passes: bool
    target: str


def readability(title: str, body: str, language: str) -> Readability:
    text = plain_sentences(title, body)
    if language == "es":
        textstat.set_lang("es")
        ease = round(float(textstat.fernandez_huerta(text)), 1)
        textstat.set_lang("en")
        return Readability("es", ease, f"Fernández-Huerta {ease}", ease >= MIN_EASE_ES,
                           f"{MIN_EASE_ES:g} or higher")
    textstat.set_lang("en")
    grade = round(float(textstat.flesch_kincaid_grade(text)), 1)
    return Readability("en", grade, f"grade {grade}", grade <= MAX_GRADE_EN, f"grade {MAX_GRADE_EN:g} or lower")
