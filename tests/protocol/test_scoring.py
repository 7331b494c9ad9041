"""Instrument scoring: clinical-reference.md §10.1 (bands), §10.2 (sum, no proration, item 9), §11 (flags)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.protocol.config import default_protocol, load_protocol
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.instruments import INSTRUMENTS, PHQ9_ITEM9_INDEX
from ketaclinic.protocol.scoring import FLAGS, score_instrument

P = default_protocol()


def answers_for(instrument: str, total: int, *, item9: int | None = None) -> list[int]:
    """Answers summing to `total`, filling items in order; PHQ-9 item 9 is `item9` if given,
    else filled last (only when the other items cannot hold the total)."""
    inst = INSTRUMENTS[instrument]
    out = [0] * inst.item_count
    remaining = total
    order = list(range(inst.item_count))
    if instrument == "phq9":
        order.remove(PHQ9_ITEM9_INDEX)
        if item9 is None:
            order.append(PHQ9_ITEM9_INDEX)
        else:
            out[PHQ9_ITEM9_INDEX] = item9
            remaining -= item9
    for i in order:
        take = min(inst.item_max, remaining)
        out[i] = take
        remaining -= take
    assert remaining == 0
    return out


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "none_minimal"), (4, "none_minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
     (15, "moderately_severe"), (19, "moderately_severe"), (20, "severe"), (27, "severe")],
)
def test_phq9_bands(total: int, band: str) -> None:
    r = score_instrument("phq9", answers_for("phq9", total), P)
    assert (r.total, r.severity) == (total, band)


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
     (15, "severe"), (21, "severe")],
)
def test_gad7_bands(total: int, band: str) -> None:
    r = score_instrument("gad7", answers_for("gad7", total), P)
    assert (r.total, r.severity) == (total, band)
    assert r.flags == ()


@pytest.mark.parametrize(("total", "flagged"), [(0, False), (32, False), (33, True), (80, True)])
def test_pcl5_provisional_cutoff(total: int, flagged: bool) -> None:
    r = score_instrument("pcl5", answers_for("pcl5", total), P)
    assert r.total == total
    assert ("provisional_ptsd" in r.flags) is flagged
    assert r.severity is None  # §10.1 gives PCL-5 no bands; decisions use the cut-off


def test_pcl5_cutoff_comes_from_config() -> None:
    p31 = load_protocol({"outcomes.pcl5_provisional_cutoff": 31})
    assert "provisional_ptsd" in score_instrument("pcl5", answers_for("pcl5", 31), p31).flags
    assert "provisional_ptsd" not in score_instrument("pcl5", answers_for("pcl5", 31), P).flags


def pcl5(b: int = 0, c: int = 0, d: int = 0, e: int = 0, value: int = 2) -> list[int]:
    """PCL-5 answers with the first b/c/d/e items of each cluster at `value`, the rest 1."""
    out = [1] * 20
    for (start, size), n in zip([(0, 5), (5, 2), (7, 7), (14, 6)], [b, c, d, e], strict=True):
        for i in range(n):
            out[start + i] = value
        assert n <= size
    return out


@pytest.mark.parametrize(
    ("counts", "value", "met"),
    [
        ((1, 1, 2, 2), 2, True),   # minimum pattern, items at "Moderately"
        ((5, 2, 7, 6), 4, True),
        ((0, 1, 2, 2), 2, False),  # no B symptom
        ((1, 0, 2, 2), 2, False),  # no C symptom
        ((1, 1, 1, 2), 2, False),  # only one D
        ((1, 1, 2, 1), 2, False),  # only one E
        ((5, 2, 7, 6), 1, False),  # everything "A little bit": 20 points, nothing endorsed
    ],
)
def test_pcl5_dsm_rule(counts: tuple[int, int, int, int], value: int, met: bool) -> None:
    r = score_instrument("pcl5", pcl5(*counts, value=value), P)
    assert r.dsm_pattern_met is met
    assert ("provisional_ptsd_dsm" in r.flags) is met


def test_pcl5_clusters() -> None:
    r = score_instrument("pcl5", [4] * 5 + [3] * 2 + [2] * 7 + [1] * 6, P)
    assert dict(r.cluster_totals) == {"B": 20, "C": 6, "D": 14, "E": 6}
    assert r.total == 46


def test_pcl5_dsm_pattern_partial_answers() -> None:
    answers: list[int | None] = list(pcl5(1, 1, 2, 2))
    answers[19] = None  # last E item blank, pattern already met by the answered items
    r = score_instrument("pcl5", answers, P)
    assert r.total is None and r.dsm_pattern_met is True
    assert r.cluster_totals["E"] is None and r.cluster_totals["B"] == 6
    undecided: list[int | None] = [0] * 19 + [None]
    undecided[0] = undecided[5] = undecided[7] = undecided[8] = undecided[14] = 2
    assert score_instrument("pcl5", undecided, P).dsm_pattern_met is None
    assert score_instrument("pcl5", [0] * 19 + [None], P).dsm_pattern_met is False


@pytest.mark.parametrize(("total",), [(0,), (7,), (10,)])
def test_pain_nrs(total: int) -> None:
    r = score_instrument("pain_nrs", [total], P)
    assert (r.total, r.severity, r.flags) == (total, None, ())


# --- PHQ-9 item 9 and the rise flag (§10.2, §11) --------------------------------------------


@pytest.mark.parametrize(("item9", "flagged"), [(0, False), (1, True), (2, True), (3, True)])
def test_item9_read_on_its_own(item9: int, flagged: bool) -> None:
    r = score_instrument("phq9", answers_for("phq9", item9, item9=item9), P)
    assert r.total == item9 and r.severity == "none_minimal"  # total alone would hide it
    assert r.item9 == item9
    assert ("suicidal_ideation" in r.flags) is flagged


def test_item9_threshold_from_config() -> None:
    p2 = load_protocol({"outcomes.phq9_item9_review_min_score": 2})
    assert "suicidal_ideation" not in score_instrument("phq9", answers_for("phq9", 1, item9=1), p2).flags
    assert "suicidal_ideation" in score_instrument("phq9", answers_for("phq9", 2, item9=2), p2).flags


def test_item9_flag_survives_incomplete_form() -> None:
    answers: list[int | None] = [None] * 8 + [2]
    r = score_instrument("phq9", answers, P)
    assert r.total is None and r.severity is None
    assert r.flags == ("suicidal_ideation",)
    assert r.missing_items == (1, 2, 3, 4, 5, 6, 7, 8) and r.answered == 1


def test_item9_unanswered_flag() -> None:
    answers: list[int | None] = [1] * 8 + [None]
    r = score_instrument("phq9", answers, P)
    assert r.flags == ("item9_unanswered",) and r.item9 is None and r.missing_items == (9,)


@pytest.mark.parametrize(
    ("previous", "total", "flagged"), [(5, 9, False), (5, 10, True), (10, 20, True), (20, 5, False)]
)
def test_phq9_rise(previous: int, total: int, flagged: bool) -> None:
    r = score_instrument("phq9", answers_for("phq9", total), P, previous_total=previous)
    assert ("phq9_rise" in r.flags) is flagged
    assert r.change_from_previous == total - previous


def test_no_rise_flag_without_previous_and_not_for_gad7() -> None:
    assert score_instrument("phq9", answers_for("phq9", 24, item9=0), P).flags == ()
    assert score_instrument("gad7", answers_for("gad7", 21), P, previous_total=0).flags == ()


def test_rise_flag_certain_from_partial_answers() -> None:
    answers: list[int | None] = [3, 3, None, 0, 0, 0, 0, 0, 0]
    assert "phq9_rise" in score_instrument("phq9", answers, P, previous_total=1).flags
    assert "phq9_rise" not in score_instrument("phq9", answers, P, previous_total=2).flags


def test_flag_order_is_fixed() -> None:
    r = score_instrument("phq9", [3] * 9, P, previous_total=0)
    assert r.flags == ("suicidal_ideation", "phq9_rise")
    assert list(r.flags) == sorted(r.flags, key=FLAGS.index)


# --- input validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument", "answers", "field", "text"),
    [
        ("phq9", [0] * 8, "answers", "must have 9 items"),
        ("phq9", [0] * 10, "answers", "must have 9 items"),
        ("phq9", [0, 0, 0, 4, 0, 0, 0, 0, 0], "answers[3]", "0\u20133"),
        ("phq9", [0, 0, 0, -1, 0, 0, 0, 0, 0], "answers[3]", "0\u20133"),
        ("phq9", [0, True, 0, 0, 0, 0, 0, 0, 0], "answers[1]", "true/false"),
        ("phq9", [0, 0, 1.5, 0, 0, 0, 0, 0, 0], "answers[2]", "whole number"),
        ("phq9", [0, 0, "1", 0, 0, 0, 0, 0, 0], "answers[2]", "whole number"),
        ("gad7", [0] * 6 + [4], "answers[6]", "0\u20133"),
        ("pcl5", [0] * 19 + [5], "answers[19]", "0\u20134"),
        ("pain_nrs", [11], "answers[0]", "0\u201310"),
        ("pain_nrs", [], "answers", "must have 1 items"),
        ("madrs", [0] * 10, "instrument", "must be one of"),
        ("phq9", "000000000", "answers", "must be a list"),
    ],
)
def test_invalid_answers(instrument: str, answers: object, field: str, text: str) -> None:
    with pytest.raises(InputError) as exc:
        score_instrument(instrument, answers, P)  # type: ignore[arg-type]
    assert exc.value.field == field
    assert text in exc.value.message


@pytest.mark.parametrize("previous", [-1, 28, True, 3.5])
def test_invalid_previous_total(previous: object) -> None:
    with pytest.raises(InputError) as exc:
        score_instrument("phq9", [0] * 9, P, previous_total=previous)  # type: ignore[arg-type]
    assert exc.value.field == "previous_total"


def test_instrument_metadata() -> None:
    assert set(INSTRUMENTS) == {"phq9", "gad7", "pcl5", "pain_nrs"}
    for inst in INSTRUMENTS.values():
        assert len(inst.items) == inst.item_count
        assert [v for v, _ in inst.options] == list(range(inst.item_min, inst.item_max + 1))
        assert inst.licence and inst.source and inst.recall_period
    assert INSTRUMENTS["phq9"].items[PHQ9_ITEM9_INDEX].startswith("Thoughts that you would be better off dead")
    assert [(c, hi - lo + 1) for c, lo, hi in INSTRUMENTS["pcl5"].clusters] == [("B", 5), ("C", 2), ("D", 7), ("E", 6)]
    assert (INSTRUMENTS["pcl5"].total_max, INSTRUMENTS["phq9"].total_max, INSTRUMENTS["gad7"].total_max) == (80, 27, 21)


# --- properties ------------------------------------------------------------------------------


@st.composite
def instrument_answers(draw: st.DrawFn, allow_missing: bool = False) -> tuple[str, list[int | None]]:
    code = draw(st.sampled_from(sorted(INSTRUMENTS)))
    inst = INSTRUMENTS[code]
    item = st.integers(inst.item_min, inst.item_max)
    if allow_missing:
        item = st.one_of(st.none(), item)
    return code, draw(st.lists(item, min_size=inst.item_count, max_size=inst.item_count))


@given(instrument_answers())
def test_total_always_in_range_and_banded(case: tuple[str, list[int | None]]) -> None:
    code, answers = case
    inst = INSTRUMENTS[code]
    r = score_instrument(code, answers, P)
    assert r.total is not None and inst.total_min <= r.total <= inst.total_max
    assert r.total == sum(a for a in answers if a is not None)
    assert (r.severity is not None) is (code in ("phq9", "gad7"))
    assert set(r.flags) <= set(FLAGS)


@given(instrument_answers(allow_missing=True))
def test_incomplete_never_totals(case: tuple[str, list[int | None]]) -> None:
    code, answers = case
    r = score_instrument(code, answers, P)
    assert (r.total is None) is (None in answers)
    if code == "phq9" and answers[PHQ9_ITEM9_INDEX] is not None:
        assert ("suicidal_ideation" in r.flags) is (answers[PHQ9_ITEM9_INDEX] >= 1)
