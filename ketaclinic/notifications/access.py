"""Reads of outbound messages. Staff see their clinics' messages; patients see none here."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from ketaclinic.accounts.roles import Perm, staff_clinic_ids
from ketaclinic.notifications.models import OutboundMessage


def messages_visible_to(user: Any) -> QuerySet[OutboundMessage]:
    """Outbound messages of the clinics where `user` may see patients (none for patients)."""
    return OutboundMessage.objects.filter(clinic_id__in=staff_clinic_ids(user, Perm.VIEW_PATIENTS))


def get_message_for_user(user: Any, message_id: int) -> OutboundMessage:
    """One message of the user's clinics, else Http404 (same as missing)."""
    return get_object_or_404(messages_visible_to(user).select_related("patient__clinic", "clinic"), pk=message_id)
