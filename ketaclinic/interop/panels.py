"""Home-screen panels: monitor messages waiting for review (clinical staff), integrations (admins)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

from ketaclinic.accounts.roles import Perm, has_perm
from ketaclinic.interop.models import ApiToken, InboxStatus, MonitorMessage
from ketaclinic.web.panels import register_panel


@register_panel("staff", order=16)
def monitor_inbox_panel(request: HttpRequest, clinic: Any, **_: Any) -> str | None:
    """Shown only when a bedside monitor sent something that could not be filed."""
    if not has_perm(request.user, clinic, Perm.VIEW_CLINICAL):
        return None
    waiting = (MonitorMessage.objects.filter(clinic=clinic, reviewed_at=None)
               .exclude(status=InboxStatus.ACCEPTED).count())
    if not waiting:
        return None
    return render_to_string("interop/panels/monitor_inbox.html", {"waiting": waiting}, request=request)


@register_panel("staff", order=90)
def integrations_panel(request: HttpRequest, clinic: Any, **_: Any) -> str | None:
    if not has_perm(request.user, clinic, Perm.MANAGE_STAFF):
        return None
    active = ApiToken.objects.filter(clinic=clinic, revoked_at=None).count()
    return render_to_string("interop/panels/integrations.html", {"active": active}, request=request)
