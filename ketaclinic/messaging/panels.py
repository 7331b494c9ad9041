"""Panels the messaging stage adds to the staff home, the patient home and the patient's chart."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.template.loader import render_to_string

from ketaclinic.accounts.roles import Perm, has_perm
from ketaclinic.audit.log import record_event
from ketaclinic.messaging.access import conversations_visible_to
from ketaclinic.messaging.models import Conversation, Message, TaskPriority
from ketaclinic.patients.models import Patient
from ketaclinic.web.panels import register_panel


@register_panel("staff", order=8)
def staff_inbox_panel(request: HttpRequest, clinic: Any, **_: Any) -> str | None:
    """Unread messages and urgent symptom tasks waiting, with the urgent ones listed."""
    can_edit_hours = has_perm(request.user, clinic, Perm.EDIT_PROTOCOL) or has_perm(request.user, clinic,
                                                                                     Perm.MANAGE_STAFF)
    if not has_perm(request.user, clinic, Perm.VIEW_PATIENTS):
        # An admin sees no messages, but sets the office hours patients are shown.
        return render_to_string("messaging/partials/staff_panel.html", {"settings_only": True}, request=request) \
            if can_edit_hours else None
    visible = conversations_visible_to(request.user).filter(clinic=clinic)
    unread = Message.objects.filter(conversation__in=visible, from_patient=True, read_at=None).count()
    urgent = list(visible.filter(task_priority=TaskPriority.URGENT, task_done_at=None)
                  .select_related("patient").order_by("last_message_at")[:5])
    return render_to_string("messaging/partials/staff_panel.html",
                            {"unread": unread, "urgent": urgent, "can_edit_hours": can_edit_hours}, request=request)


@register_panel("patient", order=20)
def patient_messages_panel(request: HttpRequest, clinic: Any, *, patient: Patient, **_: Any) -> str | None:
    unread = Message.objects.filter(patient=patient, from_patient=False, read_at=None).count()
    return render_to_string("messaging/partials/patient_panel.html", {"unread": unread}, request=request)


@register_panel("chart", order=40)
def chart_messages_panel(request: HttpRequest, clinic: Any, *, patient: Patient, **_: Any) -> str | None:
    """The patient's conversations and symptom reports on the chart, newest first (audited)."""
    conversations = list(
        conversations_visible_to(request.user).filter(patient=patient)
        .select_related("symptom_report", "assigned_to")
        .annotate(unread=Count("messages", filter=Q(messages__from_patient=True, messages__read_at=None)),
                  message_count=Count("messages"))
        .order_by("-last_message_at")[:15])
    total = Conversation.objects.filter(patient=patient).count()
    if conversations:
        record_event(request.user, "MESSAGES_LISTED", patient=patient, details={"where": "chart"})
    return render_to_string("messaging/partials/chart_panel.html", {
        "patient": patient, "conversations": conversations, "total": total}, request=request)
