"""ICD-10-CM indication codes for IV ketamine (shared/clinical-reference.md §2).

`classify(code)` sorts one code into an `IndicationKind`; eligibility.py turns the kinds into
findings. The code lists are exactly those of §2; anything else is "not handled" and goes to
a provider. No Django import (ARCHITECTURE.md).

Kinds and what the eligibility rules do with them:

- ``mdd`` (F32.0-F32.5, F32.9, F32.A, F33.x as listed) — accepted; treatment resistance assessed (§2.1).
- ``mdd_psychotic`` (F32.3, F33.3) — listed as accepted in §2, but "with psychotic features" is a
  current psychosis, so the §3.1 psychosis rule applies as well (convention, C).
- ``gad`` (F41.1), ``ptsd`` (F43.10-F43.12) — accepted; small / mixed evidence noted as info.
- ``crps_1`` (G90.5x as listed), ``crps_2`` (G56.40-G56.43, G57.70-G57.73) — accepted pain indications.
- ``other_depressive`` (F32.8x) — excluded unless a provider overrides (§2).
- ``bipolar_depression`` (F31.30-F31.32, F31.4, F31.81) — off-label; provider override required (§2).
- ``bipolar_psychotic`` (F31.5, F31.2) — blocked by the psychosis rule (§2, §3.1).
- ``bipolar_current_mania`` (F31.0, F31.1x, F31.6x) — current (hypo)mania or mixed episode: handled like
  current psychosis (C; §3.2 lists only *past* mania as relative).
- ``chronic_pain`` (G89.21, G89.22, G89.28, G89.29, G89.4) — "other chronic pain": provider-discretion
  indication (issue 4; not in §2, so C).
- ``not_handled`` — any other well-formed ICD-10-CM code.
"""

from __future__ import annotations

import re
from enum import StrEnum

from ketaclinic.protocol.errors import InputError


class IndicationKind(StrEnum):
    MDD = "mdd"
    MDD_PSYCHOTIC = "mdd_psychotic"
    OTHER_DEPRESSIVE = "other_depressive"
    GAD = "gad"
    PTSD = "ptsd"
    CRPS_1 = "crps_1"
    CRPS_2 = "crps_2"
    BIPOLAR_DEPRESSION = "bipolar_depression"
    BIPOLAR_PSYCHOTIC = "bipolar_psychotic"
    BIPOLAR_CURRENT_MANIA = "bipolar_current_mania"
    CHRONIC_PAIN = "chronic_pain"
    NOT_HANDLED = "not_handled"


# §2 — MDD single episode. F32.3 (severe with psychotic features) is kept apart below.
MDD_SINGLE = frozenset({"F32.0", "F32.1", "F32.2", "F32.4", "F32.5", "F32.9", "F32.A"})
# §2 — MDD recurrent. F33.3 (severe with psychotic features) kept apart below.
MDD_RECURRENT = frozenset({"F33.0", "F33.1", "F33.2", "F33.40", "F33.41", "F33.42", "F33.8", "F33.9"})
MDD_PSYCHOTIC = frozenset({"F32.3", "F33.3"})
GAD = frozenset({"F41.1"})
PTSD = frozenset({"F43.10", "F43.11", "F43.12"})
CRPS_1 = frozenset(
    {"G90.50", "G90.511", "G90.512", "G90.513", "G90.519", "G90.521", "G90.522", "G90.523", "G90.529", "G90.59"}
)
CRPS_2 = frozenset({"G56.40", "G56.41", "G56.42", "G56.43", "G57.70", "G57.71", "G57.72", "G57.73"})
BIPOLAR_DEPRESSION = frozenset({"F31.30", "F31.31", "F31.32", "F31.4", "F31.81"})
BIPOLAR_PSYCHOTIC = frozenset({"F31.5", "F31.2"})
# Current hypomanic (F31.0), manic without psychotic features (F31.10-F31.13), mixed (F31.60-F31.64).
BIPOLAR_CURRENT_MANIA = frozenset(
    {"F31.0", "F31.10", "F31.11", "F31.12", "F31.13", "F31.60", "F31.61", "F31.62", "F31.63", "F31.64"}
)
# Chronic pain, not elsewhere classified (G89.2x) and chronic pain syndrome (G89.4); provider discretion (C).
CHRONIC_PAIN = frozenset({"G89.21", "G89.22", "G89.28", "G89.29", "G89.4"})

_KINDS: tuple[tuple[frozenset[str], IndicationKind], ...] = (
    (MDD_SINGLE | MDD_RECURRENT, IndicationKind.MDD),
    (MDD_PSYCHOTIC, IndicationKind.MDD_PSYCHOTIC),
    (GAD, IndicationKind.GAD),
    (PTSD, IndicationKind.PTSD),
    (CRPS_1, IndicationKind.CRPS_1),
    (CRPS_2, IndicationKind.CRPS_2),
    (BIPOLAR_DEPRESSION, IndicationKind.BIPOLAR_DEPRESSION),
    (BIPOLAR_PSYCHOTIC, IndicationKind.BIPOLAR_PSYCHOTIC),
    (BIPOLAR_CURRENT_MANIA, IndicationKind.BIPOLAR_CURRENT_MANIA),
    (CHRONIC_PAIN, IndicationKind.CHRONIC_PAIN),
)

# Kinds whose course is judged on depression outcomes, so treatment resistance (§2.1) applies.
DEPRESSION_KINDS = frozenset(
    {
        IndicationKind.MDD,
        IndicationKind.MDD_PSYCHOTIC,
        IndicationKind.BIPOLAR_DEPRESSION,
        IndicationKind.BIPOLAR_PSYCHOTIC,
    }
)
BIPOLAR_KINDS = frozenset({IndicationKind.BIPOLAR_DEPRESSION, IndicationKind.BIPOLAR_PSYCHOTIC})

# Letter (not U), digit, digit-or-letter; optional dot and 1-4 more characters.
_ICD10CM = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?$")

LABELS: dict[IndicationKind, str] = {
    IndicationKind.MDD: "major depressive disorder",
    IndicationKind.MDD_PSYCHOTIC: "major depressive disorder with psychotic features",
    IndicationKind.OTHER_DEPRESSIVE: "other depressive episode (F32.8x)",
    IndicationKind.GAD: "generalized anxiety disorder",
    IndicationKind.PTSD: "post-traumatic stress disorder",
    IndicationKind.CRPS_1: "complex regional pain syndrome type I",
    IndicationKind.CRPS_2: "complex regional pain syndrome type II (causalgia)",
    IndicationKind.BIPOLAR_DEPRESSION: "bipolar depression",
    IndicationKind.BIPOLAR_PSYCHOTIC: "bipolar disorder with psychotic features",
    IndicationKind.BIPOLAR_CURRENT_MANIA: "bipolar disorder, current manic, hypomanic or mixed episode",
    IndicationKind.CHRONIC_PAIN: "other chronic pain",
    IndicationKind.NOT_HANDLED: "code not handled by this programme",
}


def normalize_code(raw: str, field: str = "indications") -> str:
    """Upper-case, trim and insert the dot ("f332" → "F33.2"); InputError if not ICD-10-CM shaped."""
    code = raw.strip().upper().replace(" ", "")
    if "." not in code and len(code) > 3:
        code = f"{code[:3]}.{code[3:]}"
    if not _ICD10CM.match(code):
        raise InputError(field, f"{raw!r} is not an ICD-10-CM code (expected e.g. F33.2)")
    return code


def classify(code: str) -> IndicationKind:
    """The kind of one (normalised) ICD-10-CM code."""
    code = normalize_code(code)
    for codes, kind in _KINDS:
        if code in codes:
            return kind
    if code.startswith("F32.8"):
        return IndicationKind.OTHER_DEPRESSIVE
    return IndicationKind.NOT_HANDLED
