"""FHIR referral import: all or nothing, clear OperationOutcomes, and the export → import round trip."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import time_machine

from ketaclinic.accounts.roles import Role
from ketaclinic.interop.actions import do_create_api_token
from ketaclinic.patients.models import Patient
from ketaclinic.screening.models import IntakeEntry, Medication, Referral
from tests.factories import make_clinic, make_staff
from tests.interop.conftest import bearer
from tests.interop.fhir_data import NOON, referred_patient

pytestmark = pytest.mark.django_db
ICD = "http://hl7.org/fhir/sid/icd-10-cm"


def referral_bundle(**patient_fields: Any) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Nguyen", "given": ["Hoa"]}],
               "gender": "female", "birthDate": "1979-02-14",
               "telecom": [{"system": "email", "value": "hoa@example.org"}, {"system": "phone", "value": "555-0199"}],
               "communication": [{"language": {"coding": [{"code": "es"}]}}]}
    patient.update(patient_fields)
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:p1", "resource": patient},
        {"resource": {"resourceType": "Practitioner", "id": "dr", "name": [{"family": "Adams", "given": ["Jo"]}]}},
        {"resource": {"resourceType": "Condition", "id": "c1", "subject": {"reference": "urn:uuid:p1"},
                      "code": {"coding": [{"system": ICD, "code": "F33.2", "display": "MDD, recurrent, severe"}]}}},
        {"resource": {"resourceType": "Condition", "id": "c2", "subject": {"reference": "Patient/p1"},
                      "code": {"coding": [{"system": ICD, "code": "F41.1"}], "text": "Generalized anxiety"}}},
        {"resource": {"resourceType": "MedicationStatement", "id": "m1", "status": "active",
                      "subject": {"reference": "Patient/p1"},
                      "medicationCodeableConcept": {"text": "Bupropion XL"}, "dosage": [{"text": "150 mg daily"}]}},
        {"resource": {"resourceType": "AllergyIntolerance", "id": "a1", "patient": {"reference": "Patient/p1"},
                      "code": {"text": "Sulfa drugs"},
                      "reaction": [{"manifestation": [{"text": "rash"}]}]}},
    ]}


def post(api: Any, token: str, body: Any) -> Any:
    return api.post("/fhir/Bundle", json.dumps(body), content_type="application/fhir+json", **bearer(token))


def test_a_referral_bundle_creates_a_referral_for_review(api, write_token, clinic):
    response = post(api, write_token, referral_bundle())
    assert response.status_code == 201, response.content
    patient = Patient.objects.get(last_name="Nguyen")
    assert response["Location"].endswith(f"/fhir/Patient/{patient.pk}")
    assert (patient.clinic, patient.first_name, patient.sex_at_birth, patient.preferred_language, patient.email) == (
        clinic, "Hoa", "female", "es", "hoa@example.org")
    referral = Referral.objects.get(patient=patient)
    assert referral.indication_code == "F33.2" and referral.referring_clinician == "Jo Adams"
    assert list(Medication.objects.filter(patient=patient).values_list("name", "dose")) == [
        ("Bupropion XL", "150 mg daily")]
    allergies = IntakeEntry.objects.get(patient=patient, section="allergies")
    assert allergies.data["details"] == "Sulfa drugs: rash"
    history = IntakeEntry.objects.get(patient=patient, section="history")
    assert "F41.1" in history.data["other_conditions"]
    assert response.json()["issue"][0]["severity"] == "information"


@pytest.mark.parametrize("mutate, fragment, where", [
    (lambda b: b["entry"].pop(0), "exactly one Patient", "Bundle.entry"),
    (lambda b: b["entry"][0]["resource"].update(gender="unknown"), "female or male", "gender"),
    (lambda b: b["entry"][0]["resource"].update(birthDate="2099-01-01"), "past date", "birthDate"),
    (lambda b: b["entry"][2]["resource"]["code"]["coding"][0].update(code="XYZ"), "not an ICD-10-CM", "coding"),
    (lambda b: b["entry"][3]["resource"].update(subject={"reference": "Patient/other"}), "does not refer",
     "subject"),
    (lambda b: b["entry"][4]["resource"].update(medicationCodeableConcept={}), "medicine's name", ""),
    (lambda b: b["entry"][1]["resource"].update(name="not a list"), "", "Bundle.entry"),
    (lambda b: b.update(resourceType="Patient"), "Bundle", ""),
])
def test_a_bad_bundle_gets_an_operation_outcome_and_writes_nothing(api, write_token, mutate, fragment, where):
    bundle = referral_bundle()
    mutate(bundle)
    before = (Patient.objects.count(), Referral.objects.count(), Medication.objects.count())
    response = post(api, write_token, bundle)
    assert response.status_code == 400, response.content
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    text = json.dumps(outcome)
    assert fragment in text and where in text
    assert (Patient.objects.count(), Referral.objects.count(), Medication.objects.count()) == before


def test_a_late_failure_rolls_back_everything(api, write_token, clinic):
    bundle = referral_bundle()
    bundle["entry"][5]["resource"]["code"]["text"] = "x" * 5000  # the allergies section refuses it, last step
    response = post(api, write_token, bundle)
    assert response.status_code == 400
    assert not Patient.objects.filter(last_name="Nguyen").exists()
    assert not Referral.objects.exists() and not Medication.objects.exists()


def test_not_json_and_double_submits(api, write_token):
    response = api.post("/fhir/Bundle", "{nope", content_type="application/fhir+json", **bearer(write_token))
    assert response.status_code == 400 and response.json()["issue"][0]["code"] == "structure"
    assert post(api, write_token, referral_bundle()).status_code == 201
    again = post(api, write_token, referral_bundle())
    assert again.status_code == 409 and again.json()["issue"][0]["code"] == "duplicate"
    assert Patient.objects.filter(last_name="Nguyen").count() == 1


def test_only_write_tokens_import(api, read_token, login, front_desk, anon):
    response = post(api, read_token, referral_bundle())
    assert response.status_code == 403 and "read-only" in response.content.decode()
    assert login(front_desk).post("/fhir/Bundle", json.dumps(referral_bundle()),
                                  content_type="application/fhir+json").status_code == 403
    assert anon.post("/fhir/Bundle", "{}", content_type="application/fhir+json").status_code == 401
    assert not Patient.objects.exists()


def test_round_trip_into_a_fresh_clinic(api, clinic, front_desk, nurse, read_token):
    with time_machine.travel(NOON, tick=False):
        original = referred_patient(clinic, front_desk, nurse)
    exported = api.get(f"/fhir/Patient/{original.pk}/$everything", **bearer(read_token)).json()

    fresh = make_clinic(name="Fresh Clinic", slug="fresh")
    fresh_admin = make_staff(fresh, Role.ADMIN)
    fresh_token = do_create_api_token(fresh_admin, fresh, name="Import", scope="write")[1]
    response = post(api, fresh_token, copy.deepcopy(exported))
    assert response.status_code == 201, response.content
    imported = Patient.objects.get(clinic=fresh)

    fresh_read = do_create_api_token(fresh_admin, fresh, name="Read", scope="read")[1]
    again = api.get(f"/fhir/Patient/{imported.pk}/$everything", **bearer(fresh_read)).json()
    assert summary(again) == summary(exported)


def summary(bundle: dict[str, Any]) -> dict[str, Any]:
    """What a referral carries, without ids and timestamps."""
    resources = [e["resource"] for e in bundle["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    return {
        "patient": (patient["name"], patient["gender"], patient["birthDate"], patient.get("telecom"),
                    patient["communication"]),
        "conditions": sorted(c["code"]["coding"][0]["code"] for c in resources if c["resourceType"] == "Condition"),
        "medications": sorted((m["medicationCodeableConcept"]["text"], m["status"], json.dumps(m.get("dosage")))
                              for m in resources if m["resourceType"] == "MedicationStatement"),
        "allergies": sorted(a["code"]["text"] for a in resources if a["resourceType"] == "AllergyIntolerance"),
    }
