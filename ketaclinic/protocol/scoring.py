"""Scoring of PHQ-9, GAD-7, PCL-5 and pain NRS (shared/clinical-reference.md §10.1, §10.2, §11).

Public API
----------
``score_instrument(instrument, answers, protocol, *, previous_total=None) -> ScoreResult``
    `answers` is one entry per item, in item order; an entry may be ``None`` (unanswered).
    Total = sum of items. Any unanswered item → ``total is None`` and ``severity is None``
    (no proration, §10.2). Out-of-range answers, non-integers, booleans and a wrong number of
    entries raise ``InputError`` naming the item (``answers[3]``).

Flags (codes in ``ScoreResult.flags``; order is fixed, most urgent first)
    ``suicidal_ideation``      PHQ-9 item 9 ≥ ``outcomes.phq9_item9_review_min_score``. Item 9 is
                               read on its own (§10.2, §11), even when other items are missing.
    ``item9_unanswered``       PHQ-9 item 9 left blank: the safety question was not answered.
    ``phq9_rise``              PHQ-9 total - ``previous_total`` ≥ ``outcomes.phq9_rise_flag_points``.
    ``provisional_ptsd``       PCL-5 total ≥ ``outcomes.pcl5_provisional_cutoff``.
    ``provisional_ptsd_dsm``   PCL-5 DSM-5 pattern met: items ≥ 2 count as endorsed; ≥1 B, ≥1 C,
                               ≥2 D, ≥2 E (NCPTSD scoring; §10.1).
    A flag is raised whenever it is already certain from the answered items (a partial sum
    can only grow), so an incomplete form never hides a safety flag.

Severity bands are the instruments' published definitions (§10.1), kept here as constants.
PCL-5 and pain NRS have no bands in §10.1: their ``severity`` is ``None``; PCL-5 decisions use
the provisional cut-off flag. Every decision cut-off comes from ``protocol.outcomes``.

No Django import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from ketaclinic.protocol.config import Protocol
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.instruments import INSTRUMENTS, PHQ9_ITEM9_INDEX, Instrument

FLAG_SUICIDAL_IDEATION: Final = "suicidal_ideation"
FLAG_ITEM9_UNANSWERED: Final = "item9_unanswered"
FLAG_PHQ9_RISE: Final = "phq9_rise"
FLAG_PROVISIONAL_PTSD: Final = "provisional_ptsd"
FLAG_PROVISIONAL_PTSD_DSM: Final = "provisional_ptsd_dsm"
FLAGS: Final = (
    FLAG_SUICIDAL_IDEATION,
    FLAG_ITEM9_UNANSWERED,
    FLAG_PHQ9_RISE,
    FLAG_PROVISIONAL_PTSD,
    FLAG_PROVISIONAL_PTSD_DSM,
)

# Published severity bands (instrument definitions, clinical-reference §10.1):
# (lowest total, highest total, code, label).
PHQ9_BANDS: Final = (
    (0, 4, "none_minimal", "None/minimal"),
    (5, 9, "mild", "Mild"),
    (10, 14, "moderate", "Moderate"),
    (15, 19, "moderately_severe", "Moderately severe"),
    (20, 27, "severe", "Severe"),
)  # Kroenke 2001
GAD7_BANDS: Final = (
    (0, 4, "minimal", "Minimal"),
    (5, 9, "mild", "Mild"),
    (10, 14, "moderate", "Moderate"),
    (15, 21, "severe", "Severe"),
)  # Spitzer 2006
SEVERITY_BANDS: Final[Mapping[str, tuple[tuple[int, int, str, str], ...]]] = MappingProxyType(
    {"phq9": PHQ9_BANDS, "gad7": GAD7_BANDS}
)

# PCL-5 DSM-5 provisional-diagnosis rule (NCPTSD; Blevins 2015; §10.1): an item rated
# "Moderately" (2) or higher counts as an endorsed symptom; minimum endorsed per cluster.
PCL5_SYMPTOM_MIN_ITEM_SCORE: Final = 2
PCL5_DSM_CLUSTER_MINIMUM: Final[Mapping[str, int]] = MappingProxyType({"B": 1, "C": 1, "D": 2, "E": 2})


@dataclass(frozen=True)
class ScoreResult:
    """One scored questionnaire.

    total / severity are None when any item is unanswered (`missing_items`, 1-based).
    `item9` is PHQ-9 item 9 (None for other instruments or when blank). `cluster_totals`
    (PCL-5 only) maps B/C/D/E to the cluster sum, None when that cluster is incomplete.
    `dsm_pattern_met` (PCL-5 only) is None when undecidable from the answered items.
    `change_from_previous` = total - previous_total when both are known.
    """

    instrument: str
    total: int | None
    severity: str | None
    severity_label: str | None
    flags: tuple[str, ...]
    answered: int
    missing_items: tuple[int, ...]
    item9: int | None = None
    cluster_totals: Mapping[str, int | None] = field(default_factory=dict)
    dsm_pattern_met: bool | None = None
    previous_total: int | None = None
    change_from_previous: int | None = None

    @property
    def complete(self) -> bool:
        return not self.missing_items


def get_instrument(code: object, field_name: str = "instrument") -> Instrument:
    """The instrument for `code`, or InputError naming `field_name`."""
    if not isinstance(code, str) or code not in INSTRUMENTS:
        raise InputError(field_name, f"must be one of {', '.join(INSTRUMENTS)}, got {code!r}")
    return INSTRUMENTS[code]


def check_whole_number(field_name: str, value: object, lo: int, hi: int) -> int:
    """`value` as an int within lo..hi, or InputError. Booleans and fractions are rejected."""
    if isinstance(value, bool):
        raise InputError(field_name, f"must be a whole number {lo}\u2013{hi}, not true/false")
    if not isinstance(value, int):
        raise InputError(field_name, f"must be a whole number {lo}\u2013{hi}, got {value!r}")
    if not lo <= value <= hi:
        raise InputError(field_name, f"must be {lo}\u2013{hi}, got {value}")
    return value


def severity_band(instrument: str, total: int) -> tuple[str, str] | None:
    """(code, label) of the published band holding `total`, or None if the instrument has no bands."""
    for lo, hi, code, label in SEVERITY_BANDS.get(instrument, ()):
        if lo <= total <= hi:
            return code, label
    return None


def _pcl5_dsm(answers: Sequence[int | None]) -> bool | None:
    """DSM-5 pattern: True if met by answered items; False if unreachable even if blanks were
    endorsed; None otherwise."""

    def met(treat_missing_as_endorsed: bool) -> bool:
        for name, lo, hi in INSTRUMENTS["pcl5"].clusters:
            endorsed = sum(
                1
                for a in answers[lo - 1 : hi]
                if (a is None and treat_missing_as_endorsed) or (a is not None and a >= PCL5_SYMPTOM_MIN_ITEM_SCORE)
            )
            if endorsed < PCL5_DSM_CLUSTER_MINIMUM[name]:
                return False
        return True

    if met(False):
        return True
    if not met(True):
        return False
    return None


def score_instrument(
    instrument: str,
    answers: Sequence[int | None],
    protocol: Protocol,
    *,
    previous_total: int | None = None,
) -> ScoreResult:
    """Score one completed (or partly completed) questionnaire; see the module docstring."""
    inst = get_instrument(instrument)
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise InputError("answers", f"must be a list of {inst.item_count} answers")
    if len(answers) != inst.item_count:
        raise InputError("answers", f"must have {inst.item_count} items for {inst.code}, got {len(answers)}")
    values: list[int | None] = [
        None if a is None else check_whole_number(f"answers[{i}]", a, inst.item_min, inst.item_max)
        for i, a in enumerate(answers)
    ]
    if previous_total is not None:
        check_whole_number("previous_total", previous_total, inst.total_min, inst.total_max)

    missing = tuple(i + 1 for i, a in enumerate(values) if a is None)
    partial_sum = sum(a for a in values if a is not None)
    total = None if missing else partial_sum
    band = severity_band(inst.code, total) if total is not None else None
    o = protocol.outcomes
    flags: list[str] = []

    item9: int | None = None
    if inst.code == "phq9":
        item9 = values[PHQ9_ITEM9_INDEX]
        if item9 is None:
            flags.append(FLAG_ITEM9_UNANSWERED)
        elif item9 >= o.phq9_item9_review_min_score:
            flags.append(FLAG_SUICIDAL_IDEATION)
        # The partial sum is a lower bound of the total, so a rise seen on it is certain.
        if previous_total is not None and partial_sum - previous_total >= o.phq9_rise_flag_points:
            flags.append(FLAG_PHQ9_RISE)

    clusters: dict[str, int | None] = {}
    dsm: bool | None = None
    if inst.code == "pcl5":
        if partial_sum >= o.pcl5_provisional_cutoff:
            flags.append(FLAG_PROVISIONAL_PTSD)
        dsm = _pcl5_dsm(values)
        if dsm:
            flags.append(FLAG_PROVISIONAL_PTSD_DSM)
        for name, lo, hi in inst.clusters:
            part = values[lo - 1 : hi]
            clusters[name] = None if None in part else sum(a for a in part if a is not None)

    flags.sort(key=FLAGS.index)
    return ScoreResult(
        instrument=inst.code,
        total=total,
        severity=band[0] if band else None,
        severity_label=band[1] if band else None,
        flags=tuple(flags),
        answered=len(values) - len(missing),
        missing_items=missing,
        item9=item9,
        cluster_totals=MappingProxyType(clusters),
        dsm_pattern_met=dsm,
        previous_total=previous_total,
        change_from_previous=None if total is None or previous_total is None else total - previous_total,
    )


def cli(payload: dict[str, Any], protocol: Protocol) -> dict[str, Any]:
    """`ketaclinic protocol score`: {"instrument", "answers", "previous_total"?} → score.

    Every item must be answered here (a blank is an error naming the item); the app uses
    `score_instrument` directly to store incomplete forms with total None.
    """
    inst = get_instrument(payload.get("instrument"))
    answers = payload.get("answers")
    if not isinstance(answers, list):
        raise InputError("answers", f"must be a list of {inst.item_count} answers")
    for i, a in enumerate(answers):
        if a is None:
            raise InputError(f"answers[{i}]", "missing: every item must be answered (no proration)")
    previous = payload.get("previous_total")
    result = score_instrument(inst.code, answers, protocol, previous_total=previous)
    out: dict[str, Any] = {
        "instrument": result.instrument,
        "total": result.total,
        "severity": result.severity,
        "severity_label": result.severity_label,
        "flags": list(result.flags),
        "total_max": inst.total_max,
    }
    if result.item9 is not None:
        out["item9"] = result.item9
    if inst.code == "pcl5":
        out["cluster_totals"] = dict(result.cluster_totals)
        out["dsm_pattern_met"] = result.dsm_pattern_met
    if result.change_from_previous is not None:
        out["previous_total"] = result.previous_total
        out["change_from_previous"] = result.change_from_previous
    return out
