"""Staff pages: the screening queue, entering a referral, and checking self-referrals."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.roles import Perm, has_perm, require_perm, staff_clinic_ids
from ketaclinic.patients.access import get_patient_for_user, patients_visible_to
from ketaclinic.patients.actions import DuplicatePatient
from ketaclinic.screening import actions
from ketaclinic.screening.access import screening_cases_visible_to
from ketaclinic.screening.forms import ReferralForm
from ketaclinic.screening.models import (
    OPEN_CASE_STATUSES,
    CaseStatus,
    EligibilityAssessment,
    ReviewFlag,
    SelfReferral,
)
from ketaclinic.web.clinic import current_clinic

PAGE_SIZE = 50
FILTERS = [("open", "Open"), ("flags", "Open review flags"), *CaseStatus.choices]


def require_staff(request: HttpRequest) -> None:
    # Staff pages: a patient (or anyone without a staff role) gets the same 404 as a missing page.
    if not staff_clinic_ids(request.user, Perm.VIEW_PATIENTS):
        raise Http404


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Patients in screening with their status; clinical staff also see the rules' result and flags."""
    require_staff(request)
    clinic = current_clinic(request)
    show = request.GET.get("show", "open")
    open_flags = (ReviewFlag.objects.filter(patient=OuterRef("patient"), resolved_at__isnull=True)
                  .order_by().values("patient").annotate(n=Count("id")).values("n"))
    latest_status = (EligibilityAssessment.objects.filter(patient=OuterRef("patient"))
                     .order_by("-version").values("status")[:1])
    cases = (screening_cases_visible_to(request.user, clinic.pk).select_related("patient")
             .annotate(open_flags=Subquery(open_flags, output_field=IntegerField()),
                       rules_status=Subquery(latest_status)))
    if show == "open":
        cases = cases.filter(Q(status__in=OPEN_CASE_STATUSES) | Q(open_flags__gt=0))
    elif show == "flags":
        cases = cases.filter(open_flags__gt=0)
    elif show in CaseStatus.values:
        cases = cases.filter(status=show)
    query = request.GET.get("q", "").strip()
    if query:
        cases = cases.filter(Q(patient__first_name__icontains=query) | Q(patient__last_name__icontains=query))
    page = Paginator(cases.order_by("status_changed_at", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    can_register = has_perm(request.user, clinic, Perm.REGISTER_PATIENTS)
    self_referrals = (list(SelfReferral.objects.filter(clinic=clinic, status=SelfReferral.Status.NEW)
                           .select_related("patient")[:50])
                      if can_register else [])
    clinical = has_perm(request.user, clinic, Perm.VIEW_CLINICAL)
    # Patients already in treatment have no open screening case; their flags are listed on their own.
    open_flag_rows = (list(ReviewFlag.objects.filter(clinic=clinic, resolved_at__isnull=True)
                           .select_related("patient", "visit").order_by("created_at", "id")[:100])
                      if clinical else [])
    return render(request, "screening/queue.html", {
        "open_flag_rows": open_flag_rows,
        "clinic": clinic, "page": page, "show": show, "q": query, "filters": FILTERS,
        "clinical": clinical, "can_register": can_register,
        "self_referrals": self_referrals,
        "fill_allowed": can_register or has_perm(request.user, clinic, Perm.CHART),
    })


@login_required
@require_http_methods(["GET", "POST"])
def refer(request: HttpRequest) -> HttpResponse:
    """Front desk enters a clinician referral: patient, referrer, indication, documents, invitation."""
    require_staff(request)
    clinic = current_clinic(request)
    require_perm(request.user, clinic, Perm.REGISTER_PATIENTS)
    form = ReferralForm(request.POST or None, request.FILES or None)
    existing = None
    if request.method == "POST" and request.POST.get("existing_patient_id"):
        return _refer_existing(request, form)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            referral = actions.do_refer_patient(
                request.user, clinic, first_name=d["first_name"], last_name=d["last_name"],  # type: ignore[arg-type]
                date_of_birth=d["date_of_birth"], sex_at_birth=d["sex_at_birth"], email=d["email"],
                phone=d["phone"], preferred_language=d["preferred_language"],
                referring_clinician=d["referring_clinician"], referring_practice=d["referring_practice"],
                referring_phone=d["referring_phone"], referring_email=d["referring_email"],
                indication_code=d["indication_code"], reason=d["reason"], documents=d["documents"],
                invite=d["send_invitation"])
        except DuplicatePatient as exc:
            form.add_error(None, str(exc))
            existing = (patients_visible_to(request.user).filter(
                clinic=clinic, first_name__iexact=d["first_name"].strip(), last_name__iexact=d["last_name"].strip(),
                date_of_birth=d["date_of_birth"]).first())
        except actions.ScreeningError as exc:
            form.add_error(None, str(exc))
        else:
            patient = referral.patient
            invited = d["send_invitation"] and patient.email
            messages.success(request, f"Referral for {patient} saved"
                             + (" and portal invitation sent." if invited else ". No invitation sent (no email)."))
            return redirect(reverse("screening:queue"))
    return render(request, "screening/refer.html", {"form": form, "clinic": clinic, "existing": existing},
                  status=400 if form.errors else 200)


def _refer_existing(request: HttpRequest, form: ReferralForm) -> HttpResponse:
    """The person is already registered: add the referral (and documents) to their chart instead."""
    try:
        patient_id = int(request.POST.get("existing_patient_id", ""))
    except ValueError:
        raise Http404 from None
    patient = get_patient_for_user(request.user, patient_id)
    if not form.is_valid():
        return render(request, "screening/refer.html", {"form": form, "clinic": patient.clinic, "existing": patient},
                      status=400)
    d = form.cleaned_data
    try:
        actions.do_record_referral(
            request.user, patient, referring_clinician=d["referring_clinician"],  # type: ignore[arg-type]
            referring_practice=d["referring_practice"], referring_phone=d["referring_phone"],
            referring_email=d["referring_email"], indication_code=d["indication_code"], reason=d["reason"],
            documents=d["documents"])
    except actions.ScreeningError as exc:
        form.add_error(None, str(exc))
        return render(request, "screening/refer.html", {"form": form, "clinic": patient.clinic, "existing": patient},
                      status=400)
    messages.success(request, f"Referral added to {patient}'s chart.")
    return redirect(reverse("screening:queue"))


def _self_referral_for(request: HttpRequest, pk: int) -> SelfReferral:
    require_staff(request)
    request_row = get_object_or_404(SelfReferral.objects.select_related("clinic"), pk=pk,
                                    clinic_id__in=staff_clinic_ids(request.user, Perm.VIEW_PATIENTS))
    require_perm(request.user, request_row.clinic, Perm.REGISTER_PATIENTS)
    return request_row


@login_required
@require_POST
def check_self_referral(request: HttpRequest, pk: int) -> HttpResponse:
    row = _self_referral_for(request, pk)
    try:
        actions.do_check_self_referral(request.user, row)  # type: ignore[arg-type]
    except actions.ScreeningError as exc:
        messages.error(request, f"{row.first_name} {row.last_name}: {exc}")
    else:
        messages.success(request, f"Self-referral of {row.first_name} {row.last_name} marked as checked.")
    return redirect(reverse("screening:queue"))


@login_required
@require_POST
def dismiss_self_referral(request: HttpRequest, pk: int) -> HttpResponse:
    row = _self_referral_for(request, pk)
    try:
        actions.do_dismiss_self_referral(request.user, row, note=request.POST.get("note", ""))  # type: ignore[arg-type]
    except actions.ScreeningError as exc:
        messages.error(request, f"{row.first_name} {row.last_name}: {exc}")
    else:
        messages.success(request, "Request set aside.")
    return redirect(reverse("screening:queue"))
