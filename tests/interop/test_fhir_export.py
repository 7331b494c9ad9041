"""FHIR R4 export: every resource validates, codes are right, $everything and bulk NDJSON obey access."""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine
from django.http import StreamingHttpResponse
from fhir.resources.R4B import get_fhir_model_class

from ketaclinic.audit.models import AuditEvent
from ketaclinic.interop.fhir.export import patient_bundle
from ketaclinic.schedule.actions import do_create_chair
from tests.factories import make_patient
from tests.interop.conftest import bearer
from tests.interop.fhir_data import NOON, infused_visit, referred_patient, scored_questionnaires

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_record(clinic: Any, front_desk: Any, nurse: Any, provider: Any) -> Any:
    with time_machine.travel(NOON, tick=False):
        patient = referred_patient(clinic, front_desk, nurse)
        from ketaclinic.accounts.actions import do_grant_role
        from ketaclinic.accounts.roles import Role
        from tests.factories import make_user

        user = make_user(email=patient.email, full_name=patient.display_name)
        do_grant_role(None, clinic, user, Role.PATIENT)
        patient.user = user
        patient.save(update_fields=["user"])  # test set-up only: the portal link an invitation would make
        chair = do_create_chair(None, clinic, "Chair 1", monitor_device_id="MON-01")
        visit = infused_visit(patient, chair, provider, front_desk, nurse)
        scored_questionnaires(patient)
        yield patient, visit


def resources_of(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"]]


def codes_of(resource: dict[str, Any]) -> set[str]:
    return {c["code"] for c in resource.get("code", {}).get("coding", [])}


def test_every_exported_resource_validates(full_record):
    patient, _ = full_record
    with time_machine.travel(NOON, tick=False):
        bundle = patient_bundle(patient)
    get_fhir_model_class("Bundle").model_validate(bundle)
    for resource in resources_of(bundle):
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    kinds = {r["resourceType"] for r in resources_of(bundle)}
    assert kinds >= {"Patient", "Organization", "Condition", "MedicationStatement", "AllergyIntolerance",
                     "Appointment", "Encounter", "Observation", "MedicationAdministration",
                     "QuestionnaireResponse", "Provenance"}


def test_codes_and_values_are_right(full_record):
    patient, visit = full_record
    with time_machine.travel(NOON, tick=False):
        resources = resources_of(patient_bundle(patient))
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in resources:
        by_type.setdefault(r["resourceType"], []).append(r)
    [condition] = by_type["Condition"]
    assert condition["code"]["coding"][0] == {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "F33.2"}
    observation_codes = set().union(*(codes_of(o) for o in by_type["Observation"]))
    assert {"85354-9", "8867-4", "59408-5", "9279-1", "44261-6", "70274-6"} <= observation_codes
    bp = next(o for o in by_type["Observation"] if "85354-9" in codes_of(o) and o.get("device"))
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"]) for c in bp["component"]] == [
        ("8480-6", 138), ("8462-4", 84)]
    assert bp["status"] == "preliminary"  # a monitor reading nobody has confirmed yet
    phq = next(o for o in by_type["Observation"] if "44261-6" in codes_of(o))
    assert phq["valueInteger"] == 11
    [admin] = by_type["MedicationAdministration"]
    assert admin["status"] == "completed"
    assert admin["dosage"]["route"]["coding"][0]["code"] == "47625008"
    assert admin["dosage"]["dose"] == {"value": 40, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}
    assert admin["dosage"]["rateQuantity"]["unit"] == "mL/h"
    assert admin["effectivePeriod"] == {"start": "2026-11-26T14:15:00Z", "end": "2026-11-26T14:55:00Z"}
    cadss = next(o for o in by_type["Observation"] if o["code"].get("text", "").startswith("Dissociation"))
    assert cadss["valueInteger"] == 4 and cadss["encounter"] == {"reference": f"Encounter/visit-{visit.pk}"}
    [encounter] = by_type["Encounter"]
    assert encounter["id"] == f"visit-{visit.pk}" and encounter["status"] == "in-progress"
    [provenance] = by_type["Provenance"]
    assert len(provenance["target"]) == len(resources) - 1
    [med] = by_type["MedicationStatement"]
    assert med["medicationCodeableConcept"]["text"] == "Sertraline" and med["dosage"] == [{"text": "50 mg daily"}]
    [allergy] = by_type["AllergyIntolerance"]
    assert allergy["code"]["text"] == "Penicillin: hives"


def test_export_takes_the_same_queries_for_one_visit_or_many(clinic, patient, provider, front_desk,
                                                            django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.interop.conftest import book_visit

    chair = do_create_chair(None, clinic, "Chair 9")
    from datetime import timedelta

    from django.utils import timezone

    start = timezone.now() - timedelta(days=60)
    book_visit(patient, chair, provider, front_desk, status="discharged", starts_at=start)
    with CaptureQueriesContext(connection) as one:
        patient_bundle(patient)
    for n in range(1, 20):
        book_visit(patient, chair, provider, front_desk, status="discharged", starts_at=start + timedelta(days=n))
    with CaptureQueriesContext(connection) as twenty:
        patient_bundle(patient)
    assert len(one) == len(twenty)


# ---- $everything ----

def test_a_token_pulls_everything(api, full_record, read_token):
    patient, _ = full_record
    response = api.get(f"/fhir/Patient/{patient.pk}/$everything", **bearer(read_token))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    body = response.json()
    assert body["resourceType"] == "Bundle" and body["entry"][0]["resource"]["id"] == str(patient.pk)
    assert AuditEvent.objects.filter(action="CHART_VIEWED", patient_ref=patient.pk,
                                     details__view="fhir-everything").exists()


def test_everything_for_people(login, anon, patient, other_patient, nurse, front_desk, other_clinic_nurse):
    url = f"/fhir/Patient/{patient.pk}/$everything"
    assert login(nurse).get(url).status_code == 200
    assert login(patient.user).get(url).status_code == 200  # their own record
    for who in (front_desk, other_clinic_nurse, other_patient.user):
        response = login(who).get(url)
        assert response.status_code == 404, who
        assert response.json()["resourceType"] == "OperationOutcome"
    response = anon.get(url)
    assert response.status_code == 401 and response.json()["issue"][0]["code"] == "login"


def test_a_revoked_or_foreign_token_gets_an_operation_outcome(api, patient, other_clinic_token):
    url = f"/fhir/Patient/{patient.pk}/$everything"
    assert api.get(url, HTTP_AUTHORIZATION="Bearer kc_wrong").status_code == 401
    assert api.get(url, **bearer(other_clinic_token)).status_code == 404


def test_huge_ids_are_not_found(api, read_token, login, admin_user, nurse):
    huge = 2**70
    response = api.get(f"/fhir/Patient/{huge}/$everything", **bearer(read_token))
    assert response.status_code == 404 and response.json()["resourceType"] == "OperationOutcome"
    assert login(admin_user).post(f"/integrations/api-tokens/{huge}/revoke/").status_code == 404
    assert login(nurse).get(f"/integrations/monitor-inbox/{huge}/").status_code == 404


def test_capability_statement(api):
    body = api.get("/fhir/metadata").json()
    assert body["resourceType"] == "CapabilityStatement" and body["fhirVersion"] == "4.0.1"


# ---- bulk NDJSON ----

def test_bulk_export_streams_the_clinic_only(api, full_record, read_token, other_clinic):
    make_patient(other_clinic, last_name="Elsewhere")
    response = api.get("/fhir/$export", **bearer(read_token))
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/fhir+ndjson"
    lines = b"".join(response.streaming_content).decode().splitlines()
    resources = [json.loads(line) for line in lines]
    for resource in resources:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    names = {r["name"][0]["family"] for r in resources if r["resourceType"] == "Patient"}
    assert "Ortiz" in names and "Elsewhere" not in names
    assert sum(r["resourceType"] == "Organization" for r in resources) == 1
    assert AuditEvent.objects.filter(action="FHIR_BULK_EXPORTED").count() == 1


def test_bulk_export_needs_the_clinical_chart(login, front_desk, anon):
    assert login(front_desk).get("/fhir/$export").status_code == 403
    assert anon.get("/fhir/$export").status_code == 401
