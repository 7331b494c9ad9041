"""A patient's record as FHIR R4 resources (plain dicts that validate against fhir.resources R4B).

`patient_resources(patient)` yields every resource of one patient with a bounded number of
queries (one per record type, whatever the number of visits). `patient_bundle` wraps them in a
searchset Bundle for $everything; `clinic_ndjson` streams a clinic as NDJSON lines.
Sources: Patient, courses (Condition), screening referral/medications/allergies when present,
visits (Appointment, Encounter), infusions vitals (Observation) and dose orders with pump
events (MedicationAdministration), outcomes questionnaires (QuestionnaireResponse and total
Observations), and one Provenance naming the clinic as the source.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketaclinic.interop.fhir import codes
from ketaclinic.interop.fhir.sources import (
    allergies_of,
    conditions_of,
    dose_orders_of,
    infusion_observations_of,
    medications_of,
    questionnaire_responses_of,
    visits_of,
    vitals_of,
)
from ketaclinic.patients.models import Patient

Resource = dict[str, Any]

VITAL_CATEGORY = [{"coding": [{"system": codes.OBS_CATEGORY, "code": "vital-signs", "display": "Vital Signs"}]}]
APPOINTMENT_STATUS = {"booked": "booked", "confirmed": "booked", "arrived": "arrived", "in_chair": "checked-in",
                      "infusing": "checked-in", "recovering": "checked-in", "discharged": "fulfilled",
                      "cancelled": "cancelled", "no_show": "noshow"}
ENCOUNTER_STATUS = {"arrived": "arrived", "in_chair": "in-progress", "infusing": "in-progress",
                    "recovering": "in-progress", "discharged": "finished"}


def instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def ref(resource_type: str, rid: str) -> dict[str, str]:
    return {"reference": f"{resource_type}/{rid}"}


def coding(system: str, code: str, display: str = "") -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _num(value: Decimal | int | float) -> float | int:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def patient_resource(patient: Patient) -> Resource:
    res: Resource = {
        "resourceType": "Patient", "id": str(patient.pk),
        "identifier": [{"system": f"{codes.ID_SYSTEM}:{patient.clinic.slug}:patient", "value": str(patient.pk)}],
        "active": True,
        "name": [{"use": "official", "family": patient.last_name, "given": [patient.first_name]}],
        "gender": patient.sex_at_birth if patient.sex_at_birth in ("female", "male") else "unknown",
        "birthDate": patient.date_of_birth.isoformat(),
        "communication": [{"language": {"coding": [coding("urn:ietf:bcp:47", patient.preferred_language)]},
                           "preferred": True}],
        "managingOrganization": ref("Organization", f"clinic-{patient.clinic_id}"),
    }
    telecom = []
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone})
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    if telecom:
        res["telecom"] = telecom
    return res


def organization_resource(patient: Patient) -> Resource:
    clinic = patient.clinic
    res: Resource = {"resourceType": "Organization", "id": f"clinic-{clinic.pk}", "name": clinic.name,
                     "identifier": [{"system": f"{codes.ID_SYSTEM}:clinic", "value": clinic.slug}]}
    if clinic.phone:
        res["telecom"] = [{"system": "phone", "value": clinic.phone}]
    return res


def condition_resource(patient: Patient, rid: str, code: str, display: str, recorded: datetime | date | None,
                       category: str = "problem-list-item") -> Resource:
    res: Resource = {
        "resourceType": "Condition", "id": rid,
        "clinicalStatus": {"coding": [coding(codes.CONDITION_CLINICAL, "active")]},
        "verificationStatus": {"coding": [coding(codes.CONDITION_VERIFICATION, "confirmed")]},
        "category": [{"coding": [coding(codes.CONDITION_CATEGORY, category)]}],
        "code": {"coding": [coding(codes.ICD10CM, code, display)], "text": display or code},
        "subject": ref("Patient", str(patient.pk)),
    }
    if recorded is not None:
        res["recordedDate"] = instant(recorded) if isinstance(recorded, datetime) else recorded.isoformat()
    return res


def visit_resources(patient: Patient, visit: Any) -> Iterator[Resource]:
    pid = str(patient.pk)
    appointment: Resource = {
        "resourceType": "Appointment", "id": f"visit-{visit.pk}",
        "status": APPOINTMENT_STATUS.get(visit.status, "booked"),
        "description": f"Ketamine infusion visit {visit.number}",
        "start": instant(visit.starts_at), "end": instant(visit.ends_at),
        "participant": [{"actor": ref("Patient", pid), "status": "accepted"}],
    }
    if visit.chair is not None:
        appointment["participant"].append({"actor": {"display": visit.chair.name}, "status": "accepted"})
    if visit.cancelled_reason:
        appointment["cancelationReason"] = {"text": visit.cancelled_reason}
    yield appointment
    status = ENCOUNTER_STATUS.get(visit.status)
    if status is None:
        return
    encounter: Resource = {
        "resourceType": "Encounter", "id": f"visit-{visit.pk}", "status": status,
        "class": coding(codes.ACT_CODE, "AMB", "ambulatory"),
        "type": [{"text": "Ketamine infusion"}],
        "subject": ref("Patient", pid),
        "appointment": [ref("Appointment", f"visit-{visit.pk}")],
        "period": {"start": instant(visit.starts_at)},
    }
    if status == "finished":
        encounter["period"]["end"] = instant(visit.status_changed_at or visit.ends_at)
    if visit.course.indication_code:
        encounter["reasonCode"] = [{"coding": [coding(codes.ICD10CM, visit.course.indication_code)]}]
    yield encounter


def vital_resources(patient: Patient, vital: Any) -> Iterator[Resource]:
    """Observations of one vital-sign set (`vital`: a VitalSign, or a row from `vitals_of`).

    Hot path of a large export (thousands of sets): the parts shared by every Observation of
    the set are built once.
    """
    get: Callable[[str], Any] = vital.get if isinstance(vital, dict) else vital.__dict__.get
    base = f"vital-{get('id')}"
    shared: Resource = {
        "status": "final" if get("confirmed_at") else "preliminary",
        "category": VITAL_CATEGORY,
        "subject": ref("Patient", str(patient.pk)),
        "encounter": ref("Encounter", f"visit-{get('visit_id')}"),
        "effectiveDateTime": instant(get("taken_at")),
    }
    if get("source") == "monitor":
        shared["device"] = {"display": f"Bedside monitor {get('device_id')}"}
    systolic, diastolic = get("systolic"), get("diastolic")
    if systolic is not None or diastolic is not None:
        components = [{"code": {"coding": [coding(codes.LOINC, *part)]}, "valueQuantity": _qty(value, "mm[Hg]")}
                      for part, value in ((codes.SYSTOLIC, systolic), (codes.DIASTOLIC, diastolic))
                      if value is not None]
        yield {"resourceType": "Observation", "id": f"{base}-bp", **shared,
               "code": {"coding": [coding(codes.LOINC, *codes.BP_PANEL)]}, "component": components}
    for field_name, (code, display, unit) in codes.VITAL_LOINC.items():
        value = get(field_name)
        if value is not None:
            yield {"resourceType": "Observation", "id": f"{base}-{field_name.replace('_', '')}", **shared,
                   "code": {"coding": [coding(codes.LOINC, code, display)]}, "valueQuantity": _qty(value, unit)}


def _qty(value: Any, unit: str) -> dict[str, Any]:
    return {"value": _num(value), "unit": unit, "system": codes.UCUM, "code": unit}


def medication_administration(patient: Patient, order: Any) -> Resource:
    events = sorted(order.pump_events.all(), key=lambda e: (e.at, e.pk))
    start = next((e.at for e in events if e.kind == "start"), None)
    stop = next((e.at for e in reversed(events) if e.kind == "stop"), None)
    status = "completed" if stop else ("in-progress" if start else "not-done")
    res: Resource = {
        "resourceType": "MedicationAdministration", "id": f"dose-{order.pk}", "status": status,
        "medicationCodeableConcept": {"coding": [coding(codes.RXNORM, *codes.KETAMINE_RXNORM)],
                                      "text": "Ketamine hydrochloride IV infusion"},
        "subject": ref("Patient", str(patient.pk)),
        "context": ref("Encounter", f"visit-{order.visit_id}"),
        "dosage": {
            "route": {"coding": [coding(codes.SNOMED, *codes.IV_ROUTE)]},
            "dose": {"value": _num(order.dose_mg), "unit": "mg", "system": codes.UCUM, "code": "mg"},
            "rateQuantity": {"value": _num(order.rate_ml_per_h), "unit": "mL/h", "system": codes.UCUM,
                             "code": "mL/h"},
            "text": f"{order.dose_mg_per_kg} mg/kg × {order.dosing_weight_kg} kg = {order.dose_mg} mg in "
                    f"{order.total_volume_ml} mL over {order.duration_minutes} min at {order.rate_ml_per_h} mL/h",
        },
    }
    if start and stop:
        res["effectivePeriod"] = {"start": instant(start), "end": instant(stop)}
    elif start:
        res["effectivePeriod"] = {"start": instant(start)}
    else:
        res["effectiveDateTime"] = instant(order.ordered_at)
        res["statusReason"] = [{"text": "Infusion not started"}]
    return res


def provenance(patient: Patient, targets: list[Resource], now: datetime) -> Resource:
    return {
        "resourceType": "Provenance", "id": f"export-{patient.pk}",
        "target": [ref(r["resourceType"], r["id"]) for r in targets],
        "recorded": instant(now),
        "activity": {"text": "Exported from ketaclinic"},
        "agent": [{"type": {"coding": [coding(codes.PROVENANCE_AGENT, "custodian", "Custodian")]},
                   "who": ref("Organization", f"clinic-{patient.clinic_id}")}],
    }


def patient_resources(patient: Patient, *, now: datetime | None = None,
                      include_organization: bool = True) -> Iterator[Resource]:
    """Every resource of one patient, Provenance last. Patient must have `clinic` loaded."""
    now = now or timezone.now()
    emitted: list[Resource] = []

    def emit(resources: Iterable[Resource]) -> Iterator[Resource]:
        for r in resources:
            emitted.append({"resourceType": r["resourceType"], "id": r["id"]})
            yield r

    yield from emit([patient_resource(patient)])
    if include_organization:
        yield from emit([organization_resource(patient)])
    yield from emit(conditions_of(patient, condition_resource))
    yield from emit(medications_of(patient))
    yield from emit(allergies_of(patient))
    for visit in visits_of(patient):
        yield from emit(visit_resources(patient, visit))
    for vital in vitals_of(patient):
        yield from emit(vital_resources(patient, vital))
    yield from emit(infusion_observations_of(patient))
    for order in dose_orders_of(patient):
        yield from emit([medication_administration(patient, order)])
    yield from emit(questionnaire_responses_of(patient))
    yield provenance(patient, emitted, now)


def patient_bundle(patient: Patient, *, base_url: str = "", now: datetime | None = None) -> Resource:
    """A searchset Bundle with every resource of the patient ($everything)."""
    now = now or timezone.now()
    entries = [{"fullUrl": f"{base_url}/fhir/{r['resourceType']}/{r['id']}", "resource": r,
                "search": {"mode": "match" if r["resourceType"] == "Patient" else "include"}}
               for r in patient_resources(patient, now=now)]
    return {"resourceType": "Bundle", "id": f"everything-{patient.pk}", "type": "searchset",
            "timestamp": instant(now), "total": 1, "entry": entries}


def ndjson_lines(patients: Iterable[Patient], *, now: datetime | None = None) -> Iterator[bytes]:
    """One JSON resource per line for each patient in turn (the caller streams it)."""
    now = now or timezone.now()
    first = True
    for patient in patients:
        for resource in patient_resources(patient, now=now, include_organization=first):
            yield (json.dumps(resource, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")
        first = False
