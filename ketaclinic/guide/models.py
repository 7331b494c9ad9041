"""Clinic edits of guide pages (every version kept) and who has read what."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketaclinic.clinics.sweeps import ClinicSweep


class GuidePageVersion(models.Model):
    """A clinic's version of one page in one language. Never edited; a change adds a version."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="guide_versions")
    slug = models.CharField(max_length=32)
    language = models.CharField(max_length=5)
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    readability = models.FloatField()
    reason = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("-number",)
        constraints = [
            models.UniqueConstraint(fields=["clinic", "slug", "language", "number"], name="guide_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.slug}/{self.language} v{self.number}"


class GuideRead(models.Model):
    """A patient opened a page (first and latest time, and which version they saw)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="guide_reads")
    slug = models.CharField(max_length=32)
    language = models.CharField(max_length=5)
    version_number = models.PositiveIntegerField(default=0, help_text="0 = the default text")
    first_read_at = models.DateTimeField()
    last_read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "slug"], name="guide_read_unique"),
        ]
        indexes = [
            # staff reading-status page: who has read a given page
            models.Index(fields=["slug", "patient"], name="guide_read_slug_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} read {self.slug}"


class GuideSweep(ClinicSweep):
    """Due work: when to next look for guide pages to offer a clinic's patients by message."""

    class Meta:
        indexes = [
            # the worker's claim query: sweeps due now
            models.Index(fields=["due_at"], name="guide_sweep_due_idx"),
        ]

    def __str__(self) -> str:
        return f"Guide sweep for clinic {self.clinic_id} at {self.due_at:%Y-%m-%d %H:%M}"
