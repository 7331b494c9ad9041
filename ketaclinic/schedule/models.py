"""Chairs, opening hours, nurse shifts and visits."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models


class Chair(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="chairs")
    name = models.CharField(max_length=40)
    monitor_device_id = models.CharField(max_length=64, blank=True,
                                         help_text="Bedside monitor's id in HL7 messages (OBR/PV1 bed).")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ("name",)
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="chair_unique_name")]

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    """Regular weekly hours; weekday 0 = Monday."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField()
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        ordering = ("weekday",)
        constraints = [models.UniqueConstraint(fields=["clinic", "weekday"], name="opening_hours_unique_day")]

    def __str__(self) -> str:
        return f"{self.weekday}: {self.opens_at}-{self.closes_at}"


class ClosedDay(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="closed_days")
    date = models.DateField()
    reason = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "date"], name="closed_day_unique")]

    def __str__(self) -> str:
        return f"{self.date} closed"


class NurseShift(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="nurse_shifts")
    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shifts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ("starts_at",)
        indexes = [models.Index(fields=["clinic", "starts_at"], name="shift_clinic_start_idx")]

    def __str__(self) -> str:
        return f"{self.nurse} {self.starts_at:%Y-%m-%d %H:%M}"


class VisitStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CONFIRMED = "confirmed", "Confirmed"
    ARRIVED = "arrived", "Arrived"
    IN_CHAIR = "in_chair", "Pre-checks"
    INFUSING = "infusing", "Infusing"
    RECOVERING = "recovering", "Recovering"
    DISCHARGED = "discharged", "Discharged"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


# Statuses that hold a chair; cancelled and no-show visits free it.
ACTIVE_STATUSES = (VisitStatus.BOOKED, VisitStatus.CONFIRMED, VisitStatus.ARRIVED, VisitStatus.IN_CHAIR,
                   VisitStatus.INFUSING, VisitStatus.RECOVERING, VisitStatus.DISCHARGED)


class Visit(models.Model):
    """One infusion visit: a chair for check-in + infusion + recovery."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="visits")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="visits")
    course = models.ForeignKey("courses.TreatmentCourse", on_delete=models.PROTECT, related_name="visits")
    number = models.PositiveSmallIntegerField(help_text="1..n within the course, in time order")
    chair = models.ForeignKey(Chair, null=True, on_delete=models.PROTECT, related_name="visits")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=VisitStatus.choices, default=VisitStatus.BOOKED)
    locked = models.BooleanField(default=False, help_text="The optimizer may not move a locked visit.")
    protocol_version = models.ForeignKey("clinics.ProtocolVersion", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+", help_text="Protocol settings in force for this visit")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    cancelled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ("starts_at",)
        indexes = [
            # day sheet / floor board: one clinic's visits in a time range
            models.Index(fields=["clinic", "starts_at"], name="visit_clinic_start_idx"),
            # patient portal: a patient's visits in time order
            models.Index(fields=["patient", "starts_at"], name="visit_patient_start_idx"),
        ]

    def __str__(self) -> str:
        return f"Visit {self.number} for {self.patient} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def infusion_starts_at(self):  # type: ignore[no-untyped-def]
        return self.starts_at + timedelta(minutes=self.course.checkin_min)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
