"""Consent pages: the patient reads and signs; staff witness on a tablet; the medical director edits.

Every read of a patient's consent is audited (CONSENT_VIEWED); every write goes through actions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.roles import Perm, has_perm, require_perm, staff_clinic_ids
from ketaclinic.consent import actions
from ketaclinic.consent.access import (
    consent_status,
    current_or_default_template,
    get_signature_for_user,
    require_patient_user,
)
from ketaclinic.consent.forms import ConsentTemplateForm, SignConsentForm, WithdrawConsentForm, WitnessedSignConsentForm
from ketaclinic.consent.models import ConsentSignature, ConsentTemplate
from ketaclinic.consent.text import to_blocks
from ketaclinic.patients.access import get_patient_for_user
from ketaclinic.patients.models import Patient
from ketaclinic.web.clinic import current_clinic


def _language(request: HttpRequest, patient: Patient) -> str:
    lang = request.POST.get("language") or request.GET.get("lang") or patient.preferred_language
    return lang if lang in ("en", "es") else "en"


def _client_ip(request: HttpRequest) -> str | None:
    from ketaclinic.accounts.middleware import client_ip

    return client_ip(request)  # the same address the audit log records


def _staff_patient(request: HttpRequest, patient_id: int) -> Patient:
    # Staff pages: a patient (or anyone without a staff role) gets the same 404 as a missing page.
    if not staff_clinic_ids(request.user, Perm.VIEW_PATIENTS):
        raise Http404
    return get_patient_for_user(request.user, patient_id)


def _apply_error(form: Any, exc: actions.ConsentError) -> None:
    field = exc.field if exc.field in form.fields and exc.field not in ("template_version", "language") else None
    form.add_error(field, str(exc))


def _sign_context(patient: Patient, language: str, form: Any) -> dict[str, Any]:
    template = current_or_default_template(patient.clinic)
    form.initial.update({"template_version": template.version, "language": language})
    if form.is_bound:
        # The re-shown form carries the version shown now, so a patient asked to re-read a form that
        # changed while it was open signs the new one next time.
        form.data = form.data.copy()
        form.data["template_version"] = str(template.version)
    return {
        "patient": patient, "clinic": patient.clinic, "form": form, "language": language,
        "template": template, "title": template.title(language), "blocks": to_blocks(template.body(language)),
        "other_language": "es" if language == "en" else "en",
        "today": timezone.localdate(timezone=patient.clinic.zone),
    }


@login_required
@require_http_methods(["GET", "POST"])
def my_consent(request: HttpRequest) -> HttpResponse:
    """The patient's consent page: status, the form to read and sign when needed, signed copies.

    The page is in the language the form is read in: the patient's own, or the other one they chose.
    """
    patient = require_patient_user(request.user)
    language = _language(request, patient)
    with translation.override(language):
        response = _my_consent(request, patient, language)
    response.headers["Content-Language"] = language
    return response


def _my_consent(request: HttpRequest, patient: Patient, language: str) -> HttpResponse:
    status = consent_status(patient)
    form = SignConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            signature = actions.do_sign_consent(
                request.user, patient, template_version=data["template_version"],  # type: ignore[arg-type]
                language=data["language"], typed_name=data["typed_name"], signed_on=data["signed_on"],
                agreed=data["agree"], ip=_client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""))
        except actions.ConsentError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Thank you. Your consent is signed and saved. You can download a copy below."))
            return redirect("consent:signature", signature.pk)
    elif request.method == "POST":
        form.add_error(None, _("Something was missing. Please check the form below."))
    actions.record_consent_view(request.user, patient, "portal")
    signatures = (ConsentSignature.objects.filter(patient=patient).defer("document_html", "text_snapshot")
                  .order_by("-signed_at"))
    context = _sign_context(patient, language, form)
    context.update({"status": status, "signatures": signatures, "needs_signing": not status.valid})
    return render(request, "consent/my_consent.html", context)


@login_required
def signature_detail(request: HttpRequest, signature_id: int) -> HttpResponse:
    """A signed copy, as stored at signing. The patient, or their clinic's staff."""
    signature = get_signature_for_user(request.user, signature_id)
    actions.record_consent_view(request.user, signature.patient, "signed_copy", obj=signature)
    return render(request, "consent/signature_detail.html", {
        "signature": signature, "patient": signature.patient, "clinic": signature.clinic,
        "is_staff": bool(staff_clinic_ids(request.user)),
    })


@login_required
def signature_download(request: HttpRequest, signature_id: int) -> HttpResponse:
    """The stored printable copy as a file (HTML that prints like a document)."""
    signature = get_signature_for_user(request.user, signature_id)
    actions.record_consent_view(request.user, signature.patient, "download", obj=signature)
    html = ("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>"
            f"Consent v{signature.version} {signature.signed_on:%Y-%m-%d}</title></head><body>\n"
            f"{signature.document_html}\n</body></html>\n")
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = (f'attachment; filename="consent-{signature.patient_id}-'
                                       f'v{signature.version}-{signature.signed_on:%Y-%m-%d}.html"')
    return response


@login_required
@require_http_methods(["GET", "POST"])
def tablet_sign(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Signing on a clinic tablet: the patient reads and types their name; the staff member witnesses.

    The patient holds the tablet, so the page (and its errors) is in the patient's language.
    """
    patient = _staff_patient(request, patient_id)
    language = _language(request, patient)
    with translation.override(language):
        response = _tablet_sign(request, patient, language)
    response.headers["Content-Language"] = language
    return response


def _tablet_sign(request: HttpRequest, patient: Patient, language: str) -> HttpResponse:
    form = WitnessedSignConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            signature = actions.do_sign_consent_witnessed(
                request.user, patient, template_version=data["template_version"],  # type: ignore[arg-type]
                language=data["language"], typed_name=data["typed_name"], signed_on=data["signed_on"],
                agreed=data["agree"], witness_confirmed=data["witness_confirmed"], ip=_client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""))
        except actions.ConsentError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, f"Consent signed by {patient.display_name}, witnessed by you.")
            return redirect("consent:signature", signature.pk)
    elif request.method == "POST":
        form.add_error(None, _("Something was missing. Please check the form below."))
    actions.record_consent_view(request.user, patient, "tablet")
    context = _sign_context(patient, language, form)
    context["status"] = consent_status(patient)
    return render(request, "consent/tablet_sign.html", context)


@login_required
@require_POST
def withdraw(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _staff_patient(request, patient_id)
    require_perm(request.user, patient.clinic, Perm.CHART)
    form = WithdrawConsentForm(request.POST)
    if form.is_valid():
        try:
            actions.do_withdraw_consent(request.user, patient, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
        except actions.ConsentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Withdrawal recorded. The patient must sign again before any infusion.")
    else:
        messages.error(request, "Write what the patient said before recording a withdrawal.")
    return redirect("patients:chart", patient.pk)


def _require_template_viewer(request: HttpRequest) -> Any:
    if not staff_clinic_ids(request.user, Perm.VIEW_CLINICAL):
        raise Http404
    clinic = current_clinic(request)
    require_perm(request.user, clinic, Perm.VIEW_CLINICAL)
    return clinic


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    """Every version of the clinic's consent form, newest first. Clinicians read; the director edits."""
    clinic = _require_template_viewer(request)
    versions = list(ConsentTemplate.objects.filter(clinic=clinic).select_related("created_by").order_by("-version"))
    return render(request, "consent/template_list.html", {
        "clinic": clinic, "versions": versions, "default": current_or_default_template(clinic),
        "can_edit": has_perm(request.user, clinic, Perm.EDIT_PROTOCOL),
    })


@login_required
def template_detail(request: HttpRequest, version: int) -> HttpResponse:
    clinic = _require_template_viewer(request)
    if version == 1 and not ConsentTemplate.objects.filter(clinic=clinic).exists():
        template = current_or_default_template(clinic)
    else:
        template = get_object_or_404(ConsentTemplate, clinic=clinic, version=version)
    language = "es" if request.GET.get("lang") == "es" else "en"
    return render(request, "consent/template_detail.html", {
        "clinic": clinic, "template": template, "language": language, "title": template.title(language),
        "blocks": to_blocks(template.body(language)), "other_language": "es" if language == "en" else "en",
    })


@login_required
@require_http_methods(["GET", "POST"])
def template_new(request: HttpRequest) -> HttpResponse:
    """The medical director saves a new version (the editor starts from the current text)."""
    clinic = _require_template_viewer(request)
    require_perm(request.user, clinic, Perm.EDIT_PROTOCOL)
    current = current_or_default_template(clinic)
    form = ConsentTemplateForm(request.POST or None, initial={
        "based_on_version": current.version, "title_en": current.title_en, "body_en": current.body_en,
        "title_es": current.title_es, "body_es": current.body_es})
    if request.method == "POST" and form.is_valid():
        try:
            template = actions.do_publish_consent_template(request.user, clinic, **form.cleaned_data)  # type: ignore[arg-type]
        except actions.ConsentError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, f"Version {template.version} saved."
                             + (" Patients must sign it again before their next visit."
                                if template.requires_reconsent else ""))
            return redirect("consent:template_list")
    return render(request, "consent/template_new.html", {"clinic": clinic, "form": form, "current": current})
