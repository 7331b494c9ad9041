"""Intake writes: sections saved as the patient goes, medications, trials, baseline measures, vitals,
documents, and sending the intake for review. The patient or staff on their behalf may call them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, has_perm
from ketaclinic.audit.log import record_event
from ketaclinic.patients.models import Patient, Stage
from ketaclinic.protocol.eligibility import BloodPressureReading
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.scoring import score_instrument
from ketaclinic.screening.actions.common import (
    ScreeningError,
    ensure_case,
    mark_intake_started,
    require_history_writer,
    set_case_status,
)
from ketaclinic.screening.actions.eligibility import (
    flag_findings,
    is_after_approval,
    raise_review_flags,
    store_assessment,
)
from ketaclinic.screening.intake import REQUIRED_SECTIONS, SECTION_BY_KEY, section_is_filled
from ketaclinic.screening.models import (
    AntidepressantTrialRecord,
    BaselineVitals,
    CaseStatus,
    DocumentKind,
    EligibilityAssessment,
    IntakeEntry,
    Medication,
    ScreeningCase,
    ScreeningDocument,
    ScreeningMeasure,
    TrialResponse,
)
from ketaclinic.screening.rules import ITEM9_CODE, collect, stored_inputs

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
ALLOWED_DOCUMENT_TYPES = {
    ".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
    ".txt": "text/plain",
}
MEASURE_INSTRUMENTS = ("phq9", "gad7", "pcl5", "pain_nrs")
# Free-text answers that may describe a new illness, surgery, reaction or drug use.
FREE_TEXT_CLINICAL = {
    "history": ("other_conditions", "surgeries"),
    "allergies": ("details",),
    "reactions": ("details",),
    "substances": ("other",),
}


def _user(acting_user: Any) -> User | None:
    return acting_user if isinstance(acting_user, User) else None


def _rerun_if_submitted(acting_user: Any, patient: Patient, what: str, now: datetime) -> EligibilityAssessment | None:
    """A change after the intake was sent re-runs the rules (only when what the rules read changed)."""
    case = ScreeningCase.objects.filter(patient=patient).order_by("-created_at", "-id").first()
    still_filling = case is None or case.status in (CaseStatus.REFERRED, CaseStatus.INTAKE)
    if patient.stage in (Stage.REFERRED, Stage.SCREENING) and still_filling:
        return None  # the rules run when the intake is sent
    latest = EligibilityAssessment.objects.filter(patient=patient).order_by("-version").first()
    if latest is None:
        return None  # history entered for the first time after approval: a clinician runs the rules
    if latest.inputs == stored_inputs(*collect(patient, now)):
        return None
    assessment = store_assessment(acting_user, patient, reason=f"health history updated: {what}", now=now)
    raise_review_flags(acting_user, patient, assessment, latest, now, None)
    return assessment


def _locked(patient: Patient) -> Patient:
    return Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)


@transaction.atomic
def do_save_intake_section(acting_user: Any, patient: Patient, section: str, data: dict[str, Any], *,
                           now: datetime | None = None) -> IntakeEntry:
    """Save one intake section as a new version (earlier versions are kept).

    Who: the patient, or staff on their behalf (recorded). Data must already be cleaned by
    intake.clean_section. Saving identical data again writes nothing (autosave double fire).
    Writes: IntakeEntry, AuditEvent; re-runs the rules when the intake was already sent.
    """
    now = now or timezone.now()
    on_behalf = require_history_writer(acting_user, patient)
    if section not in SECTION_BY_KEY:
        raise ScreeningError(f"Unknown intake section {section!r}.")
    patient = _locked(patient)
    current = IntakeEntry.objects.filter(patient=patient, section=section).order_by("-saved_at", "-id").first()
    if current is not None and current.data == data:
        return current
    entry = IntakeEntry.objects.create(patient=patient, section=section, data=data, saved_at=now,
                                       saved_by=_user(acting_user), on_behalf=on_behalf)
    assessed = EligibilityAssessment.objects.filter(patient=patient).exists()  # first entries are the baseline
    if assessed and is_after_approval(patient):
        _flag_new_free_text(acting_user, patient, section, current.data if current else {}, data, now)
    record_event(acting_user, "INTAKE_SECTION_SAVED", patient=patient, obj=entry, at=now,
                 details={"section": section, "on_behalf": on_behalf})
    mark_intake_started(acting_user, patient, now)
    _rerun_if_submitted(acting_user, patient, section, now)
    return entry


def _flag_new_free_text(acting_user: Any, patient: Patient, section: str, before: dict[str, Any],
                        after: dict[str, Any], now: datetime) -> None:
    """After approval, new words in a clinical free-text answer (a new illness, surgery, reaction…) go to
    a provider: the rules cannot read them, a person must."""
    for name in FREE_TEXT_CLINICAL.get(section, ()):
        text = str(after.get(name) or "").strip()
        if text and text != str(before.get(name) or "").strip():
            label = next(f.label for f in SECTION_BY_KEY[section].fields if f.name == name)
            flag_findings(acting_user, patient, [{
                "code": f"history_update_{name}" if section == "history" else f"history_update_{section}",
                "severity": "hold",
                "message": f"Health history updated after approval — {label}: \"{text[:300]}\". "
                           "Review before the next infusion.",
                "source": "ketaclinic screening: free text the rules cannot read (C)"}], now)


@transaction.atomic
def do_add_medication(acting_user: Any, patient: Patient, *, name: str, dose: str = "", is_supplement: bool = False,
                      now: datetime | None = None) -> Medication:
    """Add a current medicine or supplement. Same name and dose already listed → that row (no duplicate)."""
    now = now or timezone.now()
    on_behalf = require_history_writer(acting_user, patient)
    name, dose = " ".join(name.split()), " ".join(dose.split())
    if not name:
        raise ScreeningError(_("Enter the name of the medicine."))
    if len(name) > 200 or len(dose) > 100:
        raise ScreeningError(_("That is too long. Please shorten the name or the dose."))
    patient = _locked(patient)
    existing = Medication.objects.filter(patient=patient, name__iexact=name, dose__iexact=dose,
                                         stopped_at__isnull=True).first()
    if existing is not None:
        return existing
    med = Medication.objects.create(patient=patient, name=name, dose=dose, is_supplement=is_supplement, added_at=now,
                                    added_by=_user(acting_user), on_behalf=on_behalf)
    record_event(acting_user, "MEDICATION_ADDED", patient=patient, obj=med, at=now,
                 details={"name": name, "dose": dose, "on_behalf": on_behalf})
    mark_intake_started(acting_user, patient, now)
    _rerun_if_submitted(acting_user, patient, "medications", now)
    return med


@transaction.atomic
def do_stop_medication(acting_user: Any, medication: Medication, *, now: datetime | None = None) -> Medication:
    """Mark a medicine as no longer taken (the row is kept)."""
    now = now or timezone.now()
    require_history_writer(acting_user, medication.patient)
    medication = Medication.objects.select_for_update().get(pk=medication.pk)
    if medication.stopped_at is not None:
        return medication
    medication.stopped_at = now
    medication.stopped_by = _user(acting_user)
    medication.save(update_fields=["stopped_at", "stopped_by"])
    record_event(acting_user, "MEDICATION_STOPPED", patient=medication.patient, obj=medication, at=now,
                 details={"name": medication.name})
    _rerun_if_submitted(acting_user, medication.patient, "medications", now)
    return medication


@transaction.atomic
def do_add_antidepressant_trial(acting_user: Any, patient: Patient, *, drug: str, weeks: int, response: str,
                                dose: str = "", now: datetime | None = None) -> AntidepressantTrialRecord:
    """Record one prior antidepressant trial (drug, dose, weeks, how it worked)."""
    now = now or timezone.now()
    on_behalf = require_history_writer(acting_user, patient)
    drug, dose = " ".join(drug.split()), " ".join(dose.split())
    if not drug:
        raise ScreeningError(_("Enter the name of the medicine."))
    if response not in TrialResponse.values:
        raise ScreeningError(_("Choose how well the medicine worked."))
    if not 0 <= weeks <= 520:
        raise ScreeningError(_("Enter the number of weeks, between 0 and 520."))
    patient = _locked(patient)
    dup = AntidepressantTrialRecord.objects.filter(patient=patient, drug__iexact=drug, weeks=weeks, response=response,
                                                   dose__iexact=dose, withdrawn_at__isnull=True).first()
    if dup is not None:
        return dup
    trial = AntidepressantTrialRecord.objects.create(patient=patient, drug=drug[:120], dose=dose[:60], weeks=weeks,
                                                     response=response, added_at=now, added_by=_user(acting_user),
                                                     on_behalf=on_behalf)
    record_event(acting_user, "ANTIDEPRESSANT_TRIAL_ADDED", patient=patient, obj=trial, at=now,
                 details={"drug": drug, "weeks": weeks, "response": response, "on_behalf": on_behalf})
    mark_intake_started(acting_user, patient, now)
    _rerun_if_submitted(acting_user, patient, "antidepressant trials", now)
    return trial


@transaction.atomic
def do_withdraw_antidepressant_trial(acting_user: Any, trial: AntidepressantTrialRecord, *,
                                     now: datetime | None = None) -> AntidepressantTrialRecord:
    """Mark a trial as entered by mistake (kept for history, no longer counted)."""
    now = now or timezone.now()
    require_history_writer(acting_user, trial.patient)
    trial = AntidepressantTrialRecord.objects.select_for_update().get(pk=trial.pk)
    if trial.withdrawn_at is None:
        trial.withdrawn_at = now
        trial.save(update_fields=["withdrawn_at"])
        record_event(acting_user, "ANTIDEPRESSANT_TRIAL_WITHDRAWN", patient=trial.patient, obj=trial, at=now)
        _rerun_if_submitted(acting_user, trial.patient, "antidepressant trials", now)
    return trial


@transaction.atomic
def do_record_measure(acting_user: Any, patient: Patient, instrument: str, answers: list[int | None], *,
                      now: datetime | None = None) -> ScreeningMeasure:
    """Store a baseline score (PHQ-9, GAD-7, PCL-5 or pain 0-10), scored by protocol.scoring.

    Raises InputError naming the bad answer. Every item must be answered for a baseline.
    """
    now = now or timezone.now()
    on_behalf = require_history_writer(acting_user, patient)
    if instrument not in MEASURE_INSTRUMENTS:
        raise InputError("instrument", f"must be one of {', '.join(MEASURE_INSTRUMENTS)}")
    result = score_instrument(instrument, answers, patient.clinic.protocol())
    if not result.complete:
        raise InputError(f"answers[{result.missing_items[0] - 1}]", _("please answer every question"))
    total, severity, flags = result.total, result.severity_label or "", list(result.flags)
    measure = ScreeningMeasure.objects.create(patient=patient, instrument=instrument, answers=list(answers),
                                              total=total, severity=severity, flags=flags, taken_at=now,
                                              entered_by=_user(acting_user), on_behalf=on_behalf)
    record_event(acting_user, "BASELINE_MEASURE_RECORDED", patient=patient, obj=measure, at=now,
                 details={"instrument": instrument, "total": total, "flags": flags, "on_behalf": on_behalf})
    if "suicidal_ideation" in flags:
        # §11: a positive item 9 needs a clinician the same day (and before any infusion), whatever the stage.
        flag_findings(acting_user, patient, [{
            "code": ITEM9_CODE, "severity": "hold",
            "message": f"PHQ-9 item 9 answered {answers[8]} (thoughts of death or self-harm): same-day clinician "
                       "review; record the outcome when resolving this flag.",
            "source": "§11 suicide-risk safety (C)"}], now)
    mark_intake_started(acting_user, patient, now)
    _rerun_if_submitted(acting_user, patient, instrument, now)
    return measure


@transaction.atomic
def do_record_baseline_vitals(acting_user: Any, patient: Patient, *, systolic: int, diastolic: int,
                              heart_rate: int | None = None, spo2: int | None = None,
                              now: datetime | None = None) -> BaselineVitals:
    """Record resting baseline vitals: a home reading (patient) or a clinic reading (nurse/provider).

    Raises InputError naming the out-of-range value.
    """
    now = now or timezone.now()
    on_behalf = require_history_writer(acting_user, patient)
    BloodPressureReading(systolic=systolic, diastolic=diastolic)  # range and order checks
    if heart_rate is not None and not 20 <= heart_rate <= 250:
        raise InputError("heart_rate", _("must be between 20 and 250 beats a minute"))
    if spo2 is not None and not 50 <= spo2 <= 100:
        raise InputError("spo2", _("must be between 50 and 100 percent"))
    clinical = on_behalf and has_perm(acting_user, patient.clinic, Perm.CHART)
    patient = _locked(patient)
    vitals = BaselineVitals.objects.create(
        patient=patient, systolic=systolic, diastolic=diastolic, heart_rate=heart_rate, spo2=spo2,
        source=BaselineVitals.Source.CLINIC if clinical else BaselineVitals.Source.HOME, taken_at=now,
        entered_by=_user(acting_user))
    record_event(acting_user, "BASELINE_VITALS_RECORDED", patient=patient, obj=vitals, at=now,
                 details={"bp": f"{systolic}/{diastolic}", "hr": heart_rate, "spo2": spo2, "source": vitals.source})
    mark_intake_started(acting_user, patient, now)
    _rerun_if_submitted(acting_user, patient, "blood pressure", now)
    return vitals


@transaction.atomic
def do_upload_document(acting_user: Any, patient: Patient, upload: UploadedFile, *, kind: str = DocumentKind.OTHER,
                       now: datetime | None = None) -> ScreeningDocument:
    """Attach a file (PDF, JPEG, PNG or text, at most 10 MB) to the patient's screening.

    Who: the patient, or staff of the clinic. Writes: ScreeningDocument, AuditEvent.
    """
    now = now or timezone.now()
    require_history_writer(acting_user, patient)
    name = (upload.name or "document").rsplit("/", 1)[-1][:200]
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if ext not in ALLOWED_DOCUMENT_TYPES:
        raise ScreeningError(_("Please upload a PDF, JPEG, PNG or text file."))
    if upload.size is None or upload.size > MAX_DOCUMENT_BYTES:
        raise ScreeningError(_("That file is larger than 10 MB. Please send a smaller file."))
    if upload.size == 0:
        raise ScreeningError(_("That file is empty."))
    if kind not in DocumentKind.values:
        raise ScreeningError(_("Choose what kind of document this is."))
    doc = ScreeningDocument(patient=patient, kind=kind, original_name=name, content_type=ALLOWED_DOCUMENT_TYPES[ext],
                            size=upload.size, uploaded_at=now, uploaded_by=_user(acting_user))
    doc.file.save(name, upload, save=False)
    doc.save()
    record_event(acting_user, "DOCUMENT_UPLOADED", patient=patient, obj=doc, at=now,
                 details={"name": name, "kind": kind, "size": upload.size})
    return doc


def missing_sections(patient: Patient) -> list[str]:
    """Titles of the required sections that are still empty."""
    from ketaclinic.screening.access import current_intake

    current = current_intake(patient)
    return [_(SECTION_BY_KEY[key].title) for key in REQUIRED_SECTIONS
            if not section_is_filled(current[key].data if key in current else None)]


@transaction.atomic
def do_submit_intake(acting_user: Any, patient: Patient, *, now: datetime | None = None) -> EligibilityAssessment:
    """Send the intake for provider review: runs the rules and puts the case in the review queue.

    Raises ScreeningError naming the empty required sections, or when it was already sent
    (a double submit changes nothing).
    """
    now = now or timezone.now()
    require_history_writer(acting_user, patient)
    patient = _locked(patient)
    missing = missing_sections(patient)
    if missing:
        raise ScreeningError(_("Please fill in these parts first: %(parts)s.") % {"parts": ", ".join(missing)})
    case = ensure_case(acting_user, patient, now)
    if case.status not in (CaseStatus.REFERRED, CaseStatus.INTAKE, CaseStatus.DEFERRED):
        raise ScreeningError(_("Your health history was already sent. You can still update it."))
    mark_intake_started(acting_user, patient, now)
    case.refresh_from_db()
    assessment = store_assessment(acting_user, patient, reason="intake sent for review", now=now)
    case.submitted_at = now
    case.save(update_fields=["submitted_at"])
    set_case_status(acting_user, case, CaseStatus.READY, now, "intake sent for review")
    record_event(acting_user, "INTAKE_SUBMITTED", patient=patient, obj=case, at=now,
                 details={"assessment": assessment.version, "status": assessment.status})
    return assessment
