"""Every read of a conversation goes through here. Not visible → 404, the same as missing.

Who sees what: the patient sees their own conversations. Staff with VIEW_PATIENTS at the
patient's clinic (front desk, nurses, providers, medical director) see that clinic's
conversations, except symptom reports, which hold clinical answers and need VIEW_CLINICAL
(nurses, providers, medical director). Admins (no patient records) and other clinics see none.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from ketaclinic.accounts.roles import Perm, staff_clinic_ids
from ketaclinic.messaging.models import Conversation, Message, SymptomReport, Topic
from ketaclinic.patients.access import own_patient_record
from ketaclinic.patients.models import Patient


def conversations_visible_to(user: Any) -> QuerySet[Conversation]:
    if not getattr(user, "is_authenticated", False):
        return Conversation.objects.none()
    any_ids = staff_clinic_ids(user, Perm.VIEW_PATIENTS)
    if any_ids:
        clinical_ids = staff_clinic_ids(user, Perm.VIEW_CLINICAL)
        return Conversation.objects.filter(
            Q(clinic_id__in=clinical_ids) | (Q(clinic_id__in=any_ids) & ~Q(topic=Topic.SYMPTOMS)))
    return Conversation.objects.filter(patient__user=user)


def get_conversation_for_user(user: Any, conversation_id: int) -> Conversation:
    """The conversation if `user` may read it, else Http404."""
    qs = conversations_visible_to(user).select_related("patient", "clinic", "assigned_to")
    return get_object_or_404(qs, pk=conversation_id)


def get_message_for_user(user: Any, message_id: int) -> Message:
    """One message (for its attachment) if `user` may read its conversation, else Http404."""
    visible = conversations_visible_to(user).values("id")
    return get_object_or_404(Message.objects.select_related("patient", "conversation"),
                             pk=message_id, conversation_id__in=visible)


def symptom_reports_visible_to(user: Any) -> QuerySet[SymptomReport]:
    return SymptomReport.objects.filter(conversation__in=conversations_visible_to(user).values("id"))


def is_staff_reader(user: Any) -> bool:
    return bool(staff_clinic_ids(user, Perm.VIEW_PATIENTS))


def require_patient(user: Any) -> Patient:
    """The signed-in patient's own record; staff and accounts without one get 404."""
    if staff_clinic_ids(user):
        raise Http404
    patient = own_patient_record(user)
    if patient is None:
        raise Http404
    return patient


def require_inbox_reader(user: Any) -> None:
    if not staff_clinic_ids(user, Perm.VIEW_PATIENTS):
        raise Http404
