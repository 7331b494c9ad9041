"""The intake in the portal (the patient's own) and the same pages for staff filling it on their behalf.

Every section is its own form: htmx saves it as the person types (and on leaving a field); without
JavaScript the Save button posts it and the page comes back. Nothing typed is lost: a value that
does not pass is shown again with its message, and the rest of the section is saved.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import retarget

from ketaclinic.outcomes.instrument_text import wording
from ketaclinic.patients.actions import record_chart_view
from ketaclinic.patients.models import Patient
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.instruments import INSTRUMENTS
from ketaclinic.screening import actions
from ketaclinic.screening.access import current_case, current_intake, get_patient_for_intake
from ketaclinic.screening.actions.intake import MEASURE_INSTRUMENTS, missing_sections
from ketaclinic.screening.intake import SECTION_BY_KEY, SECTIONS, clean_section, section_is_filled
from ketaclinic.screening.models import (
    AntidepressantTrialRecord,
    BaselineVitals,
    CaseStatus,
    DocumentKind,
    IntakeEntry,
    Medication,
    ScreeningDecision,
    ScreeningDocument,
    ScreeningMeasure,
    TrialResponse,
)
from ketaclinic.screening.status import patient_status


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def intake_url(patient: Patient, on_behalf: bool) -> str:
    return reverse("screening:intake_for", args=[patient.pk]) if on_behalf else reverse("screening:intake")


def _section_view(section: Any, data: dict[str, Any], errors: dict[str, str], entry: Any = None,
                  just_saved: bool = False) -> dict[str, Any]:
    fields = []
    for f in section.fields:
        value = data.get(f.name, [] if f.kind == "multi" else "")
        if isinstance(value, float):
            value = f"{value:g}"
        fields.append({"spec": f, "value": value, "error": errors.get(f.name, ""), "id": f"{section.key}-{f.name}"})
    return {"section": section, "fields": fields, "entry": entry, "errors": errors, "just_saved": just_saved,
            "filled": section_is_filled(data)}


def _lists_context(patient: Patient) -> dict[str, Any]:
    return {
        "medications": list(Medication.objects.filter(patient=patient, stopped_at__isnull=True)),
        "trials": list(AntidepressantTrialRecord.objects.filter(patient=patient, withdrawn_at__isnull=True)),
        "trial_responses": TrialResponse.choices,
        "vitals": BaselineVitals.objects.filter(patient=patient).first(),
        "documents": list(ScreeningDocument.objects.filter(patient=patient)),
        "document_kinds": DocumentKind.choices,
    }


def _measures_context(patient: Patient) -> list[dict[str, Any]]:
    latest: dict[str, ScreeningMeasure] = {}
    for m in ScreeningMeasure.objects.filter(patient=patient).order_by("-taken_at", "-id"):
        latest.setdefault(m.instrument, m)
    language = get_language() or "en"
    return [{"code": code, "name": wording(code, language).name, "latest": latest.get(code)}
            for code in MEASURE_INSTRUMENTS]


def _page(request: HttpRequest, patient: Patient, on_behalf: bool, *, status: int = 200,
          override: dict[str, dict[str, Any]] | None = None, submit_error: str = "") -> HttpResponse:
    current = current_intake(patient)
    sections = []
    for section in SECTIONS:
        if override and section.key in override:
            sections.append(override[section.key])
            continue
        entry = current.get(section.key)
        sections.append(_section_view(section, entry.data if entry else {}, {}, entry))
    case = current_case(patient)
    decision = ScreeningDecision.objects.filter(case=case).first() if case else None
    return render(request, "screening/intake.html", {
        "patient": patient, "clinic": patient.clinic, "on_behalf": on_behalf, "sections": sections,
        "case": case, "status": patient_status(case, decision, patient.clinic.phone),
        "submitted": case is not None and case.status not in (CaseStatus.REFERRED, CaseStatus.INTAKE,
                                                                CaseStatus.DEFERRED),
        "missing": missing_sections(patient), "submit_error": submit_error,
        "measures": _measures_context(patient), "base_url": intake_url(patient, on_behalf),
        **_lists_context(patient),
    }, status=status)


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """The patient's own health history."""
    patient, on_behalf = get_patient_for_intake(request.user, None)
    return _page(request, patient, on_behalf)


@login_required
def intake_for(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Staff fill the health history on the patient's behalf (recorded as such)."""
    patient, on_behalf = get_patient_for_intake(request.user, patient_id)
    if on_behalf:
        record_chart_view(request.user, patient, "screening intake")  # type: ignore[arg-type]
    return _page(request, patient, on_behalf)


@login_required
@require_POST
def save_section(request: HttpRequest, patient_id: int, key: str) -> HttpResponse:
    patient, on_behalf = get_patient_for_intake(request.user, patient_id)
    section = SECTION_BY_KEY.get(key)
    if section is None:
        return HttpResponse(_("Unknown section"), status=404)
    data, errors = clean_section(section, request.POST)
    # Save everything that passed; a value with a problem is shown again as typed, and the answer saved
    # before it (if any) stays until the person fixes it.
    previous = IntakeEntry.objects.filter(patient=patient, section=key).order_by("-saved_at", "-id").first()
    before = previous.data if previous else {}
    to_save = {k: (before.get(k, "") if k in errors else v) for k, v in data.items()}
    entry = actions.do_save_intake_section(request.user, patient, key, to_save)
    view = _section_view(section, data, errors, entry, just_saved=True)
    if _is_htmx(request):
        if not errors:
            # Only the status line changes: swapping the whole form would move the cursor while typing.
            return render(request, "screening/partials/saved_status.html", {"s": view})
        response = render(request, "screening/partials/intake_section.html",
                          {"s": view, "patient": patient, "on_behalf": on_behalf})
        response = retarget(response, f"#section-{key}")
        response["HX-Reswap"] = "outerHTML"
        return response
    if errors:
        return _page(request, patient, on_behalf, status=400, override={key: view})
    messages.success(request, _("Saved: %(section)s.") % {"section": _(section.title)})
    return redirect(f"{intake_url(patient, on_behalf)}#section-{key}")


def _lists_response(request: HttpRequest, patient: Patient, on_behalf: bool, anchor: str, error: str = "",
                    typed: dict[str, str] | None = None) -> HttpResponse:
    if _is_htmx(request):
        return render(request, f"screening/partials/{anchor}.html", {
            "patient": patient, "on_behalf": on_behalf, "error": error, "typed": typed or {},
            **_lists_context(patient), "trial_responses": TrialResponse.choices,
        }, status=400 if error else 200)
    if error:
        messages.error(request, error)
    return redirect(f"{intake_url(patient, on_behalf)}#{anchor}")


@login_required
@require_POST
def add_medication(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient, on_behalf = get_patient_for_intake(request.user, patient_id)
    typed = {k: request.POST.get(k, "") for k in ("name", "dose")}
    try:
        actions.do_add_medication(request.user, patient, name=typed["name"], dose=typed["dose"],
                                  is_supplement=request.POST.get("is_supplement") == "on")
    except actions.ScreeningError as exc:
        return _lists_response(request, patient, on_behalf, "medications", str(exc), typed)
    return _lists_response(request, patient, on_behalf, "medications")


@login_required
@require_POST
def stop_medication(request: HttpRequest, patient_id: int, medication_id: int) -> HttpResponse:
    patient, on_behalf = get_patient_for_intake(request.user, patient_id)
    medication = get_object_or_404(Medication, pk=medication_id, patient=patient)
    actions.do_stop_medication(request.user, medication)
    return _lists_response(request, patient, on_behalf, "medications")


@login_required
@require_POST
def add_trial(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient, on_behalf = get_patient_for_intake(request.user, patient_id)
    typed = {k: request.POST.get(k, "") for k in ("drug", "dose", "weeks", "response")}
    try:
        weeks = int(typed["weeks"])
    except ValueError:
        return _lists_response(request, patient, on_behalf, "trials", _("Enter the number of weeks as a number."),
                               typed)
    try:
        actions.do_add_antidepressant_trial(request.user, patient, drug=typed["drug"], dose=typed["dose"],
                                            weeks=weeks, response=typed["response"])
    except actions.ScreeningError as exc:
        return _lists_response(request, patient, on_behalf, "trials", str(exc), typed)
    return _lists_response(request, patient, on_behalf, "trials")


@login_required
@require_POST
def withdraw_trial(request: HttpRequest, patient_id: int, trial_id: int) -> HttpResponse:
    patient, on_behalf = get_patient_for_intake(request.user, patient_id)
    trial = get_object_or_404(AntidepressantTrialRecord, pk=trial_id, patient=patient)
    actions.do_withdraw_antidepressant_trial(request.user, trial)
    return _lists_response(request, patient, on_behalf, "trials")


def _int_or_none(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw else None


def _vitals_problem(exc: ValueError) -> str:
    """A reading the checks refused, in the patient's words and language."""
    if not isinstance(exc, InputError):
        return _("Please enter whole numbers.")
    labels = {"blood_pressure.systolic": _("Top number"), "blood_pressure.diastolic": _("Bottom number"),
              "heart_rate": _("Pulse"), "spo2": _("Oxygen")}
    message = exc.message
    between = re.fullmatch(r"must be between (\d+) and (\d+) mmHg", message)
    if exc.field == "blood_pressure":
        return _("Enter both numbers of the blood pressure.")
    if between:
        message = _("must be between %(low)s and %(high)s") % {"low": between[1], "high": between[2]}
    elif message == "must be a whole number in mmHg":
        message = _("must be a whole number")
    elif message == "must be lower than the systolic pressure":
        message = _("must be lower than the top number")
    label = labels.get(exc.field)
    return f"{label}: {message}." if label else f"{message}."


@login_required
@require_POST
def add_vitals(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient, on_behalf = get_patient_for_intake(request.user, patient_id)
    typed = {k: request.POST.get(k, "") for k in ("systolic", "diastolic", "heart_rate", "spo2")}
    try:
        values = {k: _int_or_none(v) for k, v in typed.items()}
        if values["systolic"] is None or values["diastolic"] is None:
            raise InputError("blood_pressure", "enter both numbers of the blood pressure")
        actions.do_record_baseline_vitals(request.user, patient, systolic=values["systolic"],
                                          diastolic=values["diastolic"], heart_rate=values["heart_rate"],
                                          spo2=values["spo2"])
    except ValueError as exc:  # InputError is a ValueError; int() too
        return _lists_response(request, patient, on_behalf, "vitals", _vitals_problem(exc), typed)
    return _lists_response(request, patient, on_behalf, "vitals")


@login_required
@require_POST
def upload_document(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient, on_behalf = get_patient_for_intake(request.user, patient_id)
    upload = request.FILES.get("file")
    if upload is None:
        return _lists_response(request, patient, on_behalf, "documents", _("Choose a file to upload."))
    try:
        actions.do_upload_document(request.user, patient, upload, kind=request.POST.get("kind", DocumentKind.OTHER))
    except actions.ScreeningError as exc:
        return _lists_response(request, patient, on_behalf, "documents", str(exc))
    return _lists_response(request, patient, on_behalf, "documents")


@login_required
@require_POST
def submit(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient, on_behalf = get_patient_for_intake(request.user, patient_id)
    try:
        actions.do_submit_intake(request.user, patient)
    except actions.ScreeningError as exc:
        return _page(request, patient, on_behalf, status=400, submit_error=str(exc))
    messages.success(request, _("Thank you. Your health history is now with our care team.")
                     if not on_behalf else f"{patient}'s health history was sent for review.")
    return redirect(intake_url(patient, on_behalf))


@login_required
@require_http_methods(["GET", "POST"])
def measure(request: HttpRequest, patient_id: int, instrument: str) -> HttpResponse:
    """One baseline questionnaire on its own page (long lists are easier on a phone)."""
    patient, on_behalf = get_patient_for_intake(request.user, patient_id)
    if instrument not in MEASURE_INSTRUMENTS:
        return HttpResponse(_("Unknown questionnaire"), status=404)
    inst = INSTRUMENTS[instrument]
    answers: list[int | None] = []
    error = ""
    saved = None
    if request.method == "POST":
        for i in range(inst.item_count):
            raw = request.POST.get(f"item{i}", "")
            answers.append(int(raw) if raw.isdigit() else None)
        try:
            saved = actions.do_record_measure(request.user, patient, instrument, answers)
        except InputError as exc:
            index = int(exc.field[8:-1]) + 1 if exc.field.startswith("answers[") else None
            error = (_("Question %(number)s: %(problem)s.") % {"number": index, "problem": exc.message}
                     if index else exc.message)
    # The patient reads the instrument in their language (the validated Spanish where there is one);
    # scoring reads only the numbers, so it never changes with the language.
    text = wording(instrument, get_language() or "en")
    items = [{"n": i + 1, "text": item, "answer": answers[i] if i < len(answers) else None}
             for i, item in enumerate(text.items)]
    return render(request, "screening/measure.html", {
        "patient": patient, "on_behalf": on_behalf, "inst": inst, "text": text, "items": items, "error": error,
        "saved": saved, "base_url": intake_url(patient, on_behalf),
    }, status=400 if error else 200)
