"""Clinics and their versioned protocol settings."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from ketaclinic.protocol.config import Protocol, default_protocol, load_protocol


def validate_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (for example America/New_York).")


class Clinic(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    timezone = models.CharField(max_length=64, default="America/New_York", validators=[validate_timezone])
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    on_call_phone = models.CharField(max_length=40, blank=True)
    parking_info = models.TextField(blank=True)
    support_person_policy = models.TextField(blank=True)
    staff_idle_timeout_minutes = models.PositiveIntegerField(default=15)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def current_protocol_version(self) -> ProtocolVersion | None:
        return self.protocol_versions.order_by("-number").first()

    def protocol(self) -> Protocol:
        """The clinic's protocol: defaults with the latest overrides."""
        version = self.current_protocol_version()
        return version.protocol() if version else default_protocol()


class ProtocolVersion(models.Model):
    """One saved state of a clinic's overrides. Never edited: each change adds a version."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="protocol_versions")
    number = models.PositiveIntegerField()
    overrides = models.JSONField(default=dict)
    changed_key = models.CharField(max_length=100, blank=True)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    reason = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("-number",)
        constraints = [
            models.UniqueConstraint(fields=["clinic", "number"], name="protocol_version_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.clinic} protocol v{self.number}"

    def protocol(self) -> Protocol:
        return _protocol_for_version(self.pk, json.dumps(self.overrides, sort_keys=True))

    def override_items(self) -> list[tuple[str, Any]]:
        return sorted(self.overrides.items())


@lru_cache(maxsize=256)
def _protocol_for_version(version_id: int, overrides_json: str) -> Protocol:
    """Versions are never edited, so a version's validated protocol can be kept (hot paths: the
    monitor feed and the floor board ask for it on every reading)."""
    return load_protocol(json.loads(overrides_json))
