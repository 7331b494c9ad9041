"""The JSON API (django-ninja) mounted at /api/; the OpenAPI schema is /api/openapi.json and the
documentation page /api/docs.

Every endpoint reads through the apps' access functions with `acting_user(request)` (a token's
service account or the signed-in user), so the API shows exactly what the UI would. Every
error is a JSON body `{"detail": …}` with a 4xx status.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Status

from ketaclinic.accounts.roles import Perm, staff_clinic_ids
from ketaclinic.infusions.actions import InfusionError
from ketaclinic.interop.auth import acting_user, request_token, session_auth, token_auth
from ketaclinic.interop.docs import ApiDocs
from ketaclinic.interop.schemas import (
    ChairPage,
    CourseOut,
    CoursePage,
    ErrorOut,
    Id,
    Instant,
    MeOut,
    ObservationPage,
    PatientIn,
    PatientOut,
    PatientPage,
    QuestionnairePage,
    VisitOut,
    VisitPage,
    VitalIn,
    VitalOut,
    VitalPage,
)
from ketaclinic.patients.access import get_patient_for_user, patients_visible_to
from ketaclinic.patients.actions import DuplicatePatient, do_register_patient, record_chart_view
from ketaclinic.schedule.access import (
    chairs_visible_to,
    courses_visible_to,
    get_course_for_user,
    get_visit_for_user,
    visits_visible_to,
)

DESCRIPTION = """
The ketaclinic JSON API. Sign in with a bearer token (`Authorization: Bearer kc_…`) that your
clinic's admin creates under **API tokens**; a token belongs to one clinic and is either
read-only or read-write. The signed-in web session also works (with a CSRF token on writes).

Lists take `limit` (1–200) and `offset` and return `{"count": n, "items": […]}`. Errors are
JSON `{"detail": …}`: 401 no or bad token, 403 not allowed (for example a read-only token
writing), 404 missing or not yours, 409 duplicate, 422 invalid input.

FHIR R4 is served next to this API: `GET /fhir/Patient/{id}/$everything`, `GET /fhir/$export`,
and `POST /fhir/Bundle` to import a referral. See docs/interop.md.
"""

api = NinjaAPI(title="ketaclinic API", version="1", urls_namespace="api", description=DESCRIPTION,
               auth=[token_auth, session_auth], docs=ApiDocs())

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}
VisitStatusName = Literal["booked", "confirmed", "arrived", "in_chair", "infusing", "recovering", "discharged",
                          "cancelled", "no_show"]
StageName = Literal["referred", "screening", "approved", "declined", "induction", "maintenance", "discharged"]


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Not allowed."}, status=403)


@api.exception_handler(DjangoValidationError)
def _invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": "; ".join(exc.messages)}, status=422)


@api.exception_handler(InfusionError)
def _refused(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=422)


@api.exception_handler(DuplicatePatient)
def _duplicate(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=409)


def _page(qs: QuerySet[Any], limit: int, offset: int) -> dict[str, Any]:
    return {"count": qs.count(), "items": list(qs[offset:offset + limit])}


LimitParam = Annotated[int, Field(ge=1, le=200, description="Page size")]
OffsetParam = Annotated[int, Field(ge=0, le=1_000_000, description="Rows to skip")]


@api.get("/me", response={200: MeOut, **ERRORS}, tags=["session"], summary="Who is calling")
def me(request: HttpRequest) -> dict[str, Any]:
    token = request_token(request)
    if token is not None:
        return {"kind": "token", "name": token.name, "clinic_ids": [token.clinic_id], "scope": token.scope}
    user = request.user
    writes = bool(staff_clinic_ids(user, Perm.REGISTER_PATIENTS) or staff_clinic_ids(user, Perm.CHART))
    return {"kind": "session", "name": user.get_username(), "clinic_ids": staff_clinic_ids(user),
            "scope": "write" if writes else "read"}


# ---- patients ----

@api.get("/patients", response={200: PatientPage, **ERRORS}, tags=["patients"], summary="List patients")
def list_patients(request: HttpRequest, stage: StageName | None = None, limit: LimitParam = 50,
                  offset: OffsetParam = 0) -> dict[str, Any]:
    qs = patients_visible_to(acting_user(request)).order_by("last_name", "first_name", "id")
    if stage:
        qs = qs.filter(stage=stage)
    return _page(qs, limit, offset)


@api.get("/patients/{patient_id}", response={200: PatientOut, **ERRORS}, tags=["patients"],
         summary="One patient")
def get_patient(request: HttpRequest, patient_id: Id) -> Any:
    user = acting_user(request)
    patient = get_patient_for_user(user, patient_id)
    record_chart_view(user, patient, "api")
    return patient


@api.post("/patients", response={201: PatientOut, **WRITE_ERRORS}, tags=["patients"],
          summary="Register a referred patient")
def create_patient(request: HttpRequest, payload: PatientIn) -> Any:
    user = acting_user(request)
    token = request_token(request)
    clinic_ids = [token.clinic_id] if token else staff_clinic_ids(user, Perm.REGISTER_PATIENTS)
    if not clinic_ids:
        raise PermissionDenied("Your role does not allow registering patients.")
    from ketaclinic.clinics.models import Clinic

    clinic = token.clinic if token else Clinic.objects.get(pk=clinic_ids[0])
    patient = do_register_patient(user, clinic, **payload.dict())
    return Status(201, patient)


# ---- courses, visits, chairs ----

@api.get("/courses", response={200: CoursePage, **ERRORS}, tags=["courses"], summary="List treatment courses")
def list_courses(request: HttpRequest, patient_id: Id | None = None, limit: LimitParam = 50,
                 offset: OffsetParam = 0) -> dict[str, Any]:
    qs = courses_visible_to(acting_user(request)).order_by("-created_at", "-id")
    if patient_id:
        qs = qs.filter(patient_id=patient_id)
    return _page(qs, limit, offset)


@api.get("/courses/{course_id}", response={200: CourseOut, **ERRORS}, tags=["courses"], summary="One course")
def get_course(request: HttpRequest, course_id: Id) -> Any:
    return get_course_for_user(acting_user(request), course_id)


def _visit_out(visit: Any) -> dict[str, Any]:
    return {"id": visit.pk, "patient_id": visit.patient_id, "course_id": visit.course_id, "number": visit.number,
            "chair_id": visit.chair_id, "chair_name": visit.chair.name if visit.chair else None,
            "starts_at": visit.starts_at, "ends_at": visit.ends_at, "status": visit.status}


@api.get("/visits", response={200: VisitPage, **ERRORS}, tags=["schedule"],
         summary="List visits (the schedule)")
def list_visits(request: HttpRequest, patient_id: Id | None = None, status: VisitStatusName | None = None,
                starts_after: Instant | None = None, starts_before: Instant | None = None,
                limit: LimitParam = 50, offset: OffsetParam = 0) -> dict[str, Any]:
    qs = visits_visible_to(acting_user(request)).select_related("chair").order_by("starts_at", "id")
    if patient_id:
        qs = qs.filter(patient_id=patient_id)
    if status:
        qs = qs.filter(status=status)
    if starts_after:
        qs = qs.filter(starts_at__gte=starts_after)
    if starts_before:
        qs = qs.filter(starts_at__lt=starts_before)
    page = _page(qs, limit, offset)
    page["items"] = [_visit_out(v) for v in page["items"]]
    return page


@api.get("/visits/{visit_id}", response={200: VisitOut, **ERRORS}, tags=["schedule"], summary="One visit")
def get_visit(request: HttpRequest, visit_id: Id) -> dict[str, Any]:
    return _visit_out(get_visit_for_user(acting_user(request), visit_id))


@api.get("/chairs", response={200: ChairPage, **ERRORS}, tags=["schedule"], summary="Chairs and their monitors")
def list_chairs(request: HttpRequest, limit: LimitParam = 50, offset: OffsetParam = 0) -> dict[str, Any]:
    return _page(chairs_visible_to(acting_user(request)).order_by("name", "id"), limit, offset)


# ---- clinical records: vitals, observations, questionnaires ----

@api.get("/visits/{visit_id}/vitals", response={200: VitalPage, **ERRORS}, tags=["clinical"],
         summary="Vital signs of a visit (current rows; corrections replace what they amend)")
def list_vitals(request: HttpRequest, visit_id: Id, limit: LimitParam = 50, offset: OffsetParam = 0) -> dict[str, Any]:
    from ketaclinic.infusions.access import get_visit_for_charting
    from ketaclinic.infusions.models import VitalSign

    user = acting_user(request)
    visit = get_visit_for_charting(user, visit_id)
    record_chart_view(user, visit.patient, "api-vitals")
    return _page(VitalSign.objects.current().filter(visit=visit).order_by("taken_at", "id"), limit, offset)


@api.post("/visits/{visit_id}/vitals", response={201: VitalOut, **WRITE_ERRORS}, tags=["clinical"],
          summary="Record vital signs on a visit (same alert rules as the flowsheet)")
def record_vitals(request: HttpRequest, visit_id: Id, payload: VitalIn) -> Any:
    from ketaclinic.infusions.access import get_visit_for_charting
    from ketaclinic.infusions.actions import do_record_vitals

    user = acting_user(request)
    visit = get_visit_for_charting(user, visit_id)
    values = payload.dict()
    vital = do_record_vitals(user, visit, **values)
    return Status(201, vital)


@api.get("/visits/{visit_id}/observations", response={200: ObservationPage, **ERRORS}, tags=["clinical"],
         summary="Observations of a visit (CADSS-6, RASS, nausea, emergence, notes)")
def list_observations(request: HttpRequest, visit_id: Id, limit: LimitParam = 50, offset: OffsetParam = 0
                      ) -> dict[str, Any]:
    from ketaclinic.infusions.access import get_visit_for_charting
    from ketaclinic.infusions.models import Observation

    user = acting_user(request)
    visit = get_visit_for_charting(user, visit_id)
    record_chart_view(user, visit.patient, "api-observations")
    return _page(Observation.objects.current().filter(visit=visit).order_by("observed_at", "id"), limit, offset)


@api.get("/questionnaire-responses", response={200: QuestionnairePage, **ERRORS}, tags=["clinical"],
         summary="Scored questionnaires (PHQ-9, GAD-7, PCL-5, pain…)")
def list_questionnaires(request: HttpRequest, patient_id: Id | None = None,
                        instrument: Literal["phq9", "gad7", "pcl5", "pain_nrs", "custom"] | None = None,
                        limit: LimitParam = 50, offset: OffsetParam = 0) -> dict[str, Any]:
    from ketaclinic.outcomes.access import responses_visible_to

    qs = responses_visible_to(acting_user(request)).order_by("-answered_at", "-id")
    if patient_id:
        qs = qs.filter(patient_id=patient_id)
    if instrument:
        qs = qs.filter(instrument=instrument)
    return _page(qs, limit, offset)
