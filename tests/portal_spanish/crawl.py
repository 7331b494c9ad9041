"""Walk a signed-in patient's portal the way they would (links on the pages, GET only, this site
only) and report visible English on pages that should be in Spanish."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urlsplit

# Common English function words that never appear in natural Spanish text.
ENGLISH_WORDS = ("the", "your", "you", "and", "with", "please", "visit", "after")
_ENGLISH = re.compile(r"\b(" + "|".join(ENGLISH_WORDS) + r")\b", re.IGNORECASE)
_SKIPPED_ELEMENTS = {"script", "style", "template"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _PageReader(HTMLParser):
    """Visible text (outside script/style and outside elements marked as another language), the
    links, and the page's own language."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.html_lang: str | None = None
        self.links: list[str] = []
        self.text: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, hides its text)

    def _hidden(self) -> bool:
        return any(hides for _tag, hides in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.html_lang = values.get("lang")
        lang = values.get("lang")
        hides = tag in _SKIPPED_ELEMENTS or (tag != "html" and lang is not None and not lang.startswith("es"))
        if tag == "a" and values.get("href") and not (lang and not lang.startswith("es")) \
                and not (values.get("hreflang") or "es").startswith("en"):
            self.links.append(values["href"] or "")
        if tag in ("input", "button") and not self._hidden() and not hides:
            # Button captions and placeholders are read by the patient too.
            for name in ("placeholder", "aria-label"):
                if values.get(name):
                    self.text.append(values[name] or "")
            if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
                self.text.append(values["value"] or "")
        if tag not in _VOID:
            self._stack.append((tag, hides))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self._hidden():
            self.text.append(data)


@dataclass
class Finding:
    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass
class Crawl:
    visited: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def read_page(html: str) -> _PageReader:
    reader = _PageReader()
    reader.feed(html)
    reader.close()
    return reader


def english_words(text: str, ignore: Iterable[str] = ()) -> list[str]:
    """The English function words in `text`, after removing the strings in `ignore` (names, the
    patient's own writing)."""
    for fragment in sorted(ignore, key=len, reverse=True):
        if fragment:
            text = text.replace(fragment, " ")
    return sorted({m.group(1).lower() for m in _ENGLISH.finditer(text)})


def _in_context(text: str, ignore: Iterable[str], most: int = 4) -> list[str]:
    for fragment in sorted(ignore, key=len, reverse=True):
        if fragment:
            text = text.replace(fragment, " ")
    return [text[max(0, m.start() - 40):m.end() + 40] for m in list(_ENGLISH.finditer(text))[:most]]


def _shape(path: str) -> str:
    """Pages that differ only by ids or query (each visit's reschedule page) are walked once."""
    return re.sub(r"\d+", "N", path.split("?")[0])


def _site_path(href: str) -> str | None:
    href, _fragment = urldefrag(href.strip())
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(("/static/", "/media/")) or "/download/" in parts.path:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(client: Any, start: Iterable[str] = ("/",), *, ignore: Iterable[str] = (),
          exceptions: dict[str, str] | None = None, limit: int = 40) -> Crawl:
    """Visit pages breadth-first from `start`, following same-site links with GET, at most `limit`.

    `exceptions` maps a path prefix to its owner: those pages are still visited (their links are
    followed) but their English is not reported here.
    """
    exceptions = exceptions or {}
    ignore = list(ignore)
    queue = list(start)
    seen = {_shape(p) for p in queue}
    result = Crawl()
    while queue and len(result.visited) < limit:
        path = queue.pop(0)
        response = client.get(path)
        result.visited.append(path)
        if response.status_code != 200:
            result.findings.append(Finding(path, f"status {response.status_code}"))
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        page = read_page(response.content.decode())
        for href in page.links:
            target = _site_path(href)
            if target and _shape(target) not in seen:
                seen.add(_shape(target))
                queue.append(target)
        if any(path.startswith(prefix) for prefix in exceptions):
            continue
        if page.html_lang != "es":
            result.findings.append(Finding(path, f'<html lang="{page.html_lang}">'))
        text = " ".join(" ".join(page.text).split())
        words = english_words(text, ignore)
        if words:
            result.findings.append(Finding(path, "English words: " + ", ".join(words)
                                           + " in: " + " | ".join(_in_context(text, ignore))))
    return result
