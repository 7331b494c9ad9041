"""Reads of screening records. Not visible → 404 (same as missing); wrong role → 403."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from ketaclinic.accounts.roles import Perm, has_perm, staff_clinic_ids
from ketaclinic.patients.access import get_patient_for_user, own_patient_record
from ketaclinic.patients.models import Patient
from ketaclinic.screening.models import (
    OPEN_CASE_STATUSES,
    ClearanceRequest,
    EligibilityAssessment,
    IntakeEntry,
    ReviewFlag,
    ScreeningCase,
    ScreeningDocument,
)


def open_review_flags(patient: Patient) -> QuerySet[ReviewFlag]:
    """The patient's unresolved review flags, oldest first (the readiness gate blocks while any exist).

    No permission check: callers have already fetched `patient` through an access function.
    """
    return ReviewFlag.objects.filter(patient=patient, resolved_at__isnull=True).order_by("created_at", "id")


def current_case(patient: Patient) -> ScreeningCase | None:
    """The patient's newest screening case (open or decided), or None."""
    return ScreeningCase.objects.filter(patient=patient).order_by("-created_at", "-id").first()


def latest_assessment(patient: Patient) -> EligibilityAssessment | None:
    return EligibilityAssessment.objects.filter(patient=patient).order_by("-version").first()


def current_intake(patient: Patient) -> dict[str, IntakeEntry]:
    """The newest saved version of each intake section (one query)."""
    current: dict[str, IntakeEntry] = {}
    for entry in IntakeEntry.objects.filter(patient=patient).order_by("section", "-saved_at", "-id"):
        current.setdefault(entry.section, entry)
    return current


def is_own_patient(user: Any, patient: Patient) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and patient.user_id == user.pk


def get_patient_for_intake(user: Any, patient_id: int | None) -> tuple[Patient, bool]:
    """The patient whose intake `user` may fill, and whether it is staff on their behalf.

    Patient: only their own (patient_id None). Staff: front desk, nurses and providers of the
    patient's clinic. Others: 404.
    """
    if patient_id is None:
        patient = own_patient_record(user)
        if patient is None:
            raise Http404
        return patient, False
    patient = get_patient_for_user(user, patient_id)
    if is_own_patient(user, patient):
        return patient, False
    if not (has_perm(user, patient.clinic, Perm.REGISTER_PATIENTS) or has_perm(user, patient.clinic, Perm.CHART)):
        raise PermissionDenied("Your role cannot fill in a patient's health history.")
    return patient, True


def get_patient_for_review(user: Any, patient_id: int) -> Patient:
    """A patient's screening for clinical staff (nurse, provider, medical director), else 404/403."""
    patient = get_patient_for_user(user, patient_id)
    if not has_perm(user, patient.clinic, Perm.VIEW_CLINICAL):
        raise PermissionDenied("Your role cannot see the clinical screening.")
    return patient


def get_document_for_user(user: Any, document_id: int) -> ScreeningDocument:
    """A document for its patient or clinical staff of that clinic; 404 for anyone else."""
    doc = get_object_or_404(ScreeningDocument.objects.select_related("patient", "patient__clinic"), pk=document_id)
    if is_own_patient(user, doc.patient):
        return doc
    if doc.patient.clinic_id in staff_clinic_ids(user, Perm.VIEW_CLINICAL):
        return doc
    if doc.patient.clinic_id in staff_clinic_ids(user, Perm.VIEW_PATIENTS):
        raise PermissionDenied("Your role cannot open clinical documents.")
    raise Http404


def get_clearance_for_user(user: Any, clearance_id: int) -> ClearanceRequest:
    """A clearance request for clinical staff of the patient's clinic; 404 otherwise."""
    clearance = get_object_or_404(ClearanceRequest.objects.select_related("patient", "patient__clinic", "case"),
                                  pk=clearance_id)
    if clearance.patient.clinic_id in staff_clinic_ids(user, Perm.VIEW_CLINICAL):
        return clearance
    if clearance.patient.clinic_id in staff_clinic_ids(user, Perm.VIEW_PATIENTS):
        raise PermissionDenied("Your role cannot see clearance requests.")
    raise Http404


def screening_cases_visible_to(user: Any, clinic_id: int) -> QuerySet[ScreeningCase]:
    """Staff with VIEW_PATIENTS at `clinic_id`: that clinic's screening cases (open ones and recent decisions)."""
    if not has_perm(user, clinic_id, Perm.VIEW_PATIENTS):
        return ScreeningCase.objects.none()
    return ScreeningCase.objects.filter(clinic_id=clinic_id)


def waiting_for_review_count(clinic_id: int) -> int:
    return ScreeningCase.objects.filter(clinic_id=clinic_id, status__in=("ready",)).count()


__all__ = ["OPEN_CASE_STATUSES", "open_review_flags"]
