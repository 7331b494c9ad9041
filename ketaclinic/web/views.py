"""Home screens and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketaclinic.accounts.roles import Perm, has_perm, staff_clinic_ids
from ketaclinic.patients.access import own_patient_record, patients_visible_to
from ketaclinic.patients.models import Stage
from ketaclinic.web.clinic import SESSION_KEY, current_clinic
from ketaclinic.web.panels import home_panels


def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers; 503 otherwise. No login, no data."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 — any database failure means unhealthy
        return JsonResponse({"status": "error", "database": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if staff_clinic_ids(request.user):
        return staff_home(request)
    return patient_home(request)


def staff_home(request: HttpRequest) -> HttpResponse:
    clinic = current_clinic(request)
    today = timezone.localdate(timezone=clinic.zone)
    stage_counts: dict[str, int] = {}
    if has_perm(request.user, clinic, Perm.VIEW_PATIENTS):
        rows = (patients_visible_to(request.user).filter(clinic=clinic).values("stage")
                .annotate(n=Count("id")).order_by())
        stage_counts = {row["stage"]: row["n"] for row in rows}
    stages = [(s.value, s.label, stage_counts.get(s.value, 0)) for s in Stage]
    return render(request, "web/staff_home.html", {
        "clinic": clinic, "today": today, "stages": stages,
        "panels": home_panels(request, clinic, "staff"),
        "clinics": request.user.memberships.filter(active=True).select_related("clinic")  # type: ignore[union-attr]
        .values_list("clinic_id", "clinic__name").distinct(),
    })


def patient_home(request: HttpRequest) -> HttpResponse:
    patient = own_patient_record(request.user)
    if patient is None:
        return render(request, "web/no_clinic.html", status=403)
    return render(request, "web/patient_home.html", {
        "patient": patient, "clinic": patient.clinic,
        "panels": home_panels(request, patient.clinic, "patient", patient=patient),
    })


@login_required
@require_POST
def switch_clinic(request: HttpRequest) -> HttpResponse:
    try:
        clinic_id = int(request.POST.get("clinic_id", ""))
    except ValueError:
        clinic_id = 0
    if clinic_id in staff_clinic_ids(request.user):
        request.session[SESSION_KEY] = clinic_id
    return redirect("web:home")
