"""Sedation and dissociation scales (clinical-reference.md §8.4). Pure Python, no Django.

- RASS (Sessler 2002): one level from -5 (unrousable) to +4 (combative). `RASS_LEVELS` gives the
  label for each level, `rass_label(level)` validates and names one. The alert rule on a RASS
  level (stop / pause) lives in `ketaclinic.protocol.vitals.assess_rass`.
- CADSS (Bremner 1998), 23-item version used in ketamine studies: each item 0-4, total 0-92.
  `score_cadss(items)` takes the 23 item scores in item order and returns the total and the
  CADSS-6 short-form subtotal.
- CADSS-6 (Rodrigues 2021, not externally validated): items 1, 2, 6, 7, 15 and 22 of the
  23-item version, total 0-24. `score_cadss6(items)` scores a short form given on its own.

Item wording is not reproduced here (instrument licensing is an open item, §15).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ketaclinic.protocol.errors import InputError

RASS_LEVELS: dict[int, str] = {
    4: "combative",
    3: "very agitated",
    2: "agitated",
    1: "restless",
    0: "alert and calm",
    -1: "drowsy",
    -2: "light sedation",
    -3: "moderate sedation",
    -4: "deep sedation",
    -5: "unrousable",
}
RASS_MIN = -5
RASS_MAX = 4

CADSS_ITEM_COUNT = 23
CADSS_ITEM_MAX = 4
CADSS_MAX = CADSS_ITEM_COUNT * CADSS_ITEM_MAX  # 92
CADSS6_ITEMS: tuple[int, ...] = (1, 2, 6, 7, 15, 22)  # 1-based item numbers in the 23-item version
CADSS6_MAX = len(CADSS6_ITEMS) * CADSS_ITEM_MAX  # 24


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_rass(level: object, field: str = "rass") -> int:
    """Return `level` if it is a whole RASS level (-5 to +4); raise InputError(field, ...) otherwise."""
    if isinstance(level, bool) or not isinstance(level, int):
        raise InputError(field, f"must be a whole number from {RASS_MIN} to +{RASS_MAX}, got {level!r}")
    if not RASS_MIN <= level <= RASS_MAX:
        raise InputError(field, f"must be from {RASS_MIN} to +{RASS_MAX}, got {level}")
    return level


def rass_label(level: int) -> str:
    """Plain-words label for a RASS level, e.g. -3 -> "moderate sedation"."""
    return RASS_LEVELS[validate_rass(level)]


@dataclass(frozen=True)
class CadssScore:
    """CADSS total (0-92) and the CADSS-6 subtotal (0-24) from the same answers."""

    total: int
    cadss6_total: int
    maximum: int = CADSS_MAX
    cadss6_maximum: int = CADSS6_MAX


def _check_items(items: Sequence[int], count: int, field: str) -> tuple[int, ...]:
    if isinstance(items, str | bytes) or not isinstance(items, Sequence):
        raise InputError(field, f"must be a list of {count} item scores")
    if len(items) != count:
        raise InputError(field, f"must have exactly {count} item scores, got {len(items)}")
    for number, value in enumerate(items, start=1):
        if not _is_int(value) or not 0 <= value <= CADSS_ITEM_MAX:
            raise InputError(f"{field}[{number}]", f"must be a whole number from 0 to {CADSS_ITEM_MAX}, got {value!r}")
    return tuple(items)


def score_cadss(items: Sequence[int]) -> CadssScore:
    """Score the 23-item CADSS; `items[0]` is item 1. Raises InputError on a wrong count or value."""
    checked = _check_items(items, CADSS_ITEM_COUNT, "cadss")
    return CadssScore(total=sum(checked), cadss6_total=sum(checked[n - 1] for n in CADSS6_ITEMS))


def score_cadss6(items: Sequence[int]) -> int:
    """Score a CADSS-6 given on its own: six item scores in the order of CADSS6_ITEMS, total 0-24."""
    return sum(_check_items(items, len(CADSS6_ITEMS), "cadss6"))
