"""Patient portal pages for messages and "How do you feel", and the shared attachment view.

Staff pages are in staff_views.py. Every read is audited; every write goes through actions.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from ketaclinic.audit.log import record_event
from ketaclinic.messaging import actions
from ketaclinic.messaging.access import (
    get_conversation_for_user,
    get_message_for_user,
    require_patient,
)
from ketaclinic.messaging.forms import ComposeForm, ReplyForm, SymptomForm
from ketaclinic.messaging.hours import office_hours_for
from ketaclinic.messaging.models import Conversation, ConversationStatus, SymptomReport, Topic
from ketaclinic.messaging.symptom_text import patient_summary, report_subject
from ketaclinic.patients.models import Patient
from ketaclinic.protocol.symptoms import Guidance


def office_context(patient_or_clinic: Any) -> dict[str, Any]:
    """What the patient sees before sending: office hours, reply time, and what to do if it cannot wait."""
    clinic = patient_or_clinic.clinic if isinstance(patient_or_clinic, Patient) else patient_or_clinic
    hours = office_hours_for(clinic)
    now = timezone.now()
    return {"office_hours": hours.describe(), "office_open": hours.is_open(now),
            "reply_by": hours.reply_by_phrase(now), "reply_within_hours": hours.reply_within_hours,
            "on_call_phone": clinic.on_call_phone, "clinic_phone": clinic.phone}


def _apply_error(form: Any, exc: actions.MessagingError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


def _display_subject(conversation: Conversation, zone: ZoneInfo) -> str:
    """A "How do you feel" report's subject in the patient's language; other subjects as written."""
    if conversation.topic == Topic.SYMPTOMS and conversation.subject.startswith("How I feel"):
        return report_subject(conversation.created_at, zone)
    return conversation.subject


@login_required
def my_messages(request: HttpRequest) -> HttpResponse:
    """The patient's conversations, newest first, with how many replies are unread."""
    patient = require_patient(request.user)
    conversations = list(Conversation.objects.filter(patient=patient)
                         .annotate(unread=Count("messages", filter=Q(messages__from_patient=False,
                                                                     messages__read_at=None)))
                         .order_by("-last_message_at")[:100])
    for c in conversations:
        c.display_subject = _display_subject(c, patient.clinic.zone)  # type: ignore[attr-defined]
    record_event(request.user, "MESSAGES_LISTED", patient=patient)
    return render(request, "messaging/my_messages.html", {
        "patient": patient, "clinic": patient.clinic, "conversations": conversations,
        **office_context(patient)})


@login_required
@require_http_methods(["GET", "POST"])
def compose(request: HttpRequest) -> HttpResponse:
    patient = require_patient(request.user)
    form = ComposeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            conversation = actions.do_start_conversation(
                request.user, patient, topic=data["topic"], subject=data["subject"],  # type: ignore[arg-type]
                body=data["body"], attachment=data.get("attachment"), client_token=data["client_token"])
        except actions.MessagingError as exc:
            _apply_error(form, exc)
        else:
            flash.success(request, gettext("Your message was sent. We will answer by %(when)s.")
                          % {"when": office_context(patient)["reply_by"]})
            return redirect("messaging:my_conversation", conversation.pk)
    return render(request, "messaging/compose.html", {
        "patient": patient, "clinic": patient.clinic, "form": form, **office_context(patient)})


@login_required
@require_http_methods(["GET", "POST"])
def my_conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    patient = require_patient(request.user)
    conversation = get_conversation_for_user(request.user, conversation_id)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_send_message(request.user, conversation, body=data["body"],  # type: ignore[arg-type]
                                    attachment=data.get("attachment"), client_token=data["client_token"])
        except actions.MessagingError as exc:
            _apply_error(form, exc)
        else:
            flash.success(request, gettext("Your message was sent."))
            return redirect("messaging:my_conversation", conversation.pk)
    actions.do_read_conversation(request.user, conversation)  # type: ignore[arg-type]
    report = SymptomReport.objects.filter(conversation=conversation).first()
    thread = list(conversation.messages.select_related("author").order_by("created_at", "id"))
    if report is not None:
        # The stored summary is English (staff read it); the patient reads their report in their language.
        summary = next((m for m in thread if m.from_patient), None)
        if summary is not None:
            summary.body = patient_summary(report.answers, report.note)
    return render(request, "messaging/my_conversation.html", {
        "patient": patient, "clinic": patient.clinic, "conversation": conversation, "form": form,
        "subject": _display_subject(conversation, patient.clinic.zone), "thread": thread,
        "report": report, "closed": conversation.status == ConversationStatus.CLOSED, **office_context(patient)})


@login_required
@require_http_methods(["GET", "POST"])
def report_symptoms(request: HttpRequest) -> HttpResponse:
    """'How do you feel': one row per symptom with how bad and when it started."""
    patient = require_patient(request.user)
    form = SymptomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = actions.do_report_symptoms(request.user, patient, answers=form.answers(),  # type: ignore[arg-type]
                                                note=form.cleaned_data["note"],
                                                client_token=form.cleaned_data["client_token"])
        except actions.MessagingError as exc:
            _apply_error(form, exc)
        else:
            return redirect("messaging:report_done", report.pk)
    last_visit = actions.last_infusion_before(patient, timezone.now())
    return render(request, "messaging/report_symptoms.html", {
        "patient": patient, "clinic": patient.clinic, "form": form, "last_visit": last_visit,
        **office_context(patient)})


@login_required
def report_done(request: HttpRequest, report_id: int) -> HttpResponse:
    """What to do now, right after sending: 988/911 first when self-harm was reported."""
    patient = require_patient(request.user)
    report = get_object_or_404(SymptomReport.objects.select_related("conversation"), pk=report_id, patient=patient)
    record_event(request.user, "SYMPTOM_REPORT_VIEWED", patient=patient, obj=report)
    urgent = report.level == "urgent"
    perceptual_same_day = any(r["symptom"] == "perceptual_changes" and r["level"] == "routine"
                              for r in report.reasons)
    return render(request, "messaging/report_done.html", {
        "patient": patient, "clinic": patient.clinic, "report": report, "urgent": urgent,
        "crisis": report.crisis, "perceptual_tomorrow": perceptual_same_day, "guidance": Guidance,
        **office_context(patient)})


@login_required
def attachment(request: HttpRequest, message_id: int) -> FileResponse:
    """A message's attachment, only for people who may read its conversation. Audited."""
    message = get_message_for_user(request.user, message_id)
    if not message.attachment:
        raise Http404
    record_event(request.user, "ATTACHMENT_OPENED", patient=message.patient, obj=message,
                 details={"conversation": message.conversation_id, "type": message.attachment_type})
    response = FileResponse(message.attachment.open("rb"), content_type=message.attachment_type,
                            as_attachment=message.attachment_type == "application/pdf" and "download" in request.GET,
                            filename=message.attachment_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

