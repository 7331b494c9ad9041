"""Medication-interaction review for IV ketamine (shared/clinical-reference.md §4, §5.1).

`review_medications(names, protocol)` matches each entry of a patient's medication list against
the curated table in medications.py and returns an `InteractionReview`:

- Matching ignores case, spaces and punctuation ("St. John's Wort" = "stjohnswort"), accepts
  generic and common US brand names, and ignores a dose suffix ("sertraline 100 mg daily").
  One entry may name several drugs ("oxycodone/acetaminophen" → oxycodone).
- Every entry is accounted for: it yields at least one `Interaction` (including minor ones,
  e.g. an SSRI → "continue") or it is listed in `unrecognised` ("not recognised — review
  manually"). Drugs absent from the table, such as metformin, are *unrecognised*, never "safe".
- Table severities map to eligibility severities per §1: contraindicated → contraindicated,
  major → hold, moderate → caution, minor → info.
- Benzodiazepines: when a dose is given, a diazepam-equivalent daily dose is computed
  (conversion factors in medications.py are convention/UNVERIFIED) and compared with
  `protocol.eligibility.benzo_flag_diazepam_eq_mg_day`.

A suggested hold is a task for the prescriber to agree or refuse; no action tells the patient to
stop a medicine. No Django import (ARCHITECTURE.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from ketaclinic.protocol.config import Protocol
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.medications import CLASSES, DIAZEPAM_MG_PER_MG, DRUGS, TableSeverity

Severity = Literal["info", "caution", "hold", "contraindicated"]

TABLE_TO_ELIGIBILITY: dict[TableSeverity, Severity] = {
    "contraindicated": "contraindicated",
    "major": "hold",
    "moderate": "caution",
    "minor": "info",
}

UNRECOGNISED_ACTION = "Not recognised — review manually."

_MAX_SPAN_TOKENS = 5


@dataclass(frozen=True)
class Interaction:
    """One recognised drug in one entry of the medication list."""

    medication: str  # the entry as the patient or staff wrote it
    matched: str  # generic name from the table
    drug_class: str  # stable class code, e.g. "benzodiazepine"
    class_name: str  # readable class name
    severity: TableSeverity  # table severity: contraindicated > major > moderate > minor
    eligibility_severity: Severity  # mapped per §1: contraindicated/hold/caution/info
    effect: str
    action: str  # suggested action; holds are always subject to the prescriber's agreement
    source: str
    diazepam_equivalent_mg_day: float | None = None  # benzodiazepines with a parseable dose only
    above_benzo_flag: bool = False  # diazepam equivalent above benzo_flag_diazepam_eq_mg_day
    dose_note: str | None = None  # how the dose was read, or why it could not be

    def to_dict(self) -> dict[str, Any]:
        return {
            "medication": self.medication,
            "matched": self.matched,
            "class": self.drug_class,
            "class_name": self.class_name,
            "severity": self.severity,
            "eligibility_severity": self.eligibility_severity,
            "effect": self.effect,
            "action": self.action,
            "source": self.source,
            "diazepam_equivalent_mg_day": self.diazepam_equivalent_mg_day,
            "above_benzo_flag": self.above_benzo_flag,
            "dose_note": self.dose_note,
        }


@dataclass(frozen=True)
class InteractionReview:
    """Result of reviewing a medication list: every entry is in one of the two tuples."""

    interactions: tuple[Interaction, ...]
    unrecognised: tuple[str, ...]  # entries to review manually, as written

    def to_dict(self) -> dict[str, Any]:
        return {
            "interactions": [i.to_dict() for i in self.interactions],
            "unrecognised": list(self.unrecognised),
        }


# --- name matching ---------------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    """Lower-case ASCII word tokens; apostrophes vanish ("John's" → "johns"), other punctuation splits."""
    text = text.replace("\u00b5", "mc").replace("\u03bc", "mc")  # micro sign / mu: "µg" → "mcg", not "g"
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    folded = re.sub(r"['`]", "", folded)
    return re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", folded)


def normalize_name(text: str) -> str:
    """The matching key: letters and digits only, lower case ("St. John's-Wort" → "stjohnswort")."""
    return "".join(t.replace(".", "") for t in _tokens(text))


@cache
def aliases() -> dict[str, str]:
    """Matching key → generic name, for every generic and brand name in the table."""
    table: dict[str, str] = {}
    for generic, (_cls, brands) in DRUGS.items():
        for name in (generic, *brands):
            table[normalize_name(name)] = generic
    return table


def _split_dose(text: str) -> tuple[list[str], str]:
    """Name tokens before the first token that starts with a digit, and the rest as dose text."""
    tokens = _tokens(text)
    for i, tok in enumerate(tokens):
        if tok[0].isdigit():
            return tokens[:i], " ".join(tokens[i:])
    return tokens, ""


def match_generics(text: str) -> list[str]:
    """Generic names found in one medication entry, left to right, longest name first, no repeats."""
    tokens, _dose = _split_dose(text)
    table = aliases()
    found: list[str] = []
    i = 0
    while i < len(tokens):
        for j in range(min(len(tokens), i + _MAX_SPAN_TOKENS), i, -1):
            generic = table.get("".join(tokens[i:j]))
            if generic is not None:
                if generic not in found:
                    found.append(generic)
                i = j
                break
        else:
            i += 1
    return found


# --- dose parsing (benzodiazepines) ----------------------------------------------------------------------

_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(mg|milligrams?|mcg|micrograms?|ug|g)?\b")
_UNIT_TO_MG = {
    "mg": 1.0,
    "milligram": 1.0,
    "milligrams": 1.0,
    "g": 1000.0,
    "mcg": 0.001,
    "microgram": 0.001,
    "micrograms": 0.001,
    "ug": 0.001,
}
# Doses per day. Checked in order; the first pattern found wins.
_FREQUENCIES: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"\b(qid|q6h|four times|4 ?x|x ?4)\b"), 4),
    (re.compile(r"\b(tid|q8h|three times|3 ?x|x ?3)\b"), 3),
    (re.compile(r"\b(bid|q12h|twice|2 ?x|x ?2)\b"), 2),
    (re.compile(r"\b(qd|od|daily|once|qhs|hs|qam|qpm|nightly|bedtime|night|morning|day|d|24h)\b"), 1),
)
_AS_NEEDED = re.compile(r"\b(prn|as needed|when needed|if needed)\b")


def _dose_words(dose_text: str) -> str:
    """Dose text with dotted abbreviations closed up ("b i d" → "bid")."""
    text = dose_text
    for abbr in ("q i d", "t i d", "b i d", "q d", "q h s", "p r n", "q a m"):
        text = text.replace(abbr, abbr.replace(" ", ""))
    return text


def daily_dose_mg(dose_text: str) -> tuple[float | None, str | None]:
    """Read a daily dose in mg from a dose suffix; returns (mg/day or None, note for the provider)."""
    text = _dose_words(" ".join(_tokens(dose_text)))
    amounts = [(float(m.group(1)), m.group(2)) for m in _AMOUNT.finditer(text)]
    # Bare numbers in a frequency ("q8h", "2 x") are matched by _AMOUNT too; keep only the first amount
    # unless several carry a unit ("1 mg morning 2 mg night": summed).
    with_unit = [(a, u) for a, u in amounts if u]
    if not amounts:
        return None, "no dose given"
    notes: list[str] = []
    if len(with_unit) > 1:
        total = sum(a * _UNIT_TO_MG[u] for a, u in with_unit)
        return total, "several doses listed: summed as the daily total — confirm"
    amount, unit = with_unit[0] if with_unit else amounts[0]
    if not unit:
        notes.append("unit not stated: read as mg")
    mg = amount * _UNIT_TO_MG.get(unit or "mg", 1.0)
    rest = text.split(None, 1)[1] if " " in text else ""
    as_needed = bool(_AS_NEEDED.search(text))
    per_day = next((n for pattern, n in _FREQUENCIES if pattern.search(rest)), None)
    if per_day is None:
        if as_needed:
            return None, "taken as needed without a frequency: daily dose not computed — confirm with the patient"
        notes.append("frequency not stated: read as the total daily dose — confirm")
        per_day = 1
    elif as_needed:
        notes.append("taken as needed: figure is the maximum daily dose")
    return mg * per_day, "; ".join(notes) or None


# --- review ----------------------------------------------------------------------------------------------


def _action_text(template: str, protocol: Protocol) -> str:
    return template.format(
        alcohol_abstinence_h=protocol.preparation.alcohol_abstinence_h,
        recreational_drug_abstinence_h=protocol.preparation.recreational_drug_abstinence_h,
        benzo_flag_diazepam_eq_mg_day=protocol.eligibility.benzo_flag_diazepam_eq_mg_day,
    )


def _interaction(entry: str, generic: str, protocol: Protocol) -> Interaction:
    cls = CLASSES[DRUGS[generic][0]]
    action = _action_text(cls.action, protocol)
    diazepam_eq: float | None = None
    above = False
    note: str | None = None
    if cls.code == "benzodiazepine":
        _tokens_before, dose_text = _split_dose(entry)
        factor = DIAZEPAM_MG_PER_MG.get(generic)
        mg_day, note = daily_dose_mg(dose_text) if dose_text else (None, "no dose given")
        if factor is None:
            note = f"no diazepam-equivalent conversion for {generic}"
        elif mg_day is not None:
            diazepam_eq = round(mg_day * factor, 2)
            limit = protocol.eligibility.benzo_flag_diazepam_eq_mg_day
            above = diazepam_eq > limit
            if above:
                action = (
                    f"Diazepam-equivalent dose {diazepam_eq:g} mg/day is above the clinic's flag level of "
                    f"{limit:g} mg/day (higher doses are linked to a weaker response). {action}"
                )
    return Interaction(
        medication=entry,
        matched=generic,
        drug_class=cls.code,
        class_name=cls.name,
        severity=cls.severity,
        eligibility_severity=TABLE_TO_ELIGIBILITY[cls.severity],
        effect=cls.effect,
        action=action,
        source=cls.source,
        diazepam_equivalent_mg_day=diazepam_eq,
        above_benzo_flag=above,
        dose_note=note,
    )


def review_medications(names: Iterable[str], protocol: Protocol) -> InteractionReview:
    """Review a medication list (free text entries, optionally with a dose) against the §4 table.

    Every entry appears either as one or more `Interaction`s or in `unrecognised`; order follows the input.
    Raises InputError for an entry that is not a non-empty text.
    """
    interactions: list[Interaction] = []
    unrecognised: list[str] = []
    for index, entry in enumerate(names):
        if not isinstance(entry, str) or not entry.strip():
            raise InputError(f"medications[{index}]", "must be a non-empty text")
        generics = match_generics(entry)
        if not generics:
            unrecognised.append(entry)
        interactions.extend(_interaction(entry, g, protocol) for g in generics)
    return InteractionReview(interactions=tuple(interactions), unrecognised=tuple(unrecognised))


def parse_medication_list(payload: dict[str, Any], field: str = "medications") -> tuple[str, ...]:
    """Validate a JSON list of medication names; InputError names the field on a bad value."""
    value = payload.get(field, [])
    if not isinstance(value, list):
        raise InputError(field, "must be a list of medication names")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise InputError(f"{field}[{index}]", "must be a non-empty text")
    return tuple(value)


def cli(payload: dict[str, Any], protocol: Protocol) -> dict[str, Any]:
    """`ketaclinic protocol interactions`: {"medications": [...]} → {"interactions": [...], "unrecognised": [...]}."""
    unknown = sorted(set(payload) - {"medications"})
    if unknown:
        raise InputError(unknown[0], "unknown field (expected only 'medications')")
    if "medications" not in payload:
        raise InputError("medications", "is required")
    return review_medications(parse_medication_list(payload), protocol).to_dict()
