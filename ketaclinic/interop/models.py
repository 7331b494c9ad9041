"""API tokens for integrations and the inbox of bedside-monitor messages."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import QuerySet

from ketaclinic.accounts.models import Membership, User


def hash_api_token(raw: str) -> str:
    """Tokens are 32 random bytes, so a plain SHA-256 is enough (no salt or stretching needed)."""
    return hashlib.sha256(raw.encode()).hexdigest()


class TokenScope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


class ClinicBoundUser(User):
    """A staff person as their personal API token sees them: only their own roles at the
    token's clinic count (`memberships` is narrowed to that clinic), so the token can never do
    more than the person can there, and nothing at their other clinics."""

    class Meta:
        proxy = True

    bound_clinic_id: int

    @property
    def memberships(self) -> QuerySet[Membership]:  # type: ignore[override]
        return Membership.objects.filter(user_id=self.pk, clinic_id=self.bound_clinic_id)


class ApiToken(models.Model):
    """A bearer token for a machine (an EHR, a research export, a monitor gateway) or a person.

    An integration token acts through its own service account, which holds roles at exactly one
    clinic, so the same access functions as the UI apply and a token can never see another
    clinic. A personal token acts as its staff person, with that person's own roles at the
    token's clinic only (the scope caps it: a read token never writes); it stops working when
    the person's last staff role there is removed or deactivated.
    Only the SHA-256 of the token is stored; the raw value is shown once at creation.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=10, choices=TokenScope.choices, default=TokenScope.READ)
    prefix = models.CharField(max_length=12, help_text="First characters of the token, to recognise it.")
    token_hash = models.CharField(max_length=64, unique=True)
    service_user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="api_token", help_text="Integration token: its own account.")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="personal_api_tokens",
                               help_text="Personal token: acts as this staff person, with their roles at the clinic.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], condition=models.Q(revoked_at__isnull=True),
                                    name="api_token_unique_active_name"),
            models.CheckConstraint(condition=models.Q(service_user__isnull=False, person__isnull=True)
                                   | models.Q(service_user__isnull=True, person__isnull=False),
                                   name="api_token_service_account_or_person"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_scope_display()})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.WRITE

    @property
    def is_personal(self) -> bool:
        return self.person_id is not None

    def acting_user(self) -> User:
        """The user whose permissions apply to a request with this token (kept for the request)."""
        cached: User | None = self.__dict__.get("_acting_user")
        if cached is None:
            if self.person is not None:
                bound = ClinicBoundUser(**{f.attname: getattr(self.person, f.attname)
                                           for f in User._meta.concrete_fields})
                bound.bound_clinic_id = self.clinic_id
                bound._state.adding, bound._state.db = False, self.person._state.db
                cached = bound
            else:
                assert self.service_user is not None  # noqa: S101 - the check constraint: one or the other
                cached = self.service_user
            self.__dict__["_acting_user"] = cached
        return cached


class InboxStatus(models.TextChoices):
    ACCEPTED = "accepted", "Stored as vitals"
    ERROR = "error", "Needs review"
    REJECTED = "rejected", "Rejected"


class MonitorMessage(models.Model):
    """Every HL7 v2 message a monitor sent, once per control id (MSH-10) and sender.

    Accepted messages keep a link to the visit; messages that could not be stored (unknown
    device, no patient in the chair, unparseable) wait here for a nurse to review.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="monitor_messages",
                               help_text="The clinic whose listener received it (one listener per clinic).",
                               db_index=False)  # monitor_msg_inbox_idx leads with the clinic
    control_id = models.CharField(max_length=64, help_text="MSH-10 message control id")
    sending_app = models.CharField(max_length=100, blank=True, help_text="MSH-3 sending application")
    device_id = models.CharField(max_length=64, blank=True)
    visit = models.ForeignKey("schedule.Visit", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="monitor_messages")
    raw = models.TextField()
    status = models.CharField(max_length=10, choices=InboxStatus.choices)
    ack_code = models.CharField(max_length=2)
    reason = models.CharField(max_length=300, blank=True)
    readings = models.JSONField(default=dict, blank=True)
    peer = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("-received_at", "-id")
        constraints = [
            # duplicates: a monitor re-sends a message it got no ACK for; store it once
            # control id first: the listener looks a batch's ids up by it (tens of probes)
            models.UniqueConstraint(fields=["control_id", "sending_app", "clinic"],
                                    name="monitor_message_unique_control_id"),
        ]
        indexes = [
            # staff inbox: one clinic's messages needing review, newest first
            models.Index(fields=["clinic", "status", "-received_at"], name="monitor_msg_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.control_id} {self.status}"
