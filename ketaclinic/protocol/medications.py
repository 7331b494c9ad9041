"""Curated medication-interaction table for IV ketamine (shared/clinical-reference.md §4, §5.1).

Data only; the matching logic lives in interactions.py. Each interaction class carries the
table's severity (contraindicated > major > moderate > minor), the effect, the suggested action
and the source. Each drug is listed once under its generic name with common US brand names;
a brand that combines two ingredients (Percocet, Suboxone, Contrave) is listed under the
ingredient that carries the interaction.

Wording rule (§4): holding a home medication is only ever a *suggestion for the prescriber to
agree or refuse*; no action tells a patient to stop a medicine on their own.

Action texts may contain `{placeholders}` that interactions.py fills from the clinic's Protocol
(`alcohol_abstinence_h`, `recreational_drug_abstinence_h`, `benzo_flag_diazepam_eq_mg_day`),
so every clinical number still comes from the protocol settings.

Deliberately *not* listed: drugs without an entry in §4 (e.g. metformin, levothyroxine,
lithium, quetiapine). They are reported as "not recognised — review manually" rather than as
"no interaction", because absence from this table is not evidence of safety.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TableSeverity = Literal["contraindicated", "major", "moderate", "minor"]


@dataclass(frozen=True)
class InteractionClass:
    code: str
    name: str
    severity: TableSeverity
    effect: str
    action: str
    source: str


CLASSES: dict[str, InteractionClass] = {
    c.code: c
    for c in (
        InteractionClass(
            "benzodiazepine",
            "Benzodiazepines",
            "moderate",
            "Dose-dependent blunting of the antidepressant response (more than 8 mg/day diazepam-equivalent "
            "separated non-responders); additive sedation.",
            "Flag and record the diazepam-equivalent daily dose. The provider may suggest holding the evening-before "
            "and morning-of doses; this happens only if the prescribing clinician agrees, never on the patient's own.",
            "§4 Andrashko 2020; Feeney 2023 (T); hold timing C",
        ),
        InteractionClass(
            "opioid",
            "Opioids",
            "major",
            "Profound sedation, respiratory depression, coma or death possible; longer recovery.",
            "Provider review before dosing; continuous SpO2 during and after the infusion. Usual doses continue "
            "unless the prescriber agrees otherwise; methadone and buprenorphine are never stopped for a visit.",
            "§4 Ketalar PI (L)",
        ),
        InteractionClass(
            "cns_depressant",
            "Other CNS depressants",
            "major",
            "Additive sedation and respiratory depression.",
            "Provider review before dosing; closer sedation and SpO2 watch. Any change to the dose or timing only "
            "with the prescriber's agreement.",
            "§4 Ketalar PI; Spravato PI (CNS depressants) (L)",
        ),
        InteractionClass(
            "alcohol",
            "Alcohol (CNS depressant)",
            "major",
            "Additive sedation and respiratory depression.",
            "Provider review; ask the patient to avoid alcohol for at least {alcohol_abstinence_h:g} h before each "
            "visit (C). Alcohol on the day of the infusion blocks dosing.",
            "§4 Ketalar PI; Spravato PI (L); abstinence window §5.1 C",
        ),
        InteractionClass(
            "methylxanthine",
            "Methylxanthines",
            "contraindicated",
            "Lower seizure threshold.",
            "Do not co-administer. Provider reviews the chronic use with the prescriber before any infusion; "
            "the patient does not change the medicine on their own.",
            "§4 Ketalar PI (L)",
        ),
        InteractionClass(
            "sympathomimetic",
            "Sympathomimetics / psychostimulants",
            "moderate",
            "Additive rise in blood pressure and heart rate.",
            "Flag; closer blood-pressure checks. A morning-of hold is optional and only if the prescriber agrees (C).",
            "§4 Ketalar PI (sympathomimetics, vasopressin); Spravato PI (psychostimulants) (L)",
        ),
        InteractionClass(
            "maoi",
            "Monoamine oxidase inhibitors",
            "major",
            "Additive rise in blood pressure.",
            "Provider review before dosing; closer blood-pressure checks. The MAOI continues unless the prescriber "
            "decides otherwise.",
            "§4 Spravato PI (L)",
        ),
        InteractionClass(
            "lamotrigine",
            "Lamotrigine",
            "minor",
            "Pretreatment reduced ketamine's perceptual and psychotomimetic effects in healthy volunteers; effect "
            "on the antidepressant response is unknown.",
            "Information for the provider. A morning-of hold only if the clinic's protocol chooses it and the "
            "prescriber agrees (C).",
            "§4 Anand 2000 (T); Andrade 2017 (G)",
        ),
        InteractionClass(
            "opioid_antagonist",
            "Opioid antagonists",
            "moderate",
            "Naltrexone markedly attenuated the response in one small TRD crossover; no difference in a later RCT.",
            "Flag; the provider decides. Naltrexone for alcohol or opioid use disorder is not changed without the "
            "treating prescriber.",
            "§4 Williams AJP 2018; Yoon IJNP 2025 (T)",
        ),
        InteractionClass(
            "nmda_antagonist",
            "Other NMDA antagonists",
            "minor",
            "Theoretical additive dissociation.",
            "Information for the provider; continue as prescribed.",
            "§4 UNVERIFIED (no human interaction study found)",
        ),
        InteractionClass(
            "cyp3a4_inhibitor",
            "Strong CYP3A4 inhibitors",
            "minor",
            "Raised oral S-ketamine exposure (clarithromycin AUC x2.6); IV route expected to be far less affected.",
            "Information; flag if oral or sublingual ketamine is also prescribed. Continue as prescribed.",
            "§4 Hagelberg 2010; Peltoniemi 2011 (T)",
        ),
        InteractionClass(
            "cyp2b6_inhibitor",
            "CYP2B6 inhibitors",
            "minor",
            "Raised oral S-ketamine exposure (ticlopidine AUC x2.4).",
            "Information; flag if oral ketamine is also prescribed. Continue as prescribed.",
            "§4 Peltoniemi 2011 (T)",
        ),
        InteractionClass(
            "cyp_inducer",
            "CYP inducers",
            "minor",
            "Lower ketamine exposure (IV AUC -10 to -14% with rifampicin; oral far more); possibly weaker effect.",
            "Information; the effect may be weaker. Continue as prescribed.",
            "§4 Peltoniemi 2012; Noppers 2011 (T)",
        ),
        InteractionClass(
            "cannabis",
            "Cannabis",
            "moderate",
            "No interaction study; additive tachycardia and perceptual effects plausible.",
            "Ask for at least {recreational_drug_abstinence_h:g} h abstinence before each visit; screen for a "
            "cannabis use disorder.",
            "§4 C / UNVERIFIED",
        ),
        InteractionClass(
            "antihypertensive",
            "Clonidine and other antihypertensives",
            "minor",
            "May blunt the pressor response; risk of hypotension after the infusion.",
            "Continue usual doses on the treatment day (C); record the time taken.",
            "§4 Schwartzman 2009 (T); continue-on-the-day C",
        ),
        InteractionClass(
            "ssri_snri",
            "SSRIs / SNRIs",
            "minor",
            "Usually continued; higher blood-pressure peaks with SSRIs in one small inpatient cohort.",
            "Continue as prescribed.",
            "§4 Szarmach 2020 (T)",
        ),
        InteractionClass(
            "glp1_agonist",
            "GLP-1 receptor agonists",
            "major",
            "Delayed gastric emptying; aspiration risk under sedation.",
            "Provider review before dosing and follow current ASA guidance; any hold only as agreed with the "
            "prescriber (specific holding rule UNVERIFIED).",
            "§5.1 clinic convention (C); holding rule UNVERIFIED",
        ),
    )
}

# generic name → (class code, brand names and other spellings).
DRUGS: dict[str, tuple[str, tuple[str, ...]]] = {
    # Benzodiazepines
    "lorazepam": ("benzodiazepine", ("Ativan", "Loreev")),
    "clonazepam": ("benzodiazepine", ("Klonopin",)),
    "alprazolam": ("benzodiazepine", ("Xanax", "Niravam")),
    "diazepam": ("benzodiazepine", ("Valium", "Valtoco", "Diastat")),
    "temazepam": ("benzodiazepine", ("Restoril",)),
    "chlordiazepoxide": ("benzodiazepine", ("Librium",)),
    "oxazepam": ("benzodiazepine", ("Serax",)),
    "clobazam": ("benzodiazepine", ("Onfi", "Sympazan")),
    "clorazepate": ("benzodiazepine", ("Tranxene",)),
    "triazolam": ("benzodiazepine", ("Halcion",)),
    "estazolam": ("benzodiazepine", ("ProSom",)),
    "flurazepam": ("benzodiazepine", ("Dalmane",)),
    "quazepam": ("benzodiazepine", ("Doral",)),
    "midazolam": ("benzodiazepine", ("Versed", "Nayzilam")),
    # Opioids (combination brands listed under the opioid)
    "oxycodone": ("opioid", ("OxyContin", "Roxicodone", "Oxaydo", "Xtampza", "Percocet", "Endocet", "Roxicet")),
    "hydrocodone": ("opioid", ("Norco", "Vicodin", "Lortab", "Hysingla", "Zohydro")),
    "morphine": ("opioid", ("MS Contin", "Kadian")),
    "hydromorphone": ("opioid", ("Dilaudid", "Exalgo")),
    "oxymorphone": ("opioid", ("Opana",)),
    "fentanyl": ("opioid", ("Duragesic", "Actiq", "Fentora")),
    "methadone": ("opioid", ("Dolophine", "Methadose")),
    "buprenorphine": (
        "opioid",
        ("Subutex", "Suboxone", "Zubsolv", "Sublocade", "Brixadi", "Butrans", "Belbuca", "buprenorphine/naloxone"),
    ),
    "tramadol": ("opioid", ("Ultram", "Ultracet", "ConZip")),
    "tapentadol": ("opioid", ("Nucynta",)),
    "codeine": ("opioid", ()),
    "meperidine": ("opioid", ("Demerol", "pethidine")),
    # Other CNS depressants
    "gabapentin": ("cns_depressant", ("Neurontin", "Gralise", "Horizant", "gabapentin enacarbil")),
    "pregabalin": ("cns_depressant", ("Lyrica",)),
    "zolpidem": ("cns_depressant", ("Ambien", "Edluar", "Intermezzo")),
    "eszopiclone": ("cns_depressant", ("Lunesta",)),
    "zaleplon": ("cns_depressant", ("Sonata",)),
    "phenobarbital": ("cns_depressant", ("Luminal",)),
    "butalbital": ("cns_depressant", ("Fioricet", "Fiorinal")),
    "diphenhydramine": ("cns_depressant", ("Benadryl",)),
    "hydroxyzine": ("cns_depressant", ("Vistaril", "Atarax")),
    "promethazine": ("cns_depressant", ("Phenergan",)),
    "doxylamine": ("cns_depressant", ("Unisom",)),
    "cyclobenzaprine": ("cns_depressant", ("Flexeril", "Amrix")),
    "carisoprodol": ("cns_depressant", ("Soma",)),
    "methocarbamol": ("cns_depressant", ("Robaxin",)),
    "tizanidine": ("cns_depressant", ("Zanaflex",)),
    "baclofen": ("cns_depressant", ("Lioresal", "Ozobax")),
    "metaxalone": ("cns_depressant", ("Skelaxin",)),
    "alcohol": ("alcohol", ("ethanol", "ethyl alcohol")),
    # Methylxanthines
    "theophylline": ("methylxanthine", ("Elixophyllin", "Uniphyl", "Theochron", "Theolair")),
    "aminophylline": ("methylxanthine", ()),
    # Sympathomimetics / psychostimulants
    "amphetamine": ("sympathomimetic", ("Adderall", "Evekeo", "Adzenys", "Dyanavel", "Mydayis", "amphetamine salts")),
    "dextroamphetamine": ("sympathomimetic", ("Dexedrine", "Zenzedi", "ProCentra")),
    "lisdexamfetamine": ("sympathomimetic", ("Vyvanse",)),
    "methamphetamine": ("sympathomimetic", ("Desoxyn",)),
    "methylphenidate": (
        "sympathomimetic",
        ("Ritalin", "Concerta", "Metadate", "Methylin", "Daytrana", "Quillichew", "Quillivant", "Jornay", "Aptensio"),
    ),
    "dexmethylphenidate": ("sympathomimetic", ("Focalin",)),
    "modafinil": ("sympathomimetic", ("Provigil",)),
    "armodafinil": ("sympathomimetic", ("Nuvigil",)),
    "pseudoephedrine": ("sympathomimetic", ("Sudafed",)),
    "phenylephrine": ("sympathomimetic", ("Sudafed PE",)),
    "vasopressin": ("sympathomimetic", ("Vasostrict",)),
    # MAOIs
    "phenelzine": ("maoi", ("Nardil",)),
    "tranylcypromine": ("maoi", ("Parnate",)),
    "isocarboxazid": ("maoi", ("Marplan",)),
    "selegiline": ("maoi", ("Emsam", "Eldepryl", "Zelapar", "selegiline transdermal")),
    "rasagiline": ("maoi", ("Azilect",)),
    # Lamotrigine
    "lamotrigine": ("lamotrigine", ("Lamictal",)),
    # Opioid antagonists
    "naltrexone": ("opioid_antagonist", ("Revia", "Vivitrol", "Depade")),
    "naltrexone/bupropion": ("opioid_antagonist", ("Contrave",)),
    # Other NMDA antagonists
    "memantine": ("nmda_antagonist", ("Namenda", "Namzaric")),
    "dextromethorphan": ("nmda_antagonist", ("Delsym", "Nuedexta", "Auvelity")),
    "amantadine": ("nmda_antagonist", ("Gocovri", "Osmolex", "Symmetrel")),
    # Strong CYP3A4 inhibitors
    "clarithromycin": ("cyp3a4_inhibitor", ("Biaxin",)),
    "ketoconazole": ("cyp3a4_inhibitor", ("Nizoral",)),
    "itraconazole": ("cyp3a4_inhibitor", ("Sporanox", "Tolsura")),
    "ritonavir": ("cyp3a4_inhibitor", ("Norvir", "Paxlovid", "nirmatrelvir/ritonavir")),
    # CYP2B6 inhibitors
    "ticlopidine": ("cyp2b6_inhibitor", ("Ticlid",)),
    # CYP inducers
    "rifampicin": ("cyp_inducer", ("rifampin", "Rifadin", "Rimactane")),
    "carbamazepine": ("cyp_inducer", ("Tegretol", "Carbatrol", "Equetro", "Epitol")),
    "phenytoin": ("cyp_inducer", ("Dilantin", "Phenytek")),
    "St John's wort": ("cyp_inducer", ("Saint John's wort", "hypericum", "hypericum perforatum")),
    # Cannabis
    "cannabis": ("cannabis", ("marijuana", "marihuana", "medical marijuana", "medical cannabis", "THC", "weed")),
    "dronabinol": ("cannabis", ("Marinol", "Syndros")),
    "nabilone": ("cannabis", ("Cesamet",)),
    # Clonidine and other antihypertensives
    "clonidine": ("antihypertensive", ("Catapres", "Kapvay")),
    "guanfacine": ("antihypertensive", ("Intuniv", "Tenex")),
    "labetalol": ("antihypertensive", ("Trandate",)),
    "metoprolol": ("antihypertensive", ("Lopressor", "Toprol", "Toprol XL")),
    "propranolol": ("antihypertensive", ("Inderal",)),
    "atenolol": ("antihypertensive", ("Tenormin",)),
    "carvedilol": ("antihypertensive", ("Coreg",)),
    "amlodipine": ("antihypertensive", ("Norvasc",)),
    "nifedipine": ("antihypertensive", ("Procardia", "Adalat")),
    "lisinopril": ("antihypertensive", ("Zestril", "Prinivil")),
    "enalapril": ("antihypertensive", ("Vasotec",)),
    "losartan": ("antihypertensive", ("Cozaar",)),
    "valsartan": ("antihypertensive", ("Diovan",)),
    "hydrochlorothiazide": ("antihypertensive", ("Microzide", "HCTZ")),
    "prazosin": ("antihypertensive", ("Minipress",)),
    # SSRIs / SNRIs
    "sertraline": ("ssri_snri", ("Zoloft",)),
    "escitalopram": ("ssri_snri", ("Lexapro",)),
    "citalopram": ("ssri_snri", ("Celexa",)),
    "fluoxetine": ("ssri_snri", ("Prozac", "Sarafem")),
    "paroxetine": ("ssri_snri", ("Paxil", "Pexeva")),
    "fluvoxamine": ("ssri_snri", ("Luvox",)),
    "venlafaxine": ("ssri_snri", ("Effexor", "Effexor XR")),
    "desvenlafaxine": ("ssri_snri", ("Pristiq",)),
    "duloxetine": ("ssri_snri", ("Cymbalta", "Drizalma")),
    "levomilnacipran": ("ssri_snri", ("Fetzima",)),
    "milnacipran": ("ssri_snri", ("Savella",)),
    # GLP-1 receptor agonists (§5.1); tirzepatide is a dual GIP/GLP-1 agonist
    "semaglutide": ("glp1_agonist", ("Ozempic", "Wegovy", "Rybelsus")),
    "tirzepatide": ("glp1_agonist", ("Mounjaro", "Zepbound")),
    "liraglutide": ("glp1_agonist", ("Victoza", "Saxenda")),
    "dulaglutide": ("glp1_agonist", ("Trulicity",)),
    "exenatide": ("glp1_agonist", ("Byetta", "Bydureon")),
    "lixisenatide": ("glp1_agonist", ("Adlyxin",)),
}

# Diazepam-equivalent conversion: mg of oral diazepam per 1 mg of the drug.
# CONVENTION / UNVERIFIED: derived from the Ashton Manual equivalence table ("approximately equivalent
# to diazepam 10 mg"; where Ashton gives a range the lower dose is used, which gives the higher
# diazepam equivalent). Equivalence tables disagree and are not pharmacokinetically exact; the
# medical director should review them. Midazolam has no oral maintenance equivalent: not converted.
DIAZEPAM_MG_PER_MG: dict[str, float] = {
    "diazepam": 1.0,  # 10 mg
    "lorazepam": 10.0,  # 1 mg
    "alprazolam": 20.0,  # 0.5 mg
    "clonazepam": 20.0,  # 0.5 mg
    "temazepam": 0.5,  # 20 mg
    "chlordiazepoxide": 0.4,  # 25 mg
    "oxazepam": 0.5,  # 20 mg
    "clobazam": 0.5,  # 20 mg
    "clorazepate": 10.0 / 15.0,  # 15 mg
    "triazolam": 20.0,  # 0.5 mg
    "estazolam": 10.0,  # 1-2 mg
    "flurazepam": 10.0 / 15.0,  # 15-30 mg
    "quazepam": 0.5,  # 20 mg
}
