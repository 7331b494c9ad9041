"""Staff views of patient records. Every read goes through patients.access."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.roles import Perm, has_perm, require_perm, staff_clinic_ids
from ketaclinic.patients import actions
from ketaclinic.patients.access import get_patient_for_user, patients_visible_to
from ketaclinic.patients.forms import RegisterPatientForm
from ketaclinic.patients.models import Stage
from ketaclinic.web.clinic import current_clinic
from ketaclinic.web.panels import home_panels

PAGE_SIZE = 50


def _require_staff(request: HttpRequest) -> None:
    # Staff pages: a patient (or anyone without a staff role) gets the same 404 as a missing page.
    if not staff_clinic_ids(request.user, Perm.VIEW_PATIENTS):
        raise Http404


@login_required
def patient_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    clinic = current_clinic(request)
    qs = patients_visible_to(request.user).filter(clinic=clinic)
    stage = request.GET.get("stage", "")
    if stage in Stage.values:
        qs = qs.filter(stage=stage)
    query = request.GET.get("q", "").strip()
    if query:
        qs = qs.filter(Q(first_name__icontains=query) | Q(last_name__icontains=query) | Q(email__icontains=query))
    page = Paginator(qs.order_by("last_name", "first_name", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "patients/patient_list.html", {
        "clinic": clinic, "page": page, "stage": stage, "q": query, "stages": Stage.choices,
        "can_register": has_perm(request.user, clinic, Perm.REGISTER_PATIENTS),
    })


@login_required
def patient_chart(request: HttpRequest, patient_id: int) -> HttpResponse:
    _require_staff(request)
    patient = get_patient_for_user(request.user, patient_id)
    actions.record_chart_view(request.user, patient)  # type: ignore[arg-type]
    clinical = has_perm(request.user, patient.clinic, Perm.VIEW_CLINICAL)
    return render(request, "patients/patient_chart.html", {
        "patient": patient, "clinic": patient.clinic, "clinical": clinical,
        "can_invite": has_perm(request.user, patient.clinic, Perm.REGISTER_PATIENTS) and not patient.user_id,
        "panels": home_panels(request, patient.clinic, "chart", patient=patient) if clinical else [],
    })


@login_required
@require_http_methods(["GET", "POST"])
def register_patient(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    clinic = current_clinic(request)
    require_perm(request.user, clinic, Perm.REGISTER_PATIENTS)
    form = RegisterPatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            patient = actions.do_register_patient(
                request.user, clinic, first_name=data["first_name"], last_name=data["last_name"],  # type: ignore[arg-type]
                date_of_birth=data["date_of_birth"], sex_at_birth=data["sex_at_birth"], email=data["email"],
                phone=data["phone"], preferred_language=data["preferred_language"])
        except actions.DuplicatePatient as exc:
            form.add_error(None, str(exc))
        else:
            if data["send_invitation"] and patient.email:
                actions.do_invite_patient(request.user, patient)  # type: ignore[arg-type]
                messages.success(request, f"{patient} registered and invited to the portal.")
            else:
                messages.success(request, f"{patient} registered.")
            return redirect("patients:chart", patient.pk)
    return render(request, "patients/register_patient.html", {"form": form, "clinic": clinic})


@login_required
@require_POST
def invite_patient(request: HttpRequest, patient_id: int) -> HttpResponse:
    _require_staff(request)
    patient = get_patient_for_user(request.user, patient_id)
    require_perm(request.user, patient.clinic, Perm.REGISTER_PATIENTS)
    try:
        actions.do_invite_patient(request.user, patient)  # type: ignore[arg-type]
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Portal invitation sent to {patient.email}.")
    return redirect("patients:chart", patient.pk)
