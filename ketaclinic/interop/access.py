"""Reads of interop records: API tokens (admins) and the monitor inbox (clinical staff)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from ketaclinic.accounts.roles import Perm, staff_clinic_ids
from ketaclinic.interop.models import ApiToken, MonitorMessage


def api_tokens_visible_to(user: Any) -> QuerySet[ApiToken]:
    """Tokens of the clinics where `user` manages staff (admins); nobody else sees any."""
    return ApiToken.objects.filter(clinic_id__in=staff_clinic_ids(user, Perm.MANAGE_STAFF))


def get_api_token_for_user(user: Any, token_id: int) -> ApiToken:
    """A token of one of the user's clinics that they administer, else Http404."""
    _check_id(token_id)
    return get_object_or_404(api_tokens_visible_to(user).select_related("clinic"), pk=token_id)


def monitor_messages_visible_to(user: Any) -> QuerySet[MonitorMessage]:
    """Monitor messages of the clinics where `user` may read the clinical chart."""
    return MonitorMessage.objects.filter(clinic_id__in=staff_clinic_ids(user, Perm.VIEW_CLINICAL))


def get_monitor_message_for_user(user: Any, message_id: int) -> MonitorMessage:
    """One monitor message if `user` may read the chart at its clinic, else Http404."""
    _check_id(message_id)
    return get_object_or_404(monitor_messages_visible_to(user).select_related("clinic"), pk=message_id)


def _check_id(value: int) -> None:
    """An id past the database's 64-bit integer is simply not found (instead of an overflow error)."""
    if not 0 < value <= 2**63 - 1:
        raise Http404
