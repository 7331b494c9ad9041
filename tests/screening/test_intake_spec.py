"""The intake spec: every rule condition has plain words, and cleaning never loses what was typed."""

from __future__ import annotations

from django.http import QueryDict
from hypothesis import example, given
from hypothesis import strategies as st

from ketaclinic.protocol.eligibility import CONDITIONS
from ketaclinic.protocol.indications import normalize_code
from ketaclinic.screening.intake import (
    CONDITION_LABELS,
    INDICATION_CHOICES,
    SECTION_BY_KEY,
    clean_section,
)


def _post(**values: str | list[str]) -> QueryDict:
    q = QueryDict(mutable=True)
    for key, value in values.items():
        q.setlist(key, value if isinstance(value, list) else [value])
    return q


def test_every_condition_has_a_plain_label_and_every_choice_a_valid_code() -> None:
    assert set(CONDITION_LABELS) == set(CONDITIONS)
    for _, _, code in INDICATION_CHOICES:
        assert normalize_code(code) == code


@given(st.text(max_size=20))
@example("nan")
@example("-inf")
@example("1e2")
@example(" 70,5 ")
def test_a_number_field_is_either_saved_as_a_number_in_range_or_kept_as_typed(raw: str) -> None:
    data, errors = clean_section(SECTION_BY_KEY["body"], _post(weight_kg=raw, height_cm=""))
    value = data["weight_kg"]
    if "weight_kg" in errors:
        assert value == raw.strip()
    elif raw.strip():
        assert isinstance(value, float) and 30 <= value <= 300
    else:
        assert value == ""


@given(st.lists(st.sampled_from([*CONDITIONS, "flu", "", "pregnancy"]), max_size=6))
def test_only_checklist_conditions_are_kept(picked: list[str]) -> None:
    data, errors = clean_section(SECTION_BY_KEY["history"], _post(conditions=picked))
    allowed = {key for key, _ in SECTION_BY_KEY["history"].fields[0].choices}
    assert set(data["conditions"]) <= allowed
    assert ("conditions" in errors) == any(p and p not in allowed for p in picked)


def test_none_of_these_with_a_condition_is_refused() -> None:
    _, errors = clean_section(SECTION_BY_KEY["history"], _post(conditions=["glaucoma"], no_conditions=["yes"]))
    assert "no_conditions" in errors
