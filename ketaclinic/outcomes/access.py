"""Every read of an outcome record goes through here.

Clinical outcome records (scores, sleep diary, safety tasks, course reviews) are visible to
staff holding `view_clinical` at the patient's clinic and to the patient. Journal entries are
the patient's own: staff see only the entries the patient shared. Not visible → Http404, the
same as missing, so ids cannot be probed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from ketaclinic.accounts.roles import Perm, staff_clinic_ids
from ketaclinic.outcomes.models import (
    CustomQuestion,
    JournalEntry,
    QuestionnaireResponse,
    SafetyTask,
    SleepDiaryEntry,
)
from ketaclinic.patients.access import get_patient_for_user, own_patient_record
from ketaclinic.patients.models import Patient


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def responses_visible_to(user: Any) -> QuerySet[QuestionnaireResponse]:
    """Questionnaires: clinicians (view_clinical) of the clinic, or the patient's own."""
    if not _authenticated(user):
        return QuestionnaireResponse.objects.none()
    ids = staff_clinic_ids(user, Perm.VIEW_CLINICAL)
    if ids:
        return QuestionnaireResponse.objects.filter(clinic_id__in=ids)
    return QuestionnaireResponse.objects.filter(patient__user=user)


def get_response_for_user(user: Any, response_id: int, *, lock: bool = False) -> QuestionnaireResponse:
    """One questionnaire (joins patient and clinic) if visible, else Http404."""
    qs = responses_visible_to(user).select_related("patient", "clinic", "custom_question")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return get_object_or_404(qs, pk=response_id)


def safety_tasks_visible_to(user: Any) -> QuerySet[SafetyTask]:
    """Safety tasks: clinicians (view_clinical) of the clinic only; patients never see the task row."""
    if not _authenticated(user):
        return SafetyTask.objects.none()
    return SafetyTask.objects.filter(clinic_id__in=staff_clinic_ids(user, Perm.VIEW_CLINICAL))


def get_safety_task_for_user(user: Any, task_id: int, *, lock: bool = False) -> SafetyTask:
    """One safety task (joins patient, clinic and the response) if visible, else Http404."""
    qs = safety_tasks_visible_to(user).select_related("patient", "clinic", "response", "closed_by")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return get_object_or_404(qs, pk=task_id)


def journal_entries_visible_to(user: Any) -> QuerySet[JournalEntry]:
    """A patient sees all their own entries; clinicians only entries the patient shared."""
    if not _authenticated(user):
        return JournalEntry.objects.none()
    ids = staff_clinic_ids(user, Perm.VIEW_CLINICAL)
    if ids:
        return JournalEntry.objects.filter(clinic_id__in=ids, shared=True)
    return JournalEntry.objects.filter(patient__user=user)


def get_own_journal_entry(user: Any, entry_id: int) -> JournalEntry:
    """The patient's own entry (for sharing), else Http404. Staff never change journal entries."""
    if not _authenticated(user):
        raise Http404
    return get_object_or_404(JournalEntry.objects.filter(patient__user=user).select_related("patient"),
                             pk=entry_id)


def sleep_entries_visible_to(user: Any) -> QuerySet[SleepDiaryEntry]:
    """Sleep diary: clinicians (view_clinical) of the clinic, or the patient's own."""
    if not _authenticated(user):
        return SleepDiaryEntry.objects.none()
    ids = staff_clinic_ids(user, Perm.VIEW_CLINICAL)
    if ids:
        return SleepDiaryEntry.objects.filter(clinic_id__in=ids)
    return SleepDiaryEntry.objects.filter(patient__user=user)


def require_clinician(user: Any) -> None:
    """Staff pages of outcomes: non-staff get Http404 (as if missing); staff without `view_clinical`
    anywhere get PermissionDenied."""
    if not staff_clinic_ids(user):
        raise Http404
    if not staff_clinic_ids(user, Perm.VIEW_CLINICAL):
        raise PermissionDenied("Outcome records are part of the clinical chart.")


def get_patient_for_outcomes(user: Any, patient_id: int, *, lock: bool = False) -> Patient:
    """A patient whose outcome record a clinician (view_clinical) may read.

    Not staff (or the patient not visible) → Http404; staff without clinical access → PermissionDenied.
    """
    require_clinician(user)
    return get_patient_for_user(user, patient_id, perm=Perm.VIEW_CLINICAL, lock=lock)


def own_patient_or_404(user: Any) -> Patient:
    """The signed-in patient's own record for portal pages; staff and strangers get Http404."""
    if staff_clinic_ids(user):
        raise Http404
    patient = own_patient_record(user)
    if patient is None:
        raise Http404
    return patient


def custom_questions_for(user: Any, clinic_id: int) -> QuerySet[CustomQuestion]:
    """Active custom questions of a clinic the user belongs to (as staff or as its patient)."""
    if not _authenticated(user):
        return CustomQuestion.objects.none()
    return CustomQuestion.objects.filter(clinic_id=clinic_id, active=True)


def get_custom_question(clinic_id: int, question_id: int) -> CustomQuestion:
    """An active custom question of that clinic, else Http404."""
    return get_object_or_404(CustomQuestion.objects.select_related("clinic"), pk=question_id, clinic_id=clinic_id,
                             active=True)


def has_open_safety_task(patient: Patient) -> bool:
    """True while a same-day safety follow-up of this patient is open (for other stages: hold an
    infusion until a clinician has reviewed it). One indexed query; no user check, callers have one."""
    return SafetyTask.objects.filter(patient=patient, closed_at__isnull=True).exists()
