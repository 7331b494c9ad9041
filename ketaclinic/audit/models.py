"""Append-only, hash-chained audit log.

Each row stores the hash of the row before it, so editing or deleting any row breaks the
chain at that point; `manage.py audit_verify` finds the first broken link. IDs and names are
copied into plain columns so a row still reads right after later changes (readthedocs).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    at = models.DateTimeField()
    # No database constraints or extra indexes on the links: the log never blocks or waits on the
    # tables it describes (the *_ref and label columns keep what the event was about, the hash
    # chain keeps it honest), and every event inserted pays for each index and constraint check.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", db_constraint=False, db_index=False)  # audit_actor_idx covers it
    actor_label = models.CharField(max_length=254, blank=True)
    clinic = models.ForeignKey("clinics.Clinic", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               db_constraint=False, db_index=False)  # pages filter by clinic_ref
    clinic_ref = models.BigIntegerField(null=True, blank=True)
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", db_constraint=False)
    patient_ref = models.BigIntegerField(null=True, blank=True)
    patient_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)  # unique: see Meta (a constraint, so no LIKE index)

    class Meta:
        ordering = ("id",)
        constraints = [models.UniqueConstraint(fields=["hash"], name="audit_hash_unique")]
        indexes = [
            # medical-director page: filter by patient / by actor, newest first
            models.Index(fields=["patient_ref", "-id"], name="audit_patient_idx"),
            models.Index(fields=["clinic_ref", "-id"], name="audit_clinic_idx"),
            models.Index(fields=["actor", "-id"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def payload(self) -> dict[str, Any]:
        """The fields covered by the hash, in a canonical form."""
        return {
            "at": self.at.isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "clinic": self.clinic_ref,
            "patient": self.patient_ref,
            "patient_label": self.patient_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "ip": self.ip,
            "details": self.details,
        }

    def compute_hash(self) -> str:
        body = json.dumps(self.payload(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(f"{self.prev_hash}|{body}".encode()).hexdigest()
