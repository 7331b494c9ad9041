"""RASS levels and CADSS-23 / CADSS-6 scoring (clinical-reference.md §8.4)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.scales import (
    CADSS6_ITEMS,
    CADSS_MAX,
    RASS_LEVELS,
    rass_label,
    score_cadss,
    score_cadss6,
    validate_rass,
)


def test_rass_levels_cover_minus5_to_plus4() -> None:
    assert sorted(RASS_LEVELS) == list(range(-5, 5))


@pytest.mark.parametrize(
    ("level", "label"),
    [(4, "combative"), (2, "agitated"), (0, "alert and calm"), (-1, "drowsy"), (-3, "moderate sedation"),
     (-5, "unrousable")],
)
def test_rass_labels(level: int, label: str) -> None:
    assert rass_label(level) == label


@pytest.mark.parametrize("bad", [-6, 5, 0.5, True, None, "0"])
def test_rass_invalid(bad: Any) -> None:
    with pytest.raises(InputError):
        validate_rass(bad)


def test_cadss_full_range() -> None:
    assert score_cadss([0] * 23).total == 0
    top = score_cadss([4] * 23)
    assert top.total == 92 == CADSS_MAX
    assert top.cadss6_total == 24


def test_cadss6_uses_items_1_2_6_7_15_22() -> None:
    assert CADSS6_ITEMS == (1, 2, 6, 7, 15, 22)
    items = [0] * 23
    for n in (1, 2, 6, 7, 15, 22):
        items[n - 1] = n % 4 + 1  # 2, 3, 3, 4, 4, 3
    items[2] = 4  # item 3 is not in the short form
    score = score_cadss(items)
    assert score.cadss6_total == 2 + 3 + 3 + 4 + 4 + 3
    assert score.total == score.cadss6_total + 4


def test_cadss6_alone() -> None:
    assert score_cadss6([1, 2, 3, 4, 0, 1]) == 11


@pytest.mark.parametrize(
    ("items", "field"),
    [([0] * 22, "cadss"), ([0] * 24, "cadss"), ([0] * 22 + [5], "cadss[23]"), ([-1] + [0] * 22, "cadss[1]"),
     ([True] + [0] * 22, "cadss[1]"), ("0" * 23, "cadss")],
)
def test_cadss_invalid(items: Any, field: str) -> None:
    with pytest.raises(InputError) as exc:
        score_cadss(items)
    assert exc.value.field == field


def test_cadss6_wrong_count() -> None:
    with pytest.raises(InputError):
        score_cadss6([0] * 5)


@given(st.lists(st.integers(0, 4), min_size=23, max_size=23))
def test_cadss_totals_in_range(items: list[int]) -> None:
    s = score_cadss(items)
    assert 0 <= s.cadss6_total <= s.total <= 92
    assert s.cadss6_total <= 24
