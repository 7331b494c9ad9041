"""Staff pages: the shared clinic inbox, a conversation with reply/assign/status/triage, settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import STAFF_ROLES, Perm, has_perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.messaging import actions
from ketaclinic.messaging.access import conversations_visible_to, get_conversation_for_user, require_inbox_reader
from ketaclinic.messaging.forms import LinkVisitForm, SettingsForm, StaffComposeForm, StaffReplyForm, TriageForm
from ketaclinic.messaging.hours import office_hours_for, parse_weekdays
from ketaclinic.messaging.models import (
    ClinicMessagingSettings,
    Conversation,
    ConversationStatus,
    Message,
    SymptomReport,
    TaskPriority,
    Topic,
)
from ketaclinic.messaging.symptom_text import ONSET_LABELS, SELF_HARM_LABELS, SEVERITY_LABELS, SYMPTOM_LABELS
from ketaclinic.patients.access import get_patient_for_user
from ketaclinic.protocol.symptoms import Onset, Severity, Symptom
from ketaclinic.schedule.models import Visit
from ketaclinic.web.clinic import current_clinic

PAGE_SIZE = 50
STATUS_FILTERS = {"active": [ConversationStatus.OPEN, ConversationStatus.WAITING],
                  "open": [ConversationStatus.OPEN], "waiting": [ConversationStatus.WAITING],
                  "closed": [ConversationStatus.CLOSED], "all": list(ConversationStatus)}


def inbox_queryset(user: Any, clinic: Any, *, status: str = "active", mine: bool = False,
                   unassigned: bool = False, query: str = "") -> Any:
    """The clinic's conversations the user may read: urgent untriaged tasks first, then newest."""
    qs = conversations_visible_to(user).filter(clinic=clinic, status__in=STATUS_FILTERS.get(status, []))
    if mine:
        qs = qs.filter(assigned_to=user)
    if unassigned:
        qs = qs.filter(assigned_to=None)
    if query:
        # Messages are searchable by staff: subject, patient name, or any message's words.
        in_messages = Message.objects.filter(conversation=OuterRef("pk"), body__icontains=query)
        qs = qs.filter(Q(subject__icontains=query) | Q(patient__first_name__icontains=query)
                       | Q(patient__last_name__icontains=query) | Exists(in_messages))
    return (qs.select_related("patient", "assigned_to")
            .annotate(unread=Count("messages", filter=Q(messages__from_patient=True, messages__read_at=None)),
                      task_rank=Case(
                          When(task_priority=TaskPriority.URGENT, task_done_at=None, then=Value(0)),
                          When(task_priority=TaskPriority.ROUTINE, task_done_at=None, then=Value(1)),
                          default=Value(2), output_field=IntegerField()))
            .order_by("task_rank", "-last_message_at", "-id"))


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The shared clinic inbox with unread counts; filters by status, assignment and words."""
    require_inbox_reader(request.user)
    clinic = current_clinic(request)
    require_perm(request.user, clinic, Perm.VIEW_PATIENTS)
    status = request.GET.get("status", "active")
    status = status if status in STATUS_FILTERS else "active"
    mine, unassigned = request.GET.get("mine") == "1", request.GET.get("unassigned") == "1"
    query = request.GET.get("q", "").strip()[:100]
    qs = inbox_queryset(request.user, clinic, status=status, mine=mine, unassigned=unassigned, query=query)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    visible = conversations_visible_to(request.user).filter(clinic=clinic)
    totals = visible.aggregate(
        unread=Count("messages", filter=Q(messages__from_patient=True, messages__read_at=None)),
        urgent=Count("id", filter=Q(task_priority=TaskPriority.URGENT, task_done_at=None), distinct=True))
    record_event(request.user, "INBOX_VIEWED", clinic=clinic,
                 details={"status": status, "q": query, "rows": len(page.object_list)})
    return render(request, "messaging/inbox.html", {
        "clinic": clinic, "page": page, "status": status, "mine": mine, "unassigned": unassigned, "q": query,
        "status_filters": [("active", "Open and waiting"), ("open", "Open"), ("waiting", "Waiting on patient"),
                           ("closed", "Closed"), ("all", "All")],
        "totals": totals, "can_edit_settings": _can_edit_settings(request.user, clinic),
    })


def _can_edit_settings(user: Any, clinic: Any) -> bool:
    return has_perm(user, clinic, Perm.EDIT_PROTOCOL) or has_perm(user, clinic, Perm.MANAGE_STAFF)


def _assignees(conversation: Conversation) -> list[User]:
    needed = Perm.VIEW_CLINICAL if conversation.topic == Topic.SYMPTOMS else Perm.VIEW_PATIENTS
    users = (User.objects.filter(memberships__clinic_id=conversation.clinic_id, memberships__active=True,
                                 memberships__role__in=[r.value for r in STAFF_ROLES], is_active=True)
             .distinct().order_by("full_name"))
    return [u for u in users if has_perm(u, conversation.clinic_id, needed)]


def _report_rows(report: SymptomReport) -> list[dict[str, Any]]:
    rows = []
    for answer in report.answers:
        severity = Severity(answer["severity"])
        if severity == Severity.NONE:
            continue
        symptom = Symptom(answer["symptom"])
        labels = SELF_HARM_LABELS if symptom is Symptom.SELF_HARM else SEVERITY_LABELS
        rows.append({"symptom": SYMPTOM_LABELS[symptom], "severity": labels[severity],
                     "onset": ONSET_LABELS[Onset(answer["onset"])] if answer.get("onset") else "",
                     "severe": severity == Severity.SEVERE or symptom is Symptom.SELF_HARM})
    return rows


class _VisitChoice:
    def __init__(self, visit: Visit, zone: Any) -> None:
        self.pk = visit.pk
        self.label = f"Visit {visit.number}, {timezone.localtime(visit.starts_at, zone):%a %b %d %H:%M}"


def _conversation_context(request: HttpRequest, conversation: Conversation, **forms: Any) -> dict[str, Any]:
    clinic = conversation.clinic
    report = (SymptomReport.objects.filter(conversation=conversation)
              .select_related("followed_visit").prefetch_related("triages__decided_by", "visit_links__visit",
                                                                   "visit_links__linked_by").first())
    can_chart = has_perm(request.user, clinic, Perm.CHART)
    visits = []
    if report is not None and can_chart:
        visits = [_VisitChoice(v, clinic.zone) for v in
                  Visit.objects.filter(patient_id=conversation.patient_id, starts_at__lte=report.created_at)
                  .order_by("-starts_at")[:10]]
    return {
        "clinic": clinic, "conversation": conversation, "patient": conversation.patient,
        "thread": conversation.messages.select_related("author").order_by("created_at", "id"),
        "report": report, "report_rows": _report_rows(report) if report else [],
        "triages": list(report.triages.all()) if report else [],
        "links": list(report.visit_links.all()) if report else [],
        "can_chart": can_chart, "assignees": _assignees(conversation),
        "statuses": ConversationStatus.choices,
        "reply_form": forms.get("reply_form") or StaffReplyForm(),
        "triage_form": forms.get("triage_form") or TriageForm(),
        "link_form": forms.get("link_form") or LinkVisitForm(
            visits=visits, initial={"visit": report.followed_visit_id if report else None}),
    }


@login_required
@require_http_methods(["GET", "POST"])
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """One conversation: the thread, the symptom report and its triage, and the reply box."""
    require_inbox_reader(request.user)
    conversation = get_conversation_for_user(request.user, conversation_id)
    reply_form = StaffReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and reply_form.is_valid():
        data = reply_form.cleaned_data
        try:
            actions.do_send_message(request.user, conversation, body=data["body"],  # type: ignore[arg-type]
                                    attachment=data.get("attachment"), client_token=data["client_token"],
                                    then_status=data["then_status"])
        except actions.MessagingError as exc:
            reply_form.add_error(exc.field if exc.field in reply_form.fields else None, str(exc))
        else:
            flash.success(request, "Reply sent. The patient gets an email or text that a message is waiting "
                                   "(without its words).")
            return redirect("messaging:conversation", conversation.pk)
    actions.do_read_conversation(request.user, conversation)  # type: ignore[arg-type]
    return render(request, "messaging/conversation.html",
                  _conversation_context(request, conversation, reply_form=reply_form))


@login_required
@require_POST
def assign(request: HttpRequest, conversation_id: int) -> HttpResponse:
    require_inbox_reader(request.user)
    conversation = get_conversation_for_user(request.user, conversation_id)
    raw = request.POST.get("assignee", "")
    assignee: User | None = None
    if raw == "me":
        assignee = request.user  # type: ignore[assignment]
    elif raw.isdigit():
        assignee = get_object_or_404(User, pk=int(raw))
    try:
        actions.do_assign_conversation(request.user, conversation, assignee)  # type: ignore[arg-type]
    except actions.MessagingError as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, f"Assigned to {assignee.display_name}." if assignee else "Back in the shared inbox.")
    return redirect("messaging:conversation", conversation.pk)


@login_required
@require_POST
def set_status(request: HttpRequest, conversation_id: int) -> HttpResponse:
    require_inbox_reader(request.user)
    conversation = get_conversation_for_user(request.user, conversation_id)
    try:
        actions.do_set_conversation_status(request.user, conversation, request.POST.get("status", ""))  # type: ignore[arg-type]
    except actions.MessagingError as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, f"Status: {conversation.get_status_display()}.")
    return redirect("messaging:conversation", conversation.pk)


@login_required
@require_http_methods(["POST"])
def triage(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """A clinician records the triage decision; the form keeps what was typed on a mistake."""
    require_inbox_reader(request.user)
    conversation = get_conversation_for_user(request.user, conversation_id)
    report = get_object_or_404(SymptomReport, conversation=conversation)
    require_perm(request.user, conversation.clinic, Perm.CHART)
    form = TriageForm(request.POST)
    if form.is_valid():
        try:
            actions.do_triage_symptom_report(request.user, report, **form.cleaned_data)  # type: ignore[arg-type]
        except actions.MessagingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            flash.success(request, "Triage recorded.")
            return redirect("messaging:conversation", conversation.pk)
    return render(request, "messaging/conversation.html",
                  _conversation_context(request, conversation, triage_form=form), status=400)


@login_required
@require_POST
def link_visit(request: HttpRequest, conversation_id: int) -> HttpResponse:
    require_inbox_reader(request.user)
    conversation = get_conversation_for_user(request.user, conversation_id)
    report = get_object_or_404(SymptomReport, conversation=conversation)
    require_perm(request.user, conversation.clinic, Perm.CHART)
    raw = request.POST.get("visit", "")
    visit = get_object_or_404(Visit, pk=int(raw), patient_id=report.patient_id) if raw.isdigit() else None
    try:
        actions.do_link_report_to_visit(request.user, report, visit,  # type: ignore[arg-type]
                                        note=request.POST.get("note", ""))
    except actions.MessagingError as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, f"Linked to visit {visit.number}." if visit else "Marked as not related to an infusion.")
    return redirect("messaging:conversation", conversation.pk)


@login_required
@require_http_methods(["GET", "POST"])
def staff_compose(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Staff write first to a patient (for example, to follow up a call)."""
    require_inbox_reader(request.user)
    patient = get_patient_for_user(request.user, patient_id)
    form = StaffComposeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            conversation = actions.do_start_conversation(
                request.user, patient, topic=data["topic"], subject=data["subject"], body=data["body"],  # type: ignore[arg-type]
                attachment=data.get("attachment"), client_token=data["client_token"])
        except actions.MessagingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            flash.success(request, "Message sent. The patient gets an email or text that a message is waiting.")
            return redirect("messaging:conversation", conversation.pk)
    return render(request, "messaging/staff_compose.html", {"form": form, "patient": patient,
                                                            "clinic": patient.clinic})


@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    """Office hours and reply time shown to patients. The medical director or the admin edits."""
    clinic = current_clinic(request)
    if not _can_edit_settings(request.user, clinic):
        require_inbox_reader(request.user)  # staff without the role: 403 below; others 404
        require_perm(request.user, clinic, Perm.EDIT_PROTOCOL)
    row = ClinicMessagingSettings.objects.filter(clinic=clinic).first()
    hours = office_hours_for(clinic)
    form = SettingsForm(request.POST or None, initial={
        "weekdays": sorted(parse_weekdays(row.office_weekdays)) if row else sorted(hours.weekdays),
        "opens_at": hours.opens_at, "closes_at": hours.closes_at, "reply_within_hours": hours.reply_within_hours})
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_messaging_settings(request.user, clinic, **form.cleaned_data)  # type: ignore[arg-type]
        except actions.MessagingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            flash.success(request, "Office hours saved. Patients see them before they send a message.")
            return redirect("messaging:settings")
    return render(request, "messaging/settings.html", {"clinic": clinic, "form": form, "hours": hours})
