"""The provider's screening review (one screen), decisions, clearance requests, review flags, documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ketaclinic.accounts.roles import Perm, has_perm
from ketaclinic.audit.log import record_event
from ketaclinic.patients.actions import record_chart_view
from ketaclinic.patients.models import Patient
from ketaclinic.screening import actions
from ketaclinic.screening.access import (
    current_case,
    current_intake,
    get_clearance_for_user,
    get_document_for_user,
    get_patient_for_review,
)
from ketaclinic.screening.actions.review import DECIDABLE
from ketaclinic.screening.forms import ClearanceForm, ClearanceReplyForm, DecisionForm
from ketaclinic.screening.intake import CONDITION_LABELS, SECTIONS
from ketaclinic.screening.models import (
    AntidepressantTrialRecord,
    BaselineVitals,
    ClearanceRequest,
    ContraindicationOverride,
    EligibilityAssessment,
    FindingAcknowledgement,
    Medication,
    OverrideStatus,
    Referral,
    ReviewFlag,
    ScreeningDecision,
    ScreeningDocument,
    ScreeningMeasure,
)
from ketaclinic.screening.views.staff import require_staff


def _display(field: Any, value: Any) -> str:
    if value in ("", None, []):
        return ""
    if field.kind == "multi":
        labels = dict(field.choices)
        return ", ".join(labels.get(v, v) for v in value)
    if field.kind == "choice":
        return str(dict(field.choices).get(value, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def _history(patient: Patient) -> list[dict[str, Any]]:
    current = current_intake(patient)
    rows = []
    for section in SECTIONS:
        entry = current.get(section.key)
        data = entry.data if entry else {}
        answers = [(f.label, _display(f, data.get(f.name))) for f in section.fields]
        rows.append({"section": section, "entry": entry, "answers": [a for a in answers if a[1]]})
    return rows


def _medications(patient: Patient, assessment: EligibilityAssessment | None) -> list[dict[str, Any]]:
    found: dict[str, list[dict[str, Any]]] = {}
    unrecognised: set[str] = set()
    if assessment is not None:
        for item in assessment.interactions.get("interactions", []):
            found.setdefault(item["medication"], []).append(item)
        unrecognised = set(assessment.interactions.get("unrecognised", []))
    rows = []
    for med in Medication.objects.filter(patient=patient).order_by("stopped_at", "added_at", "id"):
        rows.append({"med": med, "interactions": found.get(med.rule_text, []),
                     "unrecognised": med.rule_text in unrecognised})
    return rows


def _findings(latest: EligibilityAssessment | None) -> list[dict[str, Any]]:
    """The latest run's findings, each with its position and, for hold/caution, its acknowledgement."""
    if latest is None:
        return []
    acknowledged = {a.finding_index: a for a in
                    FindingAcknowledgement.objects.filter(assessment=latest).select_related("acknowledged_by")}
    needs = {i for i, _ in latest.findings_to_acknowledge()}
    return [{"index": i, "finding": f, "needs_acknowledgement": i in needs, "acknowledgement": acknowledged.get(i)}
            for i, f in enumerate(latest.findings)]


def _to_acknowledge(findings: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(row["index"], f'{row["finding"]["severity"]}: {row["finding"]["message"]}') for row in findings
            if row["needs_acknowledgement"] and row["acknowledgement"] is None]


def _review_context(request: HttpRequest, patient: Patient, **forms: Any) -> dict[str, Any]:
    case = current_case(patient)
    assessments = list(EligibilityAssessment.objects.filter(patient=patient).select_related("run_by")
                       .order_by("-version")[:20])
    latest = assessments[0] if assessments else None
    can_decide = has_perm(request.user, patient.clinic, Perm.PRESCRIBE)
    findings = _findings(latest)
    has_contraindication = any(row["finding"]["severity"] == "contraindicated" for row in findings)
    overrides = (list(ContraindicationOverride.objects.filter(assessment=latest)
                      .select_related("proposed_by", "cosigned_by")) if latest and has_contraindication else [])
    decision_form = forms.get("decision_form") or DecisionForm(initial={
        "indication_code": (latest.inputs.get("indications") or [""])[0] if latest else "",
    }, to_acknowledge=_to_acknowledge(findings))
    # The run shown on this page: a decision posted from it is refused if a newer run appears meanwhile.
    seen_version = latest.version if latest else ""
    return {
        "patient": patient, "clinic": patient.clinic, "case": case, "latest": latest, "assessments": assessments,
        "findings": findings,
        "has_contraindication": has_contraindication, "overrides": overrides,
        "can_propose_override": (can_decide and has_contraindication and case is not None
                                 and case.status in DECIDABLE
                                 and all(o.status == OverrideStatus.REFUSED for o in overrides)),
        "referrals": Referral.objects.filter(patient=patient).select_related("created_by"),
        "decisions": ScreeningDecision.objects.filter(patient=patient).select_related("decided_by", "course"),
        "history": _history(patient), "condition_labels": CONDITION_LABELS,
        "medications": _medications(patient, latest),
        "trials": AntidepressantTrialRecord.objects.filter(patient=patient),
        "measures": ScreeningMeasure.objects.filter(patient=patient),
        "vitals": BaselineVitals.objects.filter(patient=patient).select_related("entered_by"),
        "documents": ScreeningDocument.objects.filter(patient=patient).select_related("uploaded_by"),
        "clearances": ClearanceRequest.objects.filter(patient=patient).select_related("requested_by",
                                                                                      "reply_document"),
        "flags": ReviewFlag.objects.filter(patient=patient).select_related("visit", "resolved_by"),
        "can_decide": can_decide and case is not None and case.status in DECIDABLE,
        "can_prescribe": can_decide, "can_chart": has_perm(request.user, patient.clinic, Perm.CHART),
        "decision_form": decision_form, "seen_version": seen_version,
        "clearance_form": forms.get("clearance_form") or ClearanceForm(),
        "reply_form": ClearanceReplyForm(),
    }


@login_required
@require_GET
def review(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Everything the provider needs on one screen."""
    require_staff(request)
    patient = get_patient_for_review(request.user, patient_id)
    record_chart_view(request.user, patient, "screening review")  # type: ignore[arg-type]
    return render(request, "screening/review.html", _review_context(request, patient))


@login_required
@require_POST
def run_rules(request: HttpRequest, patient_id: int) -> HttpResponse:
    require_staff(request)
    patient = get_patient_for_review(request.user, patient_id)
    actions.do_run_eligibility(request.user, patient, reason="run again by staff")
    messages.success(request, "The eligibility rules ran again on the current history.")
    return redirect(reverse("screening:review", args=[patient.pk]) + "#findings")


@login_required
@require_POST
def decide(request: HttpRequest, patient_id: int) -> HttpResponse:
    require_staff(request)
    patient = get_patient_for_review(request.user, patient_id)
    raw_version = request.POST.get("assessment_version", "")
    seen_version = int(raw_version) if raw_version.isdigit() else None
    shown = (EligibilityAssessment.objects.filter(patient=patient, version=seen_version).first()
             if seen_version is not None else None)
    form = DecisionForm(request.POST, to_acknowledge=_to_acknowledge(_findings(shown)))
    if form.is_valid():
        d = form.cleaned_data
        try:
            row = actions.do_decide_screening(
                request.user, patient, decision=d["decision"], reason=d["reason"],  # type: ignore[arg-type]
                patient_message=d["patient_message"], assessment_version=seen_version,
                indication_code=d["indication_code"], earliest_on=d["earliest_on"],
                acknowledge=d.get("acknowledge") or ())
        except actions.ScreeningError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Decision recorded: {row.get_decision_display()}."
                             + (" The treatment course is waiting for scheduling." if row.course_id else ""))
            return redirect(reverse("screening:review", args=[patient.pk]))
    return render(request, "screening/review.html", _review_context(request, patient, decision_form=form),
                  status=400)


@login_required
@require_POST
def request_clearance(request: HttpRequest, patient_id: int) -> HttpResponse:
    require_staff(request)
    patient = get_patient_for_review(request.user, patient_id)
    form = ClearanceForm(request.POST)
    if form.is_valid():
        try:
            clearance = actions.do_request_clearance(request.user, patient, **form.cleaned_data)  # type: ignore[arg-type]
        except actions.ScreeningError as exc:
            form.add_error(None, str(exc))
        else:
            sent = " and emailed." if clearance.recipient_email else ". Print the letter to fax or mail it."
            messages.success(request, "Clearance request saved" + sent)
            return redirect(reverse("screening:clearance_letter", args=[clearance.pk]))
    return render(request, "screening/review.html", _review_context(request, patient, clearance_form=form),
                  status=400)


@login_required
@require_GET
def clearance_letter(request: HttpRequest, clearance_id: int) -> HttpResponse:
    """The printable letter."""
    require_staff(request)
    clearance = get_clearance_for_user(request.user, clearance_id)
    record_chart_view(request.user, clearance.patient, "clearance letter")  # type: ignore[arg-type]
    return render(request, "screening/clearance_letter.html", {"clearance": clearance, "patient": clearance.patient})


def _write_and_return(request: HttpRequest, patient_id: int, anchor: str, write: Callable[[], object],
                      success: str | Callable[[], str]) -> HttpResponse:
    """Run one write from the review page, say how it went, and go back to its part of the page."""
    try:
        write()
    except actions.ScreeningError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success() if callable(success) else success)
    return redirect(reverse("screening:review", args=[patient_id]) + f"#{anchor}")


@login_required
@require_POST
def clearance_reply(request: HttpRequest, clearance_id: int) -> HttpResponse:
    require_staff(request)
    clearance = get_clearance_for_user(request.user, clearance_id)
    form = ClearanceReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "The file could not be read. Try again.")
        return redirect(reverse("screening:review", args=[clearance.patient_id]) + "#clearance")
    return _write_and_return(request, clearance.patient_id, "clearance", lambda: actions.do_record_clearance_reply(
        request.user, clearance, upload=form.cleaned_data["file"],  # type: ignore[arg-type]
        note=form.cleaned_data["note"]), "Reply recorded.")


@login_required
@require_POST
def clearance_accept(request: HttpRequest, clearance_id: int) -> HttpResponse:
    require_staff(request)
    clearance = get_clearance_for_user(request.user, clearance_id)
    return _write_and_return(request, clearance.patient_id, "clearance", lambda: actions.do_accept_clearance(
        request.user, clearance, note=request.POST.get("note", "")),  # type: ignore[arg-type]
        "Clearance accepted.")


@login_required
@require_POST
def clearance_resend(request: HttpRequest, clearance_id: int) -> HttpResponse:
    require_staff(request)
    clearance = get_clearance_for_user(request.user, clearance_id)

    def resend() -> None:
        actions.do_resend_clearance_email(request.user, clearance)  # type: ignore[arg-type]
        # The email goes after commit: an empty emailed_at means the send failed (the request stays saved).
        clearance.refresh_from_db()
        if not clearance.emailed_at:
            raise actions.ScreeningError("The email could not be sent. Check the address, or print and fax the "
                                         "letter.")

    return _write_and_return(request, clearance.patient_id, "clearance", resend,
                             lambda: f"Letter emailed to {clearance.recipient_email}.")


@login_required
@require_POST
def resolve_flag(request: HttpRequest, flag_id: int) -> HttpResponse:
    require_staff(request)
    flag = get_object_or_404(ReviewFlag.objects.select_related("clinic", "patient"), pk=flag_id)
    get_patient_for_review(request.user, flag.patient_id)  # 404 outside the clinic, 403 without clinical role
    return _write_and_return(request, flag.patient_id, "flags", lambda: actions.do_resolve_review_flag(
        request.user, flag, note=request.POST.get("note", "")),  # type: ignore[arg-type]
        "Flag resolved.")


@login_required
@require_POST
def acknowledge_finding(request: HttpRequest, patient_id: int) -> HttpResponse:
    """One hold or caution finding acknowledged by the provider (who and when are recorded)."""
    require_staff(request)
    patient = get_patient_for_review(request.user, patient_id)
    version, index = request.POST.get("assessment_version", ""), request.POST.get("finding_index", "")
    if not (version.isdigit() and index.isdigit()):
        messages.error(request, "That finding could not be found. Reload the page and try again.")
        return redirect(reverse("screening:review", args=[patient.pk]) + "#findings")
    if request.POST.get("confirm") != "on":
        messages.error(request, "Tick \"I have looked at this finding\" to acknowledge it.")
        return redirect(reverse("screening:review", args=[patient.pk]) + f"#finding-{index}")
    return _write_and_return(request, patient.pk, "findings", lambda: actions.do_acknowledge_finding(
        request.user, patient, assessment_version=int(version), finding_index=int(index),  # type: ignore[arg-type]
        note=request.POST.get("note", "")), "Finding acknowledged.")


@login_required
@require_POST
def propose_override(request: HttpRequest, patient_id: int) -> HttpResponse:
    """A provider proposes to treat despite a contraindication; another prescriber must co-sign."""
    require_staff(request)
    patient = get_patient_for_review(request.user, patient_id)
    version = request.POST.get("assessment_version", "")
    if not version.isdigit():
        messages.error(request, "That rules run could not be found. Reload the page and try again.")
        return redirect(reverse("screening:review", args=[patient.pk]) + "#findings")
    return _write_and_return(request, patient.pk, "override", lambda: actions.do_propose_contraindication_override(
        request.user, patient, assessment_version=int(version),  # type: ignore[arg-type]
        reason=request.POST.get("reason", "")), "Override proposed. Another prescriber must co-sign it.")


@login_required
@require_POST
def cosign_override(request: HttpRequest, override_id: int) -> HttpResponse:
    """The second signature on a proposed contraindication override (co-sign or refuse)."""
    require_staff(request)
    override = get_object_or_404(ContraindicationOverride.objects.select_related("patient"), pk=override_id)
    get_patient_for_review(request.user, override.patient_id)  # 404 outside the clinic, 403 without clinical role
    approve = request.POST.get("approve") == "yes"
    return _write_and_return(request, override.patient_id, "override",
                             lambda: actions.do_cosign_contraindication_override(
                                 request.user, override, approve=approve,  # type: ignore[arg-type]
                                 note=request.POST.get("note", "")),
                             "Override co-signed." if approve else "Override refused.")


@login_required
@require_GET
def document(request: HttpRequest, document_id: int) -> FileResponse:
    """Download a document: its patient, or clinical staff of the clinic. Every opening is audited."""
    doc = get_document_for_user(request.user, document_id)
    record_event(request.user, "DOCUMENT_VIEWED", patient=doc.patient, obj=doc,
                 details={"name": doc.original_name})
    response = FileResponse(doc.file.open("rb"), as_attachment=True, filename=doc.original_name,
                            content_type=doc.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
