"""FHIR R4 endpoints: $everything for one patient, bulk NDJSON export of a clinic, referral import.

Machines sign in with an API token (`Authorization: Bearer kc_…`); a signed-in staff session
may read. Every answer is FHIR JSON; every error an OperationOutcome with a 4xx status.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from ketaclinic.accounts.roles import Perm, require_perm, staff_clinic_ids
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.interop.actions import authenticate_api_token
from ketaclinic.interop.fhir.export import ndjson_lines, patient_bundle
from ketaclinic.interop.fhir.importer import BundleRejected, Issue, do_import_referral_bundle, operation_outcome
from ketaclinic.interop.models import ApiToken
from ketaclinic.patients.access import get_patient_for_user, patients_visible_to
from ketaclinic.patients.actions import DuplicatePatient, record_chart_view

FHIR_JSON = "application/fhir+json"
MAX_ID = 2**63 - 1
MAX_IMPORT_BYTES = 2 * 1024 * 1024


def fhir_response(body: dict[str, Any], status: int = 200) -> HttpResponse:
    # compact separators: a year of vitals is megabytes of JSON
    return HttpResponse(json.dumps(body, separators=(",", ":")), content_type=FHIR_JSON, status=status)


def fhir_error(status: int, code: str, text: str) -> HttpResponse:
    return fhir_response(operation_outcome([Issue("error", code, text)]), status=status)


class Caller:
    def __init__(self, user: Any, token: ApiToken | None) -> None:
        self.user, self.token = user, token


def fhir_auth(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Resolve the caller (token or session) and turn every refusal into an OperationOutcome."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        header = request.headers.get("Authorization", "")
        token = None
        if header:
            scheme, _, raw = header.partition(" ")
            token = authenticate_api_token(raw.strip()) if scheme.lower() == "bearer" else None
            if token is None:
                return fhir_error(401, "login", "The API token is missing, wrong or revoked.")
            caller = Caller(token.acting_user(), token)
        elif request.user.is_authenticated:
            caller = Caller(request.user, None)
        else:
            return fhir_error(401, "login", "Send an API token: Authorization: Bearer kc_…")
        try:
            return view(request, caller, *args, **kwargs)
        except Http404:
            return fhir_error(404, "not-found", "No such record, or it is not yours to see.")
        except PermissionDenied as exc:
            return fhir_error(403, "forbidden", str(exc) or "Not allowed.")

    return csrf_exempt(wrapper)


def _base_url(request: HttpRequest) -> str:
    return settings.SITE_URL


@require_GET
def capability_statement(request: HttpRequest) -> HttpResponse:
    """What this FHIR endpoint supports (public, as FHIR servers do)."""
    return fhir_response({
        "resourceType": "CapabilityStatement", "status": "active", "kind": "instance",
        "date": timezone.now().date().isoformat(), "fhirVersion": "4.0.1", "format": ["json"],
        "software": {"name": "ketaclinic"},
        "implementation": {"description": "ketaclinic FHIR R4 interface", "url": f"{_base_url(request)}/fhir"},
        "rest": [{"mode": "server",
                  "security": {"description": "Bearer API token created by the clinic's admin."},
                  "resource": [
                      {"type": "Patient", "operation": [{"name": "everything",
                                                         "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}]},
                      {"type": "Bundle", "interaction": [{"code": "create"}]}],
                  "operation": [{"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"}]}],
    })


@fhir_auth
@require_GET
def patient_everything(request: HttpRequest, caller: Caller, patient_id: int) -> HttpResponse:
    """GET /fhir/Patient/{id}/$everything: the patient's whole record as a searchset Bundle."""
    if patient_id > MAX_ID:  # would overflow the database's integer
        raise Http404
    patient = get_patient_for_user(caller.user, patient_id, perm=Perm.VIEW_CLINICAL)
    record_chart_view(caller.user, patient, "fhir-everything")
    return fhir_response(patient_bundle(patient, base_url=_base_url(request)))


@fhir_auth
@require_GET
def bulk_export(request: HttpRequest, caller: Caller) -> HttpResponseBase:
    """GET /fhir/$export: every patient of the clinic as NDJSON, streamed (one resource per line)."""
    if caller.token is not None:
        clinic = caller.token.clinic
    else:
        ids = staff_clinic_ids(caller.user, Perm.VIEW_CLINICAL)
        if not ids:
            raise PermissionDenied("Your role does not include the clinical chart.")
        clinic = Clinic.objects.get(pk=ids[0])
    require_perm(caller.user, clinic, Perm.VIEW_CLINICAL)
    with transaction.atomic():
        record_event(caller.user, "FHIR_BULK_EXPORTED", clinic=clinic, details={"clinic": clinic.slug})
    patients = (patients_visible_to(caller.user, Perm.VIEW_CLINICAL).filter(clinic=clinic)
                .select_related("clinic").order_by("id").iterator(chunk_size=200))
    response = StreamingHttpResponse(ndjson_lines(patients), content_type="application/fhir+ndjson")
    response["Content-Disposition"] = f'attachment; filename="{clinic.slug}-export.ndjson"'
    return response


@fhir_auth
@require_POST
def import_bundle(request: HttpRequest, caller: Caller) -> HttpResponse:
    """POST /fhir/Bundle: a referral (Patient, Condition, MedicationStatement, AllergyIntolerance)."""
    if caller.token is None:
        return fhir_error(403, "forbidden", "Import with an API token (write access).")
    if not caller.token.can_write:
        return fhir_error(403, "forbidden", "This token is read-only. Ask your clinic's admin for a write token.")
    if len(request.body) > MAX_IMPORT_BYTES:
        return fhir_error(413, "too-costly", "The bundle is larger than 2 MB.")
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return fhir_error(400, "structure", f"The body is not JSON: {exc}")
    try:
        result = do_import_referral_bundle(caller.user, caller.token.clinic, data)
    except BundleRejected as exc:
        return fhir_response(operation_outcome(exc.issues), status=exc.status)
    except DuplicatePatient as exc:
        return fhir_error(409, "duplicate", str(exc))
    except ValueError as exc:  # screening's refusals (ScreeningError) carry a message for people
        return fhir_error(422, "processing", str(exc))
    created = Issue("information", "informational",
                    f"Referral created for patient {result.patient.pk}; it waits for review in screening.")
    outcome = operation_outcome([created, *result.issues])
    response = fhir_response(outcome, status=201)
    response["Location"] = f"{_base_url(request)}/fhir/Patient/{result.patient.pk}"
    return response
