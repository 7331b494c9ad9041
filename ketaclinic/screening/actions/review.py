"""The provider's side: decisions (approve / decline / defer) and clearance requests."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, datetime

from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.courses.actions import do_create_course
from ketaclinic.courses.models import CourseStatus, TreatmentCourse
from ketaclinic.patients.actions import do_set_patient_stage
from ketaclinic.patients.models import Patient, Stage
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.indications import normalize_code
from ketaclinic.screening.actions.common import ScreeningError, ensure_case, set_case_status
from ketaclinic.screening.actions.intake import do_upload_document
from ketaclinic.screening.models import (
    CaseStatus,
    ClearanceRequest,
    ClearanceStatus,
    ContraindicationOverride,
    Decision,
    DocumentKind,
    EligibilityAssessment,
    FindingAcknowledgement,
    OverrideStatus,
    ScreeningDecision,
)

DECIDABLE = (CaseStatus.READY, CaseStatus.CLEARANCE, CaseStatus.DEFERRED, CaseStatus.INTAKE, CaseStatus.REFERRED)


@transaction.atomic
def do_decide_screening(acting_user: User, patient: Patient, *, decision: str, reason: str, patient_message: str = "",
                        assessment_version: int | None = None, indication_code: str = "",
                        earliest_on: date | None = None, acknowledge: Collection[int] = (),
                        now: datetime | None = None) -> ScreeningDecision:
    """A provider approves, declines or defers a screening, with a reason.

    Approve needs: a rules run that the provider saw (`assessment_version` is still the latest;
    otherwise the history changed under them), no contraindicated finding unless a co-signed
    ContraindicationOverride of that run exists, every hold and caution
    finding of that run acknowledged (one by one with do_acknowledge_finding, or ticked on the
    decision form: `acknowledge` holds their positions and each is recorded before the check),
    and no clearance still outstanding. Approval creates the treatment course
    (waiting for scheduling) and moves the patient to "approved"; decline moves them to "declined".
    Who: provider, medical director. Writes: ScreeningDecision, ScreeningCase, TreatmentCourse,
    Patient.stage, AuditEvent. Raises ScreeningError (already decided, missing reason, blocked).
    """
    require_perm(acting_user, patient.clinic, Perm.PRESCRIBE)
    now = now or timezone.now()
    if decision not in Decision.values:
        raise ScreeningError("Choose approve, decline or defer.")
    if not reason.strip():
        raise ScreeningError("Write the reason for your decision.")
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    case = ensure_case(acting_user, patient, now)
    if case.status not in DECIDABLE:
        raise ScreeningError(f"This screening is {case.get_status_display().lower()}; it cannot be decided now.")
    latest = EligibilityAssessment.objects.filter(patient=patient).order_by("-version").first()
    if assessment_version is not None and (latest is None or latest.version != assessment_version):
        raise ScreeningError("The health history changed while you were reviewing. Look at the new findings and "
                             "decide again.")
    course = None
    if decision == Decision.APPROVE:
        if latest is None:
            raise ScreeningError("Run the eligibility rules before approving.")
        contraindicated = [f for f in latest.findings if f["severity"] == "contraindicated"]
        overridden = ContraindicationOverride.objects.filter(assessment=latest, status=OverrideStatus.APPROVED).first()
        if contraindicated and overridden is None:
            raise ScreeningError("Approval is blocked by a contraindication: "
                                 + "; ".join(f["message"] for f in contraindicated)
                                 + ". To treat anyway, propose an override with your reason; a second prescriber "
                                   "must co-sign it.")
        for index in acknowledge:
            _acknowledge(acting_user, latest, index, "", now)
        done = set(FindingAcknowledgement.objects.filter(assessment=latest).values_list("finding_index", flat=True))
        waiting = [f for i, f in latest.findings_to_acknowledge() if i not in done]
        if waiting:
            raise ScreeningError("Acknowledge each hold and caution finding before approving. Not yet acknowledged: "
                                 + "; ".join(f["message"] for f in waiting))
        outstanding = ClearanceRequest.objects.filter(case=case).exclude(status=ClearanceStatus.ACCEPTED)
        if outstanding.exists():
            raise ScreeningError("A clearance request is still outstanding. Accept the reply first.")
        indications = latest.inputs.get("indications", [])
        try:
            code = normalize_code(indication_code) if indication_code.strip() else ""
            code = code or (indications[0] if indications else "")
        except InputError as exc:
            raise ScreeningError(f"Indication: {exc.message}.") from None
        if not code:
            raise ScreeningError("Choose the indication for the treatment course.")
        # A course already waiting for scheduling (entered before this decision) is linked, not duplicated.
        course = TreatmentCourse.objects.filter(patient=patient, status=CourseStatus.REQUESTED).first()
        if course is None:
            course = do_create_course(acting_user, patient, indication_code=code,
                                      earliest_on=earliest_on or now.astimezone(patient.clinic.zone).date(),
                                      notes=f"Approved at screening: {reason.strip()}"[:2000], now=now)
    row = ScreeningDecision.objects.create(case=case, patient=patient, decision=decision, reason=reason.strip(),
                                           patient_message=patient_message.strip(), assessment=latest, course=course,
                                           decided_at=now, decided_by=acting_user)
    new_status = {Decision.APPROVE: CaseStatus.APPROVED, Decision.DECLINE: CaseStatus.DECLINED,
                  Decision.DEFER: CaseStatus.DEFERRED}[Decision(decision)]
    set_case_status(acting_user, case, new_status, now, reason.strip())
    if decision == Decision.APPROVE:
        do_set_patient_stage(acting_user, patient, Stage.APPROVED, reason="screening approved", now=now)
    elif decision == Decision.DECLINE:
        do_set_patient_stage(acting_user, patient, Stage.DECLINED, reason="screening declined", now=now)
    elif patient.stage == Stage.REFERRED:
        do_set_patient_stage(acting_user, patient, Stage.SCREENING, reason="screening deferred", now=now)
    record_event(acting_user, "SCREENING_DECIDED", patient=patient, obj=row, at=now,
                 details={"decision": decision, "reason": row.reason, "assessment": latest.version if latest else None,
                          "course": course.pk if course else None,
                          "override": overridden.pk if decision == Decision.APPROVE and overridden else None,
                          "acknowledged": sorted(FindingAcknowledgement.objects.filter(assessment=latest)
                                                 .values_list("finding_index", flat=True)) if latest else []})
    return row


def _contraindicated(assessment: EligibilityAssessment) -> list[dict[str, object]]:
    return [f for f in assessment.findings if f["severity"] == "contraindicated"]


@transaction.atomic
def do_propose_contraindication_override(acting_user: User, patient: Patient, *, assessment_version: int,
                                         reason: str, now: datetime | None = None) -> ContraindicationOverride:
    """Propose to treat despite the contraindications of the latest rules run (needs a second signature).

    Who: provider, medical director. A second submit returns the waiting proposal. Raises
    ScreeningError (no reason, nothing contraindicated, the history changed, already co-signed).
    Writes: ContraindicationOverride, AuditEvent.
    """
    require_perm(acting_user, patient.clinic, Perm.PRESCRIBE)
    now = now or timezone.now()
    if len(reason.strip()) < 10:
        raise ScreeningError("Write why treatment is safe for this patient despite the contraindication.")
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    latest = EligibilityAssessment.objects.filter(patient=patient).order_by("-version").first()
    if latest is None or latest.version != assessment_version:
        raise ScreeningError("The health history changed while you were reviewing. Look at the new findings first.")
    findings = _contraindicated(latest)
    if not findings:
        raise ScreeningError("This rules run has no contraindication to override.")
    live = ContraindicationOverride.objects.filter(assessment=latest).exclude(status=OverrideStatus.REFUSED).first()
    if live is not None:
        if live.status == OverrideStatus.PENDING and live.proposed_by_id == acting_user.pk:
            return live  # a double submit
        raise ScreeningError("An override of this rules run already exists: " + live.get_status_display().lower()
                             + ".")
    row = ContraindicationOverride.objects.create(assessment=latest, patient=patient, findings=findings,
                                                  reason=reason.strip(), proposed_at=now, proposed_by=acting_user)
    record_event(acting_user, "CONTRAINDICATION_OVERRIDE_PROPOSED", patient=patient, obj=row, at=now,
                 details={"assessment": latest.version, "codes": [f["code"] for f in findings],
                          "reason": row.reason})
    return row


@transaction.atomic
def do_cosign_contraindication_override(acting_user: User, override: ContraindicationOverride, *, approve: bool,
                                        note: str = "", now: datetime | None = None) -> ContraindicationOverride:
    """The second signature: another prescriber co-signs or refuses a proposed override.

    Who: a provider or medical director other than the proposer. Refusing needs a note. Refused
    when the history changed since the proposal (a newer rules run). Writes: the override, AuditEvent.
    """
    override = ContraindicationOverride.objects.select_for_update().select_related("patient__clinic").get(
        pk=override.pk)
    patient = override.patient
    require_perm(acting_user, patient.clinic, Perm.PRESCRIBE)
    now = now or timezone.now()
    if override.proposed_by_id == acting_user.pk:
        raise ScreeningError("A second signature must come from another prescriber.")
    if override.status != OverrideStatus.PENDING:
        raise ScreeningError("This override is already " + override.get_status_display().lower() + ".")
    latest = EligibilityAssessment.objects.filter(patient=patient).order_by("-version").first()
    if latest is None or latest.pk != override.assessment_id:
        raise ScreeningError("The health history changed after this override was proposed. It needs a new proposal.")
    if not approve and not note.strip():
        raise ScreeningError("Write why you refuse the override.")
    override.status = OverrideStatus.APPROVED if approve else OverrideStatus.REFUSED
    override.cosigned_by, override.cosigned_at, override.cosign_note = acting_user, now, note.strip()[:500]
    override.save(update_fields=["status", "cosigned_by", "cosigned_at", "cosign_note"])
    record_event(acting_user, "CONTRAINDICATION_OVERRIDE_COSIGNED" if approve else "CONTRAINDICATION_OVERRIDE_REFUSED",
                 patient=patient, obj=override, at=now,
                 details={"assessment": latest.version, "proposed_by": override.proposed_by_id,
                          "note": override.cosign_note})
    return override


def _acknowledge(acting_user: User, assessment: EligibilityAssessment, index: int, note: str,
                 now: datetime) -> FindingAcknowledgement:
    findings = assessment.findings_to_acknowledge()
    finding = dict(findings).get(index)
    if finding is None:
        raise ScreeningError("That finding is not a hold or caution finding of this rules run.")
    existing = FindingAcknowledgement.objects.filter(assessment=assessment, finding_index=index).first()
    if existing is not None:  # a second click: the first acknowledgement stands
        return existing
    row = FindingAcknowledgement.objects.create(
        assessment=assessment, patient=assessment.patient, finding_index=index, finding_code=finding["code"],
        severity=finding["severity"], message=finding["message"], note=note.strip()[:500],
        acknowledged_at=now, acknowledged_by=acting_user)
    record_event(acting_user, "FINDING_ACKNOWLEDGED", patient=assessment.patient, obj=row, at=now,
                 details={"assessment": assessment.version, "index": index, "code": row.finding_code,
                          "severity": row.severity, "note": row.note})
    return row


@transaction.atomic
def do_acknowledge_finding(acting_user: User, patient: Patient, *, assessment_version: int, finding_index: int,
                           note: str = "", now: datetime | None = None) -> FindingAcknowledgement:
    """A provider acknowledges one hold or caution finding of the latest rules run (who, when, note).

    Who: provider, medical director. A finding of an older run is refused (the history changed:
    look at the new run). A second click returns the first acknowledgement. Writes:
    FindingAcknowledgement, AuditEvent.
    """
    require_perm(acting_user, patient.clinic, Perm.PRESCRIBE)
    now = now or timezone.now()
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    latest = EligibilityAssessment.objects.filter(patient=patient).order_by("-version").first()
    if latest is None or latest.version != assessment_version:
        raise ScreeningError("The health history changed while you were reviewing. Look at the new findings.")
    return _acknowledge(acting_user, latest, finding_index, note, now)


def _send_clearance_email(clearance_id: int) -> None:
    """After commit: email the letter, then record when it went (a failed send leaves emailed_at empty)."""
    clearance = ClearanceRequest.objects.select_related("patient__clinic").get(pk=clearance_id)
    clinic = clearance.patient.clinic
    send_mail(f"Medical clearance request from {clinic.name}", clearance.letter, None, [clearance.recipient_email])
    ClearanceRequest.objects.filter(pk=clearance_id, emailed_at__isnull=True).update(emailed_at=timezone.now())


def _clearance_sender(clearance_id: int) -> Callable[[], None]:
    # A named function, not functools.partial: Django logs a failed robust callback by __qualname__.
    def send_clearance_letter() -> None:
        _send_clearance_email(clearance_id)

    return send_clearance_letter


@transaction.atomic
def do_request_clearance(acting_user: User, patient: Patient, *, recipient_kind: str, recipient_name: str,
                         question: str, recipient_email: str = "", recipient_fax: str = "",
                         now: datetime | None = None) -> ClearanceRequest:
    """Ask a primary care doctor or cardiologist for clearance; the case waits for the reply.

    Who: provider, medical director. Writes: ClearanceRequest (with the generated letter),
    ScreeningCase status, AuditEvent. After commit: the letter by email when an address is given.
    """
    require_perm(acting_user, patient.clinic, Perm.PRESCRIBE)
    now = now or timezone.now()
    if recipient_kind not in ClearanceRequest.Recipient.values:
        raise ScreeningError("Choose who the request goes to.")
    if not recipient_name.strip():
        raise ScreeningError("Enter the clinician's name.")
    if not question.strip():
        raise ScreeningError("Write what you need the clinician to confirm.")
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    case = ensure_case(acting_user, patient, now)
    if case.status in (CaseStatus.APPROVED, CaseStatus.DECLINED):
        raise ScreeningError("This screening is already decided.")
    duplicate = ClearanceRequest.objects.filter(case=case, recipient_name__iexact=recipient_name.strip(),
                                                question=question.strip(), status=ClearanceStatus.REQUESTED).first()
    if duplicate is not None:
        return duplicate
    letter = render_to_string("screening/clearance_letter.txt", {
        "clinic": patient.clinic, "patient": patient, "recipient_name": recipient_name.strip(),
        "recipient_kind": ClearanceRequest.Recipient(recipient_kind).label, "question": question.strip(),
        "provider": acting_user, "today": now.astimezone(patient.clinic.zone).date(),
    })
    clearance = ClearanceRequest.objects.create(
        case=case, patient=patient, recipient_kind=recipient_kind, recipient_name=recipient_name.strip(),
        recipient_email=recipient_email.strip(), recipient_fax=recipient_fax.strip(), question=question.strip(),
        letter=letter, requested_at=now, requested_by=acting_user)
    set_case_status(acting_user, case, CaseStatus.CLEARANCE, now, "clearance requested")
    record_event(acting_user, "CLEARANCE_REQUESTED", patient=patient, obj=clearance, at=now,
                 details={"to": clearance.recipient_name, "kind": recipient_kind,
                          "email": bool(clearance.recipient_email)})
    if clearance.recipient_email:
        # robust: a mail server failure must not turn a saved request into an error page; the letter
        # stays "not emailed yet" and can be sent again from the review page.
        transaction.on_commit(_clearance_sender(clearance.pk), robust=True)
    return clearance


@transaction.atomic
def do_resend_clearance_email(acting_user: User, clearance: ClearanceRequest, *,
                              now: datetime | None = None) -> ClearanceRequest:
    """Email the letter again (after a failed send, or a new address). Who: provider, medical director."""
    require_perm(acting_user, clearance.patient.clinic, Perm.PRESCRIBE)
    if not clearance.recipient_email:
        raise ScreeningError("This request has no email address; print the letter instead.")
    if clearance.status != ClearanceStatus.REQUESTED:
        raise ScreeningError("A reply is already recorded; there is nothing to send.")
    record_event(acting_user, "CLEARANCE_EMAIL_RESENT", patient=clearance.patient, obj=clearance,
                 at=now or timezone.now(), details={"to": clearance.recipient_email})
    ClearanceRequest.objects.filter(pk=clearance.pk).update(emailed_at=None)
    transaction.on_commit(_clearance_sender(clearance.pk), robust=True)
    return clearance


@transaction.atomic
def do_record_clearance_reply(acting_user: User, clearance: ClearanceRequest, *, upload: UploadedFile | None,
                              note: str = "", now: datetime | None = None) -> ClearanceRequest:
    """Attach the clinician's reply (a file and/or a note). Who: nurse, provider, medical director."""
    require_perm(acting_user, clearance.patient.clinic, Perm.CHART)
    now = now or timezone.now()
    if upload is None and not note.strip():
        raise ScreeningError("Attach the reply or write what the clinician said.")
    clearance = ClearanceRequest.objects.select_for_update().select_related("patient__clinic").get(pk=clearance.pk)
    if clearance.status != ClearanceStatus.REQUESTED:
        raise ScreeningError("A reply is already recorded for this request.")
    if upload is not None:
        clearance.reply_document = do_upload_document(acting_user, clearance.patient, upload,
                                                      kind=DocumentKind.CLEARANCE_REPLY, now=now)
    clearance.status = ClearanceStatus.RECEIVED
    clearance.received_at, clearance.received_by = now, acting_user
    clearance.note = note.strip()
    clearance.save(update_fields=["reply_document", "status", "received_at", "received_by", "note"])
    record_event(acting_user, "CLEARANCE_REPLY_RECORDED", patient=clearance.patient, obj=clearance, at=now,
                 details={"document": clearance.reply_document_id, "note": clearance.note})
    return clearance


@transaction.atomic
def do_accept_clearance(acting_user: User, clearance: ClearanceRequest, *, note: str = "",
                        now: datetime | None = None) -> ClearanceRequest:
    """The provider accepts the reply; when no other request is open the case is ready for review again."""
    require_perm(acting_user, clearance.patient.clinic, Perm.PRESCRIBE)
    now = now or timezone.now()
    clearance = ClearanceRequest.objects.select_for_update().select_related("case", "patient__clinic").get(
        pk=clearance.pk)
    if clearance.status != ClearanceStatus.RECEIVED:
        raise ScreeningError("Record the reply before accepting it." if clearance.status == ClearanceStatus.REQUESTED
                             else "This clearance was already accepted.")
    clearance.status = ClearanceStatus.ACCEPTED
    clearance.accepted_at, clearance.accepted_by = now, acting_user
    if note.strip():
        clearance.note = f"{clearance.note}\n{note.strip()}".strip()
    clearance.save(update_fields=["status", "accepted_at", "accepted_by", "note"])
    record_event(acting_user, "CLEARANCE_ACCEPTED", patient=clearance.patient, obj=clearance, at=now,
                 details={"note": note.strip()})
    case = clearance.case
    still_open = ClearanceRequest.objects.filter(case=case).exclude(status=ClearanceStatus.ACCEPTED).exists()
    if case.status == CaseStatus.CLEARANCE and not still_open:
        set_case_status(acting_user, case, CaseStatus.READY, now, "clearance accepted")
    return clearance
