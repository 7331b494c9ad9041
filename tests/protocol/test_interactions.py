"""Table tests for the medication-interaction review (issue 4; clinical-reference §4, §5.1)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.protocol.config import default_protocol, load_protocol
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.interactions import (
    TABLE_TO_ELIGIBILITY,
    aliases,
    cli,
    daily_dose_mg,
    match_generics,
    normalize_name,
    review_medications,
)
from ketaclinic.protocol.medications import CLASSES, DIAZEPAM_MG_PER_MG, DRUGS, InteractionClass

P = default_protocol()

# Every class in §4 (plus GLP-1 RAs from §5.1) with its table severity and one example generic.
CLASS_TABLE = [
    ("benzodiazepine", "moderate", "lorazepam"),
    ("opioid", "major", "oxycodone"),
    ("cns_depressant", "major", "gabapentin"),
    ("alcohol", "major", "alcohol"),
    ("methylxanthine", "contraindicated", "theophylline"),
    ("sympathomimetic", "moderate", "lisdexamfetamine"),
    ("maoi", "major", "phenelzine"),
    ("lamotrigine", "minor", "lamotrigine"),
    ("opioid_antagonist", "moderate", "naltrexone"),
    ("nmda_antagonist", "minor", "memantine"),
    ("cyp3a4_inhibitor", "minor", "clarithromycin"),
    ("cyp2b6_inhibitor", "minor", "ticlopidine"),
    ("cyp_inducer", "minor", "rifampicin"),
    ("cannabis", "moderate", "cannabis"),
    ("antihypertensive", "minor", "clonidine"),
    ("ssri_snri", "minor", "sertraline"),
    ("glp1_agonist", "major", "semaglutide"),
]


def test_class_table_is_complete() -> None:
    assert sorted(c for c, _, _ in CLASS_TABLE) == sorted(CLASSES)


@pytest.mark.parametrize(("class_code", "severity", "generic"), CLASS_TABLE)
def test_interaction_class(class_code: str, severity: str, generic: str) -> None:
    review = review_medications([generic], P)
    assert review.unrecognised == ()
    (item,) = review.interactions
    assert (item.matched, item.drug_class, item.severity) == (generic, class_code, severity)
    assert item.eligibility_severity == TABLE_TO_ELIGIBILITY[severity]  # type: ignore[index]
    assert item.source.startswith(("§4", "§5.1"))
    assert item.action and item.effect and "{" not in item.action


@pytest.mark.parametrize(
    ("table", "eligibility"),
    [("contraindicated", "contraindicated"), ("major", "hold"), ("moderate", "caution"), ("minor", "info")],
)
def test_severity_mapping(table: str, eligibility: str) -> None:
    assert TABLE_TO_ELIGIBILITY[table] == eligibility  # type: ignore[index]


# Every example generic named in §4, by class.
SECTION_4_EXAMPLES = {
    "benzodiazepine": ["lorazepam", "clonazepam", "alprazolam", "diazepam", "temazepam"],
    "opioid": [
        "oxycodone",
        "hydrocodone",
        "morphine",
        "hydromorphone",
        "fentanyl",
        "methadone",
        "buprenorphine",
        "tramadol",
    ],
    "cns_depressant": ["gabapentin", "pregabalin", "zolpidem", "phenobarbital", "diphenhydramine", "cyclobenzaprine"],
    "methylxanthine": ["theophylline", "aminophylline"],
    "sympathomimetic": [
        "amphetamine",
        "lisdexamfetamine",
        "methylphenidate",
        "modafinil",
        "armodafinil",
        "pseudoephedrine",
        "phenylephrine",
        "vasopressin",
    ],
    "maoi": ["phenelzine", "tranylcypromine", "isocarboxazid", "selegiline"],
    "opioid_antagonist": ["naltrexone", "naltrexone/bupropion"],
    "nmda_antagonist": ["memantine", "dextromethorphan", "amantadine"],
    "cyp3a4_inhibitor": ["clarithromycin", "ketoconazole", "itraconazole", "ritonavir"],
    "cyp_inducer": ["rifampicin", "rifampin", "carbamazepine", "phenytoin", "St John's wort"],
    "antihypertensive": ["clonidine", "labetalol", "metoprolol", "amlodipine", "lisinopril", "losartan"],
    "ssri_snri": ["sertraline", "escitalopram", "venlafaxine", "duloxetine"],
}


@pytest.mark.parametrize(("class_code", "name"), [(c, n) for c, names in SECTION_4_EXAMPLES.items() for n in names])
def test_section_4_examples(class_code: str, name: str) -> None:
    (item,) = review_medications([name], P).interactions
    assert item.drug_class == class_code


BRANDS = [
    ("Xanax", "alprazolam"),
    ("Ativan", "lorazepam"),
    ("Klonopin", "clonazepam"),
    ("Valium", "diazepam"),
    ("Adderall", "amphetamine"),
    ("Adderall XR 20 mg", "amphetamine"),
    ("Vyvanse", "lisdexamfetamine"),
    ("Ritalin", "methylphenidate"),
    ("Lamictal", "lamotrigine"),
    ("Suboxone", "buprenorphine"),
    ("Subutex", "buprenorphine"),
    ("OxyContin", "oxycodone"),
    ("Percocet", "oxycodone"),
    ("Norco", "hydrocodone"),
    ("Neurontin", "gabapentin"),
    ("Lyrica", "pregabalin"),
    ("Ambien", "zolpidem"),
    ("Zoloft", "sertraline"),
    ("Lexapro", "escitalopram"),
    ("Effexor", "venlafaxine"),
    ("Cymbalta", "duloxetine"),
    ("Nardil", "phenelzine"),
    ("Parnate", "tranylcypromine"),
    ("Emsam", "selegiline"),
    ("Revia", "naltrexone"),
    ("Vivitrol", "naltrexone"),
    ("Contrave", "naltrexone/bupropion"),
    ("Namenda", "memantine"),
    ("Tegretol", "carbamazepine"),
    ("Dilantin", "phenytoin"),
    ("Rifadin", "rifampicin"),
    ("Catapres", "clonidine"),
    ("Ozempic", "semaglutide"),
    ("Wegovy", "semaglutide"),
    ("Mounjaro", "tirzepatide"),
    ("Sudafed PE", "phenylephrine"),
    ("Sudafed", "pseudoephedrine"),
]


@pytest.mark.parametrize(("brand", "generic"), BRANDS)
def test_brand_names(brand: str, generic: str) -> None:
    assert match_generics(brand) == [generic]


@pytest.mark.parametrize(
    ("text", "generic"),
    [
        ("SERTRALINE", "sertraline"),
        ("  sertraline  ", "sertraline"),
        ("sertraline 100 mg", "sertraline"),
        ("sertraline 100mg daily", "sertraline"),
        ("Sertraline (Zoloft) 50 mg", "sertraline"),
        ("st john's wort", "St John's wort"),
        ("St. John's Wort", "St John's wort"),
        ("stjohnswort", "St John's wort"),
        ("St-Johns-Wort 300 mg tid", "St John's wort"),
        ("St John\u2019s wort", "St John's wort"),
        ("oxycodone/acetaminophen 5/325", "oxycodone"),
        ("acetaminophen-hydrocodone", "hydrocodone"),
        ("buprenorphine-naloxone 8-2 mg", "buprenorphine"),
        ("Lamictal XR", "lamotrigine"),
        ("Neurontin 300 mg TID", "gabapentin"),
        ("rifampin", "rifampicin"),
        ("MS Contin", "morphine"),
        ("ms-contin", "morphine"),
        ("dextro-amphetamine", "dextroamphetamine"),
    ],
)
def test_matching_is_tolerant(text: str, generic: str) -> None:
    assert match_generics(text) == [generic]


def test_one_entry_can_name_two_drugs() -> None:
    review = review_medications(["Xanax and Adderall"], P)
    assert [i.matched for i in review.interactions] == ["alprazolam", "amphetamine"]


@pytest.mark.parametrize(
    "name", ["metformin", "levothyroxine", "lithium 300 mg", "5 mg lorazepam", "Xanaxx", "Vitamin D3"]
)
def test_unknown_names_are_reported_not_dropped(name: str) -> None:
    review = review_medications([name], P)
    assert review.interactions == ()
    assert review.unrecognised == (name,)


def test_every_entry_is_accounted_for_in_order() -> None:
    names = ["lamotrigine", "Xanax", "st john's wort", "metformin", "sertraline", "omeprazole"]
    review = review_medications(names, P)
    assert [i.medication for i in review.interactions] == ["lamotrigine", "Xanax", "st john's wort", "sertraline"]
    assert review.unrecognised == ("metformin", "omeprazole")


@given(st.lists(st.text(min_size=1, max_size=30).filter(str.strip), max_size=6))
def test_no_entry_is_silently_dropped(names: list[str]) -> None:
    review = review_medications(names, P)
    covered = {i.medication for i in review.interactions} | set(review.unrecognised)
    assert covered == set(names)


def test_no_alias_points_at_two_drugs() -> None:
    seen: dict[str, str] = {}
    for generic, (class_code, brands) in DRUGS.items():
        assert class_code in CLASSES
        for name in (generic, *brands):
            key = normalize_name(name)
            assert seen.setdefault(key, generic) == generic, f"{name} is listed under {seen[key]} and {generic}"
    assert len(aliases()) == len(seen)


def test_normalize_name() -> None:
    assert normalize_name("St. John's-Wort") == "stjohnswort"
    assert normalize_name("  Sudafed   P.E. ") == "sudafedpe"


# --- wording: a hold is for the prescriber to agree, never an instruction to the patient --------------------

FORBIDDEN = re.compile(r"\b(stop taking|discontinue|do not take|skip your|stop your)\b", re.IGNORECASE)


@pytest.mark.parametrize("cls", list(CLASSES.values()), ids=lambda c: c.code)
def test_action_wording_never_tells_patient_to_stop(cls: InteractionClass) -> None:
    assert not FORBIDDEN.search(cls.action)
    if "hold" in cls.action.lower():
        assert "prescrib" in cls.action.lower()


def test_opioid_action_protects_methadone_and_buprenorphine() -> None:
    (item,) = review_medications(["methadone 80 mg daily"], P).interactions
    assert "never stopped" in item.action and "SpO2" in item.action


def test_actions_take_numbers_from_protocol() -> None:
    p = load_protocol({"preparation.alcohol_abstinence_h": 48, "preparation.recreational_drug_abstinence_h": 72})
    alcohol, weed = review_medications(["alcohol", "marijuana"], p).interactions
    assert "48 h" in alcohol.action and "72 h" in weed.action
    default_alcohol, _ = review_medications(["alcohol", "marijuana"], P).interactions
    assert "24 h" in default_alcohol.action


# --- benzodiazepines: diazepam equivalents ----------------------------------------------------------------

BENZO_TABLE = [
    # entry, diazepam-equivalent mg/day, above the default 8 mg/day flag
    ("lorazepam 1 mg tid", 30.0, True),
    ("lorazepam 0.5 mg daily", 5.0, False),
    ("Ativan 0.5mg b.i.d.", 10.0, True),
    ("clonazepam 0.25 mg bid", 10.0, True),
    ("clonazepam 0.2 mg qhs", 4.0, False),
    ("Klonopin 0.5 mg twice daily", 20.0, True),
    ("Xanax 0.25 mg three times a day", 15.0, True),
    ("alprazolam 0.4 mg", 8.0, False),  # exactly at the flag: not above
    ("diazepam 5 mg q12h", 10.0, True),
    ("diazepam 2 mg qid", 8.0, False),
    ("temazepam 15 mg at bedtime", 7.5, False),
    ("temazepam 30 mg nightly", 15.0, True),
    ("chlordiazepoxide 10 mg tid", 12.0, True),
    ("diazepam 8 mg/day", 8.0, False),
    ("diazepam 9 mg per day", 9.0, True),
    ("lorazepam 500 mcg bid", 10.0, True),
    ("lorazepam 500 \u00b5g daily", 5.0, False),
    ("lorazepam 1 mg morning 2 mg night", 30.0, True),
]


@pytest.mark.parametrize(("entry", "diazepam_eq", "above"), BENZO_TABLE)
def test_diazepam_equivalent(entry: str, diazepam_eq: float, above: bool) -> None:
    (item,) = review_medications([entry], P).interactions
    assert item.diazepam_equivalent_mg_day == pytest.approx(diazepam_eq)
    assert item.above_benzo_flag is above
    assert ("above the clinic's flag level" in item.action) is above
    assert item.severity == "moderate"


def test_benzo_flag_from_protocol() -> None:
    (item,) = review_medications(
        ["lorazepam 1 mg daily"], load_protocol({"eligibility.benzo_flag_diazepam_eq_mg_day": 12})
    ).interactions
    assert item.diazepam_equivalent_mg_day == 10.0 and item.above_benzo_flag is False


@pytest.mark.parametrize(
    ("entry", "note_part"),
    [
        ("lorazepam", "no dose given"),
        ("Xanax", "no dose given"),
        ("lorazepam 1 mg prn", "as needed"),
        ("midazolam 2 mg", "no diazepam-equivalent conversion"),
    ],
)
def test_benzo_without_computable_dose(entry: str, note_part: str) -> None:
    (item,) = review_medications([entry], P).interactions
    assert item.diazepam_equivalent_mg_day is None and item.above_benzo_flag is False
    assert item.dose_note is not None and note_part in item.dose_note


@pytest.mark.parametrize(
    ("entry", "mg_day", "note_part"),
    [
        ("lorazepam 2 mg", 20.0, "frequency not stated"),
        ("lorazepam 1", 10.0, "unit not stated"),
        ("lorazepam 1 mg tid prn", 30.0, "maximum"),
    ],
)
def test_benzo_dose_assumptions_are_noted(entry: str, mg_day: float, note_part: str) -> None:
    (item,) = review_medications([entry], P).interactions
    assert item.diazepam_equivalent_mg_day == mg_day
    assert item.dose_note is not None and note_part in item.dose_note


@pytest.mark.parametrize(
    ("text", "mg"),
    [
        ("1 mg", 1.0),
        ("1 mg bid", 2.0),
        ("0.5 mg t.i.d.", 1.5),
        ("2 mg q8h", 6.0),
        ("1 mg 4x daily", 4.0),
        ("1 g", 1000.0),
        ("250 mcg qid", 1.0),
        ("10 mg qd", 10.0),
    ],
)
def test_daily_dose_parser(text: str, mg: float) -> None:
    assert daily_dose_mg(text)[0] == pytest.approx(mg)


def test_conversion_table_covers_listed_benzos() -> None:
    benzos = {g for g, (c, _) in DRUGS.items() if c == "benzodiazepine"}
    assert set(DIAZEPAM_MG_PER_MG) == benzos - {"midazolam"}


# --- cli (in process; subprocess contract tests live in test_cli_eligibility.py) --------------------------


def test_cli_shape() -> None:
    out = cli({"medications": ["lamotrigine", "Xanax", "st john's wort", "metformin"]}, P)
    assert set(out) == {"interactions", "unrecognised"}
    assert out["unrecognised"] == ["metformin"]
    for item in out["interactions"]:
        assert {"medication", "matched", "class", "severity", "action", "source"} <= set(item)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "medications"),
        ({"medications": "Xanax"}, "medications"),
        ({"medications": ["Xanax", 3]}, "medications[1]"),
        ({"medications": [""]}, "medications[0]"),
        ({"medications": [], "meds": []}, "meds"),
    ],
)
def test_cli_bad_input(payload: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as exc:
        cli(payload, P)
    assert exc.value.field == field
