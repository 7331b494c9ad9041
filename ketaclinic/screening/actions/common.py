"""Helpers shared by the screening actions (not for other apps)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied

from ketaclinic.accounts.roles import Perm, has_perm
from ketaclinic.audit.log import record_event
from ketaclinic.patients.actions import do_set_patient_stage
from ketaclinic.patients.models import Patient, Stage
from ketaclinic.screening.models import CaseStatus, ScreeningCase


class ScreeningError(ValueError):
    """A screening write was refused; the message is shown to the user as is."""


def is_patient_self(acting_user: Any, patient: Patient) -> bool:
    return bool(getattr(acting_user, "is_authenticated", False)) and patient.user_id == acting_user.pk


def require_history_writer(acting_user: Any, patient: Patient) -> bool:
    """The patient themselves, or staff who may fill the history for them. Returns on_behalf."""
    if is_patient_self(acting_user, patient):
        return False
    clinic = patient.clinic
    if has_perm(acting_user, clinic, Perm.REGISTER_PATIENTS) or has_perm(acting_user, clinic, Perm.CHART):
        return True
    raise PermissionDenied("Only the patient or clinic staff may update this health history.")


def open_case(patient: Patient) -> ScreeningCase | None:
    return (ScreeningCase.objects.select_for_update().filter(patient=patient)
            .order_by("-created_at", "-id").first())


def ensure_case(acting_user: Any, patient: Patient, now: datetime) -> ScreeningCase:
    """The patient's newest case, creating one (status referred) if there is none."""
    case = open_case(patient)
    if case is None:
        case = ScreeningCase.objects.create(clinic=patient.clinic, patient=patient, status=CaseStatus.REFERRED,
                                            status_changed_at=now, created_at=now,
                                            created_by=acting_user if getattr(acting_user, "pk", None) else None)
        record_event(acting_user, "SCREENING_OPENED", patient=patient, obj=case, at=now)
    return case


def set_case_status(acting_user: Any, case: ScreeningCase, status: str, now: datetime, reason: str = "") -> None:
    if case.status == status:
        return
    old = case.status
    case.status = status
    case.status_changed_at = now
    case.save(update_fields=["status", "status_changed_at"])
    record_event(acting_user, "SCREENING_STATUS_CHANGED", patient=case.patient, obj=case, at=now,
                 details={"from": old, "to": status, "reason": reason})


def mark_intake_started(acting_user: Any, patient: Patient, now: datetime) -> None:
    """First intake save: the case moves to intake and the patient to the screening stage.

    A patient already past screening (approved, in treatment) is updating their history: no case opens.
    """
    if patient.stage not in (Stage.REFERRED, Stage.SCREENING):
        return
    case = ensure_case(acting_user, patient, now)
    if case.status == CaseStatus.REFERRED:
        set_case_status(acting_user, case, CaseStatus.INTAKE, now, "intake started")
    if patient.stage == Stage.REFERRED:
        do_set_patient_stage(acting_user, patient, Stage.SCREENING, reason="intake started", now=now)
