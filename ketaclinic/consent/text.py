"""Turning a consent form's plain text into blocks a template can show, and matching typed names.

Format: "## " starts a heading, "- " starts a list item, a blank line ends a paragraph. Text is
never trusted as HTML: templates escape every block.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field


@dataclass
class Block:
    kind: str  # "heading" | "paragraph" | "list"
    text: str = ""
    items: list[str] = field(default_factory=list)


def to_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    paragraph: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            blocks.append(Block("paragraph", " ".join(paragraph)))
            paragraph.clear()

    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            end_paragraph()
        elif line.startswith("## "):
            end_paragraph()
            blocks.append(Block("heading", line[3:].strip()))
        elif line.startswith("- "):
            end_paragraph()
            if not blocks or blocks[-1].kind != "list":
                blocks.append(Block("list"))
            blocks[-1].items.append(line[2:].strip())
        else:
            paragraph.append(line)
    end_paragraph()
    return blocks


def normalize_name(name: str) -> str:
    """Case, accents, punctuation and extra spaces do not matter: 'josé  o'neil' == 'Jose O Neil'."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def names_match(typed: str, expected: str) -> bool:
    return bool(normalize_name(typed)) and normalize_name(typed) == normalize_name(expected)
