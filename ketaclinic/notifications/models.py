"""Outbound messages (email, SMS) and each patient's message preferences.

An OutboundMessage row is due work (ARCHITECTURE.md): the worker claims it with a conditional
UPDATE and sends it once. See docs/notifications.md for the claim and retry rules.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message (SMS)"


class ChannelChoice(models.TextChoices):
    EMAIL = "email", "Email only"
    SMS = "sms", "Text message (SMS) only"
    BOTH = "both", "Both email and text message"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (needs staff)"
    CANCELLED = "cancelled", "Cancelled"


DEFAULT_QUIET_START = time(21, 0)
DEFAULT_QUIET_END = time(8, 0)


class MessagePreference(models.Model):
    """How a patient wants to hear from the clinic. No row means the defaults below."""

    patient = models.OneToOneField("patients.Patient", on_delete=models.PROTECT, related_name="message_preference")
    channel = models.CharField(max_length=10, choices=ChannelChoice.choices, default=ChannelChoice.EMAIL)
    quiet_start = models.TimeField(default=DEFAULT_QUIET_START,
                                   help_text="No messages from this time (clinic time zone)…")
    quiet_end = models.TimeField(default=DEFAULT_QUIET_END, help_text="…until this time.")
    language = models.CharField(max_length=5, default="en",
                                help_text="Kept equal to the patient's preferred language (which drives messages).")
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"{self.patient}: {self.channel}"


class OutboundMessage(models.Model):
    """One message to one patient on one channel.

    Lifecycle: pending → sent | failed | cancelled. `due_at` is when it was meant to go (after
    the quiet-hours shift); `next_attempt_at` starts equal to it and moves on each retry.
    A claim (`claimed_at`, `claimed_by`) older than CLAIM_TIMEOUT with no `sent_at` is stale:
    the worker died or hung mid-send, and the row is offered again (docs/notifications.md).
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="outbound_messages")
    visit = models.ForeignKey("schedule.Visit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=60, help_text="e.g. prep.morning_of; prefixes group kinds")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    dedupe_key = models.CharField(max_length=200)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    language = models.CharField(max_length=5, default="en", help_text="The language the subject and body are in")
    to_address = models.CharField(max_length=254, blank=True, help_text="Filled in when sent")
    requested_due_at = models.DateTimeField(help_text="The time the caller asked for, before quiet hours")
    due_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=200, blank=True, help_text="Message-ID or the SMS provider's id")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("due_at", "id")
        constraints = [
            # queue_message is idempotent on (dedupe_key, channel): a second call finds this row.
            models.UniqueConstraint(fields=["dedupe_key", "channel"], name="outbound_unique_dedupe_channel"),
        ]
        indexes = [
            # the worker's claim query: pending rows by next attempt time
            models.Index(fields=["next_attempt_at"], name="outbound_pending_due_idx",
                         condition=Q(status="pending")),
            # staff failed-messages list: one clinic's failed rows, newest first
            models.Index(fields=["clinic", "status", "-due_at"], name="outbound_clinic_status_idx"),
            # cancel_messages(visit=…): pending rows of one visit
            models.Index(fields=["visit", "status"], name="outbound_visit_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.patient} by {self.channel} ({self.status})"

    @property
    def message_id(self) -> str:
        """A stable RFC 5322 Message-ID: a re-sent copy carries the same id, so mail systems
        can recognise it as the same message."""
        return f"<outbound-{self.pk}.{self.dedupe_key_digest}@ketaclinic>"

    @property
    def dedupe_key_digest(self) -> str:
        import hashlib

        return hashlib.sha256(f"{self.dedupe_key}|{self.channel}".encode()).hexdigest()[:16]
