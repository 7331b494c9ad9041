"""Secure messages between a patient and their clinic's care team, and symptom reports.

Messages are part of the patient's record: never edited, never deleted (PROTECT everywhere).
A conversation's status, assignment and task state are workflow fields; every change of them
is an audit event. Triage decisions and visit links are rows of their own, never overwritten.
"""

from __future__ import annotations

import uuid
from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ClinicMessagingSettings(models.Model):
    """Office hours for messages and the reply time promised to patients. No row: the defaults."""

    clinic = models.OneToOneField("clinics.Clinic", on_delete=models.CASCADE, related_name="messaging_settings")
    office_weekdays = models.CharField(max_length=20, default="0,1,2,3,4",
                                       help_text="Days the inbox is read: 0 = Monday … 6 = Sunday, comma separated.")
    office_opens_at = models.TimeField(default=time(9, 0))
    office_closes_at = models.TimeField(default=time(17, 0))
    reply_within_hours = models.PositiveSmallIntegerField(
        default=24, help_text="Office hours within which the care team answers a message.")
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"Messaging settings for {self.clinic}"


class Topic(models.TextChoices):
    # Patients choose these: translated (messaging catalog). Staff screens show them in English.
    QUESTION = "question", _("A question for my care team")
    MEDICINE = "medicine", _("A question about a medicine")
    APPOINTMENT = "appointment", _("My appointments")
    SYMPTOMS = "symptoms", _("How I feel after treatment")


class ConversationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting on patient")
    CLOSED = "closed", _("Closed")


class TaskPriority(models.TextChoices):
    NONE = "", "No task"
    URGENT = "urgent", "Urgent: same day"
    ROUTINE = "routine", "Routine"


class Conversation(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="conversations")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="conversations")
    topic = models.CharField(max_length=20, choices=Topic.choices, default=Topic.QUESTION)
    subject = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=ConversationStatus.choices, default=ConversationStatus.OPEN)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="assigned_conversations")
    # A staff task raised by a symptom report: urgent ones sit at the top of the inbox until triaged.
    task_priority = models.CharField(max_length=10, choices=TaskPriority.choices, default=TaskPriority.NONE,
                                     blank=True)
    task_done_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ("-last_message_at",)
        indexes = [
            # the inbox: one clinic's conversations by status, newest activity first
            models.Index(fields=["clinic", "status", "-last_message_at"], name="conv_inbox_idx"),
            # the patient's own list and chart panel
            models.Index(fields=["patient", "-last_message_at"], name="conv_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.patient})"

    @property
    def task_pending(self) -> bool:
        return bool(self.task_priority) and self.task_done_at is None


def attachment_path(instance: Message, filename: str) -> str:
    # Our own random name: the patient's file name is kept in attachment_name, never on disk.
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"messaging/{instance.clinic_id}/{instance.patient_id}/{uuid.uuid4().hex}.{ext}"


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="messages")
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_patient = models.BooleanField()
    body = models.TextField()
    attachment = models.FileField(upload_to=attachment_path, blank=True, max_length=300)
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_type = models.CharField(max_length=60, blank=True)
    attachment_size = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    # Set the first time someone on the other side opens the conversation.
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    # One per form shown: a double submit finds the first message instead of writing a second.
    client_token = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ("created_at", "id")
        indexes = [
            # unread counts: a clinic's patient messages not yet read by staff
            models.Index(fields=["conversation", "from_patient", "read_at"], name="msg_unread_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["author", "client_token"], condition=~Q(client_token=""),
                                    name="message_unique_client_token"),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} in {self.conversation_id}"


class SymptomReport(models.Model):
    """The patient's answers to "report how you feel", with the rule's triage at the time."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="symptom_reports")
    conversation = models.OneToOneField(Conversation, on_delete=models.PROTECT, related_name="symptom_report")
    answers = models.JSONField(help_text='[{"symptom": ..., "severity": 0-3, "onset": ...}]')
    note = models.TextField(blank=True)
    followed_visit = models.ForeignKey("schedule.Visit", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", help_text="The last infusion before the report (suggested)")
    days_since_infusion = models.PositiveSmallIntegerField(null=True, blank=True)
    level = models.CharField(max_length=10)
    crisis = models.BooleanField(default=False)
    reasons = models.JSONField(default=list)
    protocol_version = models.ForeignKey("clinics.ProtocolVersion", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    client_token = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ("-created_at",)
        indexes = [models.Index(fields=["patient", "-created_at"], name="symptom_patient_idx")]
        constraints = [
            models.UniqueConstraint(fields=["created_by", "client_token"], condition=~Q(client_token=""),
                                    name="symptom_unique_client_token"),
        ]

    def __str__(self) -> str:
        return f"Symptom report {self.pk} ({self.level}) for {self.patient}"


class TriageOutcome(models.TextChoices):
    ADVICE = "advice", "Advice given by message"
    CALLED = "called", "Called the patient"
    SEE_IN_CLINIC = "see_in_clinic", "Asked to come in / seen in clinic"
    PROVIDER = "provider", "Passed to a provider"
    EMERGENCY = "emergency", "Sent to emergency care (911 / ED)"
    NO_ACTION = "no_action", "No action needed"


class SymptomTriage(models.Model):
    """A clinician's decision on a symptom report: who, when, what and why. A later row amends."""

    report = models.ForeignKey(SymptomReport, on_delete=models.PROTECT, related_name="triages")
    outcome = models.CharField(max_length=20, choices=TriageOutcome.choices)
    note = models.TextField()
    is_adverse_event = models.BooleanField(default=False,
                                           help_text="The clinician judges this an adverse event of treatment.")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ("-decided_at", "-id")

    def __str__(self) -> str:
        return f"Triage of report {self.report_id}: {self.outcome}"


class SymptomVisitLink(models.Model):
    """A nurse links a reported event to the infusion visit it followed. The newest row counts;
    a row without a visit says "not related to an infusion"."""

    report = models.ForeignKey(SymptomReport, on_delete=models.PROTECT, related_name="visit_links")
    visit = models.ForeignKey("schedule.Visit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField()

    class Meta:
        ordering = ("-linked_at", "-id")

    def __str__(self) -> str:
        return f"Report {self.report_id} → visit {self.visit_id}"
