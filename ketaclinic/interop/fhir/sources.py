"""Where each exported resource comes from: one query per record type per patient.

Records owned by other stages are read from their models here (read-only, never written).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ketaclinic.interop.fhir import codes
from ketaclinic.patients.models import Patient

Resource = dict[str, Any]
# PHQ-9 and GAD-7 questionnaires (panels) in LOINC; answers are item values 0–3.
QUESTIONNAIRE_URL = {"phq9": "http://loinc.org/q/44249-1", "gad7": "http://loinc.org/q/69737-5"}


def _instant(value: Any) -> str:
    from ketaclinic.interop.fhir.export import instant

    return instant(value)


def visits_of(patient: Patient) -> list[Any]:
    return list(patient.visits.select_related("chair", "course").order_by("starts_at", "id"))


VITAL_COLUMNS = ("id", "visit_id", "taken_at", "confirmed_at", "source", "device_id", "systolic", "diastolic",
                 "heart_rate", "spo2", "respiratory_rate", "temperature_c")


def vitals_of(patient: Patient) -> Iterator[dict[str, Any]]:
    """Current vital-sign sets as plain rows (a year of visits is thousands: no model instances)."""
    from ketaclinic.infusions.models import VitalSign

    return (VitalSign.objects.current().filter(visit__patient=patient).order_by("taken_at", "id")
            .values(*VITAL_COLUMNS).iterator(2000))


def dose_orders_of(patient: Patient) -> list[Any]:
    from ketaclinic.infusions.models import DoseOrder

    return list(DoseOrder.objects.current().filter(visit__patient=patient).prefetch_related("pump_events")
                .order_by("ordered_at", "id"))


def conditions_of(patient: Patient, make: Callable[..., Resource]) -> Iterator[Resource]:
    """One Condition per distinct ICD-10-CM code: referral indications and course indications."""
    seen: set[str] = set()
    for code, recorded, category in _indication_codes(patient):
        code = code.strip().upper()
        if code and code not in seen:
            seen.add(code)
            yield make(patient, f"condition-{patient.pk}-{code}", code, "", recorded, category)


def _indication_codes(patient: Patient) -> Iterator[tuple[str, Any, str]]:
    try:
        from ketaclinic.screening.models import Referral
    except ImportError:  # screening not installed
        pass
    else:
        for code, at in Referral.objects.filter(patient=patient).order_by("created_at", "id").values_list(
                "indication_code", "created_at"):
            yield code, at, "problem-list-item"
    for code, at in patient.courses.order_by("created_at", "id").values_list("indication_code", "created_at"):
        yield code, at, "encounter-diagnosis"


def medications_of(patient: Patient) -> Iterator[Resource]:
    try:
        from ketaclinic.screening.models import Medication
    except ImportError:
        return
    for med in Medication.objects.filter(patient=patient).order_by("added_at", "id"):
        res: Resource = {
            "resourceType": "MedicationStatement", "id": f"med-{med.pk}",
            "status": "stopped" if med.stopped_at else "active",
            "medicationCodeableConcept": {"text": med.name},
            "subject": {"reference": f"Patient/{patient.pk}"},
            "dateAsserted": _instant(med.added_at),
        }
        if med.dose:
            res["dosage"] = [{"text": med.dose}]
        if med.stopped_at:
            res["effectivePeriod"] = {"end": _instant(med.stopped_at)}
        yield res


def allergies_of(patient: Patient) -> Iterator[Resource]:
    """Allergies as the patient or staff wrote them in the intake (free text, one resource per line)."""
    try:
        from ketaclinic.screening.models import IntakeEntry
    except ImportError:
        return
    entry = IntakeEntry.objects.filter(patient=patient, section="allergies").order_by("-saved_at", "-id").first()
    if entry is None:
        return
    details = str(entry.data.get("details", "") or "")
    for n, line in enumerate([ln.strip() for ln in details.splitlines() if ln.strip()], start=1):
        yield {
            "resourceType": "AllergyIntolerance", "id": f"allergy-{entry.pk}-{n}",
            "clinicalStatus": {"coding": [{"system": codes.ALLERGY_CLINICAL, "code": "active"}]},
            "code": {"text": line[:500]},
            "patient": {"reference": f"Patient/{patient.pk}"},
            "recordedDate": _instant(entry.saved_at),
        }


def questionnaire_responses_of(patient: Patient) -> Iterator[Resource]:
    """QuestionnaireResponse per scored questionnaire, plus an Observation of the total (LOINC where one exists)."""
    try:
        from ketaclinic.outcomes.models import QuestionnaireResponse
    except ImportError:
        return
    for qr in QuestionnaireResponse.objects.filter(patient=patient).order_by("answered_at", "id"):
        rid = f"qr-{qr.pk}"
        items = []
        for n, answer in enumerate(qr.answers if isinstance(qr.answers, list) else [], start=1):
            item: Resource = {"linkId": str(n)}
            if isinstance(answer, bool) or not isinstance(answer, int):
                if answer not in (None, ""):
                    item["answer"] = [{"valueString": str(answer)}]
            else:
                item["answer"] = [{"valueInteger": answer}]
            items.append(item)
        res: Resource = {
            "resourceType": "QuestionnaireResponse", "id": rid, "status": "completed",
            "subject": {"reference": f"Patient/{patient.pk}"}, "authored": _instant(qr.answered_at),
        }
        if qr.instrument in QUESTIONNAIRE_URL:
            res["questionnaire"] = QUESTIONNAIRE_URL[qr.instrument]
        if qr.visit_id:
            res["encounter"] = {"reference": f"Encounter/visit-{qr.visit_id}"}
        if items:
            res["item"] = items
        yield res
        if qr.total is None:
            continue
        loinc = codes.INSTRUMENT_TOTAL_LOINC.get(qr.instrument)
        code: Resource = ({"coding": [{"system": codes.LOINC, "code": loinc[0], "display": loinc[1]}],
                           "text": loinc[1]} if loinc else {"text": f"{qr.instrument} total score"})
        obs: Resource = {
            "resourceType": "Observation", "id": f"{rid}-total", "status": "amended" if qr.is_amended else "final",
            "category": [{"coding": [{"system": codes.OBS_CATEGORY, "code": "survey", "display": "Survey"}]}],
            "code": code, "subject": {"reference": f"Patient/{patient.pk}"},
            "effectiveDateTime": _instant(qr.answered_at), "valueInteger": qr.total,
            "derivedFrom": [{"reference": f"QuestionnaireResponse/{rid}"}],
        }
        if qr.severity_label:
            obs["interpretation"] = [{"text": qr.severity_label}]
        yield obs


def infusion_observations_of(patient: Patient) -> Iterator[Resource]:
    """Charted observations (CADSS-6, RASS, nausea, emergence, notes). No LOINC code exists for
    these scales, so the code is text only."""
    from ketaclinic.infusions.models import Observation

    for obs in Observation.objects.current().filter(visit__patient=patient).order_by("observed_at", "id"):
        res: Resource = {
            "resourceType": "Observation", "id": f"obs-{obs.pk}", "status": "final",
            "category": [{"coding": [{"system": codes.OBS_CATEGORY, "code": "exam", "display": "Exam"}]}],
            "code": {"text": obs.get_kind_display()},
            "subject": {"reference": f"Patient/{patient.pk}"},
            "encounter": {"reference": f"Encounter/visit-{obs.visit_id}"},
            "effectiveDateTime": _instant(obs.observed_at),
        }
        if obs.value is not None:
            res["valueInteger"] = obs.value
        elif obs.text:
            res["valueString"] = obs.text[:10_000]
        if obs.text and obs.value is not None:
            res["note"] = [{"text": obs.text[:10_000]}]
        yield res
