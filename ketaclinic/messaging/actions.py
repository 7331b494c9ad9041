"""Writes for messages, conversations and symptom reports. Every one is audited.

Patients are told about a reply by email/SMS through notifications.queue_message, with no
content: the words stay in the portal (no health details leave the system in notifications).
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, has_perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.messaging.files import AttachmentError, check_attachment
from ketaclinic.messaging.hours import parse_weekdays
from ketaclinic.messaging.models import (
    ClinicMessagingSettings,
    Conversation,
    ConversationStatus,
    Message,
    SymptomReport,
    SymptomTriage,
    SymptomVisitLink,
    TaskPriority,
    Topic,
    TriageOutcome,
)
from ketaclinic.messaging.symptom_text import ONSET_LABELS, SELF_HARM_LABELS, SEVERITY_LABELS, SYMPTOM_LABELS
from ketaclinic.notifications.actions import queue_patient_message
from ketaclinic.notifications.wording import Fmt, Values, patient_message
from ketaclinic.patients.models import Patient
from ketaclinic.protocol.symptoms import (
    Onset,
    Severity,
    Symptom,
    SymptomAnswer,
    SymptomInputError,
    TriageInput,
    triage,
)
from ketaclinic.schedule.models import Visit, VisitStatus

MAX_BODY = 5000
# Visits after which a patient may report how they feel: the infusion was given.
INFUSED_STATUSES = (VisitStatus.INFUSING, VisitStatus.RECOVERING, VisitStatus.DISCHARGED)


class MessagingError(ValueError):
    """Input that cannot be accepted; `field` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _is_patient_of(user: User, conversation_or_patient: Conversation | Patient) -> bool:
    patient = conversation_or_patient.patient if isinstance(conversation_or_patient, Conversation) \
        else conversation_or_patient
    return patient.user_id is not None and patient.user_id == user.pk


def _require_staff_for(user: User, conversation: Conversation) -> None:
    require_perm(user, conversation.clinic_id, Perm.VIEW_PATIENTS)
    if conversation.topic == Topic.SYMPTOMS:
        require_perm(user, conversation.clinic_id, Perm.VIEW_CLINICAL)


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise MessagingError(_("Please write your message."), "body")
    if len(body) > MAX_BODY:
        raise MessagingError(f"Please keep a message under {MAX_BODY} characters (this one has {len(body)}).", "body")
    return body


@patient_message("messaging.reply", sample={"first_name": "Maya", "clinic": "Harbor Clinic", "clinic_phone": "555-0100",
                                           "link": "https://portal.example/messages/mine/3/", "crisis_line": "988",
                                           "emergency_number": "911"})
def reply_notice_text(f: Fmt, v: Values) -> tuple[str, str]:
    """The notice has no content: the words stay in the portal."""
    if v.get("clinic_phone"):
        call = _("If you need help right away, call the clinic at %(phone)s.") % {"phone": v["clinic_phone"]}
    else:
        call = _("If you need help right away, call the clinic.")
    body = "\n\n".join([
        _("Hello %(name)s,") % {"name": v["first_name"]},
        _("You have a new message from your care team at %(clinic)s. To read it, sign in here:")
        % {"clinic": v["clinic"]} + "\n" + v["link"],
        call + " " + _("In an emergency, call %(emergency_number)s.") % {"emergency_number": v["emergency_number"]}
        + " " + _("If you are thinking about hurting yourself, call or text %(crisis_line)s any time.")
        % {"crisis_line": v["crisis_line"]},
    ])
    return _("New message from %(clinic)s") % {"clinic": v["clinic"]}, body


def _notify_patient(message: Message, now: datetime) -> None:
    """Tell the patient a message is waiting, without its content (queued inside this transaction)."""
    from django.conf import settings

    patient = message.patient
    link = f"{settings.SITE_URL}{reverse('messaging:my_conversation', args=[message.conversation_id])}"
    outcomes = patient.clinic.protocol().outcomes
    queue_patient_message(
        patient=patient, kind="messaging.reply", due_at=now, now=now,
        values={"first_name": patient.first_name, "clinic": patient.clinic.name,
                "clinic_phone": patient.clinic.phone, "link": link, "crisis_line": outcomes.crisis_line,
                "emergency_number": outcomes.emergency_number},
        dedupe_key=f"messaging.reply.{message.pk}")


def _write_message(author: User, conversation: Conversation, *, body: str, from_patient: bool, attachment: Any,
                   client_token: str, now: datetime) -> Message:
    message = Message(conversation=conversation, clinic_id=conversation.clinic_id,
                      patient_id=conversation.patient_id, author=author, from_patient=from_patient, body=body,
                      created_at=now, client_token=client_token[:64])
    if attachment is not None:
        try:
            checked = check_attachment(attachment)
        except AttachmentError as exc:
            raise MessagingError(str(exc), "attachment") from exc
        message.attachment_name, message.attachment_type = checked.name, checked.content_type
        message.attachment_size = checked.size
        message.attachment.save(f"upload.{checked.extension}", attachment, save=False)
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        # The same form was submitted twice: the first message stands.
        if message.attachment:
            message.attachment.delete(save=False)
        return Message.objects.get(author=author, client_token=client_token[:64])
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
    conversation.last_message_at = now
    record_event(author, "MESSAGE_SENT", patient=conversation.patient, obj=message, at=now,
                 details={"conversation": conversation.pk, "from_patient": from_patient,
                          "attachment": message.attachment_type or None})
    return message


def _existing(author: User, client_token: str) -> Message | None:
    if not client_token:
        return None
    return Message.objects.filter(author=author, client_token=client_token[:64]).select_related("conversation").first()


@transaction.atomic
def do_start_conversation(acting_user: User, patient: Patient, *, topic: str, subject: str, body: str,
                          attachment: Any = None, client_token: str = "",
                          now: datetime | None = None) -> Conversation:
    """Start a conversation. Who: the patient (to their care team) or staff of the patient's clinic.

    A repeated submit of the same form (same client_token) returns the first conversation.
    Writes: Conversation, Message, AuditEvent. Staff-started: the patient is notified (no content).
    """
    now = now or timezone.now()
    from_patient = _is_patient_of(acting_user, patient)
    if not from_patient:
        require_perm(acting_user, patient.clinic, Perm.VIEW_PATIENTS)
    if topic not in Topic.values or topic == Topic.SYMPTOMS:
        raise MessagingError(_("Choose what your message is about."), "topic")
    # Two submits of one form queue here (PostgreSQL), so the second finds the first's message.
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    first = _existing(acting_user, client_token)
    if first is not None:
        return first.conversation
    subject = (subject or "").strip()
    if not subject:
        raise MessagingError(_("Please add a short subject."), "subject")
    body = _clean_body(body)
    conversation = Conversation.objects.create(
        clinic=patient.clinic, patient=patient, topic=topic, subject=subject[:200],
        status=ConversationStatus.OPEN if from_patient else ConversationStatus.WAITING,
        last_message_at=now, created_at=now, created_by=acting_user)
    record_event(acting_user, "CONVERSATION_STARTED", patient=patient, obj=conversation, at=now,
                 details={"topic": topic, "from_patient": from_patient})
    message = _write_message(acting_user, conversation, body=body, from_patient=from_patient, attachment=attachment,
                             client_token=client_token, now=now)
    if not from_patient:
        _notify_patient(message, now)
    return conversation


@transaction.atomic
def do_send_message(acting_user: User, conversation: Conversation, *, body: str, attachment: Any = None,
                    client_token: str = "", then_status: str | None = None,
                    now: datetime | None = None) -> Message:
    """Add a message. Who: the patient, or staff of the clinic (clinicians for symptom reports).

    A patient's message reopens a closed or waiting conversation. A staff reply sets the status to
    `then_status` (default: waiting on patient) and queues a content-free email/SMS to the patient.
    Writes: Message, Conversation, AuditEvent; OutboundMessage for staff replies.
    """
    now = now or timezone.now()
    from_patient = _is_patient_of(acting_user, conversation)
    if not from_patient:
        _require_staff_for(acting_user, conversation)
    Conversation.objects.select_for_update().filter(pk=conversation.pk).first()  # double submits queue here
    first = _existing(acting_user, client_token)
    if first is not None:
        return first
    body = _clean_body(body)
    message = _write_message(acting_user, conversation, body=body, from_patient=from_patient, attachment=attachment,
                             client_token=client_token, now=now)
    new_status = ConversationStatus.OPEN if from_patient else (then_status or ConversationStatus.WAITING)
    if new_status not in ConversationStatus.values:
        raise MessagingError("Unknown status.", "then_status")
    if new_status != conversation.status:
        _set_status(acting_user, conversation, new_status, now)
    if not from_patient:
        _notify_patient(message, now)
    return message


def _set_status(acting_user: User, conversation: Conversation, status: str, now: datetime) -> None:
    old = conversation.status
    conversation.status = status
    conversation.save(update_fields=["status"])
    record_event(acting_user, "CONVERSATION_STATUS_CHANGED", patient=conversation.patient, obj=conversation, at=now,
                 details={"from": old, "to": status})


@transaction.atomic
def do_set_conversation_status(acting_user: User, conversation: Conversation, status: str, *,
                               now: datetime | None = None) -> Conversation:
    """Open, waiting on patient, or closed. Who: staff of the clinic. Writes: Conversation, AuditEvent."""
    _require_staff_for(acting_user, conversation)
    if status not in ConversationStatus.values:
        raise MessagingError("Unknown status.", "status")
    if status != conversation.status:
        _set_status(acting_user, conversation, status, now or timezone.now())
    return conversation


@transaction.atomic
def do_assign_conversation(acting_user: User, conversation: Conversation, assignee: User | None, *,
                           now: datetime | None = None) -> Conversation:
    """Give the conversation to one staff member (or back to the shared inbox with None).

    Who: staff of the clinic. The assignee must be able to read it. Writes: Conversation, AuditEvent.
    """
    _require_staff_for(acting_user, conversation)
    if assignee is not None:
        needed = Perm.VIEW_CLINICAL if conversation.topic == Topic.SYMPTOMS else Perm.VIEW_PATIENTS
        if not has_perm(assignee, conversation.clinic_id, needed):
            raise MessagingError("That person cannot read this conversation.", "assignee")
    old = conversation.assigned_to
    conversation.assigned_to = assignee
    conversation.save(update_fields=["assigned_to"])
    record_event(acting_user, "CONVERSATION_ASSIGNED", patient=conversation.patient, obj=conversation,
                 at=now or timezone.now(),
                 details={"from": old.email if old else None, "to": assignee.email if assignee else None})
    return conversation


@transaction.atomic
def do_read_conversation(acting_user: User, conversation: Conversation, *, now: datetime | None = None) -> int:
    """Record that someone opened a conversation, and mark the other side's messages read.

    Who: anyone the access function let in. Writes: Message.read_at/read_by, AuditEvent
    (CONVERSATION_VIEWED, every time). Returns how many messages became read.
    """
    now = now or timezone.now()
    from_patient = not _is_patient_of(acting_user, conversation)  # staff read the patient's messages
    marked = Message.objects.filter(conversation=conversation, from_patient=from_patient, read_at=None) \
        .update(read_at=now, read_by=acting_user)
    record_event(acting_user, "CONVERSATION_VIEWED", patient=conversation.patient, obj=conversation, at=now,
                 details={"marked_read": marked})
    return marked


# --- symptom reports ---------------------------------------------------------------------------


def _parse_answers(answers: list[dict[str, Any]]) -> tuple[SymptomAnswer, ...]:
    parsed = []
    for i, raw in enumerate(answers):
        try:
            symptom = Symptom(raw["symptom"])
            severity = Severity(int(raw.get("severity", 0)))
            onset = Onset(raw["onset"]) if raw.get("onset") else None
        except (KeyError, ValueError, TypeError) as exc:
            raise MessagingError(f"Answer {i + 1} could not be read.", None) from exc
        parsed.append(SymptomAnswer(symptom, severity, onset))
    return tuple(parsed)


def last_infusion_before(patient: Patient, at: datetime) -> Visit | None:
    return (Visit.objects.filter(patient=patient, status__in=INFUSED_STATUSES, starts_at__lte=at)
            .order_by("-starts_at").first())


def _summary(answers: tuple[SymptomAnswer, ...], note: str) -> str:
    lines = ["I filled in the \"How do you feel\" form:"]
    reported = [a for a in answers if a.severity > Severity.NONE]
    for a in reported:
        onset = f", {ONSET_LABELS[a.onset].lower()}" if a.onset else ""
        labels = SELF_HARM_LABELS if a.symptom is Symptom.SELF_HARM else SEVERITY_LABELS
        lines.append(f"- {SYMPTOM_LABELS[a.symptom]}: {labels[a.severity].lower()}{onset}")
    if not reported:
        lines.append("- None of the listed symptoms.")
    if note:
        lines += ["", note]
    return "\n".join(lines)


@transaction.atomic
def do_report_symptoms(acting_user: User, patient: Patient, *, answers: list[dict[str, Any]], note: str = "",
                       client_token: str = "", now: datetime | None = None) -> SymptomReport:
    """The patient reports how they feel. Triage rules (protocol.symptoms) set the task's priority.

    Who: the patient themself. Urgent answers raise an urgent staff task at the top of the inbox;
    others a routine one. A double submit (same client_token) returns the first report.
    Writes: Conversation (topic symptoms), Message (a readable summary), SymptomReport, AuditEvent.
    """
    if not _is_patient_of(acting_user, patient):
        raise PermissionDenied("Only the patient can report how they feel.")
    now = now or timezone.now()
    Patient.objects.select_for_update().filter(pk=patient.pk).first()  # double submits queue here
    if client_token:
        existing = SymptomReport.objects.filter(created_by=acting_user, client_token=client_token[:64]).first()
        if existing is not None:
            return existing
    parsed = _parse_answers(answers)
    note = (note or "").strip()[:MAX_BODY]
    if not any(a.severity > Severity.NONE for a in parsed) and not note:
        raise MessagingError(_("Please mark at least one symptom, or write how you feel in the box."), None)
    visit = last_infusion_before(patient, now)
    days = None
    if visit is not None:
        zone = patient.clinic.zone
        days = (timezone.localtime(now, zone).date() - timezone.localtime(visit.starts_at, zone).date()).days
    try:
        result = triage(TriageInput(parsed, days), patient.clinic.protocol().outcomes)
    except SymptomInputError as exc:
        raise MessagingError(f"Please check your answers: {exc.reason}.", None) from exc
    urgent = result.level == "urgent"
    local_day = timezone.localtime(now, patient.clinic.zone)
    conversation = Conversation.objects.create(
        clinic=patient.clinic, patient=patient, topic=Topic.SYMPTOMS,
        subject=f"How I feel — {local_day:%b} {local_day.day}", status=ConversationStatus.OPEN,
        task_priority=TaskPriority.URGENT if urgent else TaskPriority.ROUTINE,
        last_message_at=now, created_at=now, created_by=acting_user)
    _write_message(acting_user, conversation, body=_summary(parsed, note), from_patient=True, attachment=None,
                   client_token="", now=now)
    report = SymptomReport.objects.create(
        clinic=patient.clinic, patient=patient, conversation=conversation,
        answers=[{"symptom": a.symptom.value, "severity": int(a.severity), "onset": a.onset.value if a.onset else None}
                 for a in parsed],
        note=note, followed_visit=visit, days_since_infusion=days, level=result.level, crisis=result.crisis,
        reasons=[{"symptom": f.symptom.value, "level": f.level.value, "reason": f.reason} for f in result.findings],
        protocol_version=patient.clinic.current_protocol_version(), client_token=client_token[:64],
        created_at=now, created_by=acting_user)
    record_event(acting_user, "SYMPTOMS_REPORTED", patient=patient, obj=report, at=now,
                 details={"level": result.level, "crisis": result.crisis, "visit": visit.pk if visit else None,
                          "urgent_reasons": list(result.urgent_reasons)})
    return report


@transaction.atomic
def do_triage_symptom_report(acting_user: User, report: SymptomReport, *, outcome: str, note: str,
                             is_adverse_event: bool = False, now: datetime | None = None) -> SymptomTriage:
    """A clinician records what they decided about a symptom report; this completes its task.

    Who: nurse, provider, medical director (CHART). A later call adds a new row (an amendment);
    nothing is overwritten. Writes: SymptomTriage, Conversation.task_done_at, AuditEvent.
    """
    require_perm(acting_user, report.clinic_id, Perm.CHART)
    if outcome not in TriageOutcome.values:
        raise MessagingError("Choose what you did.", "outcome")
    note = (note or "").strip()
    if not note:
        raise MessagingError("Write what you found and why you decided this.", "note")
    now = now or timezone.now()
    amended = report.triages.exists()
    row = SymptomTriage.objects.create(report=report, outcome=outcome, note=note, is_adverse_event=is_adverse_event,
                                       decided_by=acting_user, decided_at=now)
    Conversation.objects.filter(pk=report.conversation_id, task_done_at=None).update(task_done_at=now)
    record_event(acting_user, "SYMPTOMS_TRIAGED", patient=report.patient, obj=row, at=now,
                 details={"report": report.pk, "outcome": outcome, "adverse_event": is_adverse_event,
                          "amends_earlier": amended, "rule_level": report.level})
    return row


@transaction.atomic
def do_link_report_to_visit(acting_user: User, report: SymptomReport, visit: Visit | None, *, note: str = "",
                            now: datetime | None = None) -> SymptomVisitLink:
    """Link a reported event to the infusion visit it followed (None: not related to an infusion).

    Who: nurse, provider, medical director. The visit must be the same patient's. The newest link
    counts; earlier ones are kept. Writes: SymptomVisitLink, AuditEvent.
    """
    require_perm(acting_user, report.clinic_id, Perm.CHART)
    if visit is not None and visit.patient_id != report.patient_id:
        raise MessagingError("That visit belongs to another patient.", "visit")
    now = now or timezone.now()
    link = SymptomVisitLink.objects.create(report=report, visit=visit, note=(note or "").strip(),
                                           linked_by=acting_user, linked_at=now)
    record_event(acting_user, "SYMPTOMS_LINKED_TO_VISIT", patient=report.patient, obj=link, at=now,
                 details={"report": report.pk, "visit": visit.pk if visit else None})
    return link


# --- settings ----------------------------------------------------------------------------------


@transaction.atomic
def do_update_messaging_settings(acting_user: User, clinic: Clinic, *, weekdays: list[int], opens_at: time,
                                 closes_at: time, reply_within_hours: int,
                                 now: datetime | None = None) -> ClinicMessagingSettings:
    """Office hours and promised reply time. Who: the medical director or the admin.

    Writes: ClinicMessagingSettings, AuditEvent (old and new values).
    """
    if not (has_perm(acting_user, clinic, Perm.EDIT_PROTOCOL) or has_perm(acting_user, clinic, Perm.MANAGE_STAFF)):
        raise PermissionDenied("Only the medical director or an administrator can change office hours.")
    if not weekdays:
        raise MessagingError("Choose at least one day.", "weekdays")
    if opens_at >= closes_at:
        raise MessagingError("Closing time must be after opening time.", "closes_at")
    if not 1 <= reply_within_hours <= 168:
        raise MessagingError("Reply time must be between 1 and 168 hours.", "reply_within_hours")
    text = ",".join(str(d) for d in sorted(set(weekdays)))
    parse_weekdays(text)
    now = now or timezone.now()
    row = ClinicMessagingSettings.objects.select_for_update().filter(clinic=clinic).first()
    old = None if row is None else {"weekdays": row.office_weekdays, "opens": row.office_opens_at.isoformat(),
                                    "closes": row.office_closes_at.isoformat(), "reply_hours": row.reply_within_hours}
    if row is None:
        row = ClinicMessagingSettings(clinic=clinic)
    row.office_weekdays, row.office_opens_at, row.office_closes_at = text, opens_at, closes_at
    row.reply_within_hours, row.updated_at, row.updated_by = reply_within_hours, now, acting_user
    row.save()
    record_event(acting_user, "MESSAGING_SETTINGS_CHANGED", clinic=clinic, obj=row, at=now,
                 details={"old": old, "new": {"weekdays": text, "opens": opens_at.isoformat(),
                                              "closes": closes_at.isoformat(), "reply_hours": reply_within_hours}})
    return row
