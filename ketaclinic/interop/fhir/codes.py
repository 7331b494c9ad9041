"""Code systems and codes used in the FHIR R4 export and import."""

from __future__ import annotations

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PROVENANCE_AGENT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
ID_SYSTEM = "urn:ketaclinic"  # identifiers: urn:ketaclinic:<clinic slug>:patient

# VitalSign field → (LOINC code, display, UCUM unit)
VITAL_LOINC: dict[str, tuple[str, str, str]] = {
    "heart_rate": ("8867-4", "Heart rate", "/min"),
    "spo2": ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%"),
    "respiratory_rate": ("9279-1", "Respiratory rate", "/min"),
    "temperature_c": ("8310-5", "Body temperature", "Cel"),
}
BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")

# Questionnaire totals with a LOINC code (others are exported with the instrument name as text).
INSTRUMENT_TOTAL_LOINC: dict[str, tuple[str, str]] = {
    "phq9": ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
    "gad7": ("70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"),
}

KETAMINE_RXNORM = ("6130", "ketamine")
IV_ROUTE = ("47625008", "Intravenous route")
