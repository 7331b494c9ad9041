"""Treatment courses: an induction series, maintenance boosters, or a pain protocol."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CourseKind(models.TextChoices):
    INDUCTION = "induction", "Induction series"
    MAINTENANCE = "maintenance", "Maintenance booster"
    PAIN = "pain", "Pain protocol"


class CourseStatus(models.TextChoices):
    REQUESTED = "requested", "Waiting to be scheduled"
    SCHEDULED = "scheduled", "Scheduled"
    ACTIVE = "active", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class TreatmentCourse(models.Model):
    """What the provider approved; the scheduler turns it into visits.

    Spacing rules are copied from the clinic protocol when the course is created, so later
    protocol changes never silently change a course already planned.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="courses")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="courses")
    kind = models.CharField(max_length=20, choices=CourseKind.choices, default=CourseKind.INDUCTION)
    indication_code = models.CharField(max_length=10, help_text="ICD-10-CM, e.g. F33.2")
    planned_visits = models.PositiveSmallIntegerField()
    window_days = models.PositiveSmallIntegerField()
    max_per_7_days = models.PositiveSmallIntegerField()
    min_gap_hours = models.PositiveSmallIntegerField()
    checkin_min = models.PositiveSmallIntegerField()
    infusion_min = models.PositiveSmallIntegerField()
    recovery_min = models.PositiveSmallIntegerField()
    earliest_on = models.DateField()
    latest_start_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=CourseStatus.choices, default=CourseStatus.REQUESTED)
    protocol_version = models.ForeignKey("clinics.ProtocolVersion", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ("-created_at",)
        indexes = [
            # waitlist: a clinic's courses waiting to be scheduled, oldest first
            models.Index(fields=["clinic", "status", "created_at"], name="course_clinic_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.patient} ({self.planned_visits} visits)"

    @property
    def visit_minutes(self) -> int:
        return self.checkin_min + self.infusion_min + self.recovery_min


class AmendmentStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    PENDING = "pending", "Waiting for a second signature"
    REJECTED = "rejected", "Not co-signed"


# Course fields a provider may change after approval (per-course overrides).
AMENDABLE_FIELDS = ("planned_visits", "window_days", "max_per_7_days", "min_gap_hours", "checkin_min",
                    "infusion_min", "recovery_min", "earliest_on", "latest_start_on")


class CourseAmendment(models.Model):
    """A provider's change to a course's plan: the original value is kept, with who, when and why.

    Loosening a spacing limit below the clinic protocol (shorter gap, more visits in 7 days)
    needs a second prescriber's signature before it applies.
    """

    course = models.ForeignKey(TreatmentCourse, on_delete=models.PROTECT, related_name="amendments")
    changes = models.JSONField(help_text='{"field": {"from": old, "to": new}}')
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=AmendmentStatus.choices, default=AmendmentStatus.APPLIED)
    amended_at = models.DateTimeField()
    amended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    cosigned_at = models.DateTimeField(null=True, blank=True)
    cosigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ("amended_at",)

    def __str__(self) -> str:
        return f"Amendment of course {self.course_id} ({self.get_status_display()})"
