"""Chairs, opening hours, nurse shifts and visits."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="assigned_visits",
                              help_text="The nurse who watches this patient during the infusion")
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
            # nurse assignment (load at a time) and the nurse calendar feed
            models.Index(fields=["nurse", "starts_at"], name="visit_nurse_start_idx"),
        ]

    def __str__(self) -> str:
        return f"Visit {self.number} for {self.patient} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def infusion_starts_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.course.checkin_min)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_SHORT = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))


class Availability(models.Model):
    """When a patient (and their ride) can come: weekdays and a time range; a visit must fit inside.

    One row per patient with `course` empty is the patient's usual availability; a row with a
    course overrides it for that course. Changed by the patient or the front desk (audited).
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="availabilities")
    course = models.ForeignKey("courses.TreatmentCourse", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="availabilities")
    weekdays = models.CharField(max_length=7, help_text="Digits 0 (Monday) to 6 (Sunday), e.g. 024")
    from_time = models.TimeField()
    until_time = models.TimeField()
    note = models.CharField(max_length=200, blank=True)
    # The ride home (optional): when the escort can pick the patient up. A visit must END inside it.
    escort_weekdays = models.CharField(max_length=7, blank=True, help_text="Empty: no separate ride times")
    escort_from = models.TimeField(null=True, blank=True)
    escort_until = models.TimeField(null=True, blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            # one usual availability per patient, one override per course
            models.UniqueConstraint(fields=["patient"], condition=models.Q(course__isnull=True),
                                    name="availability_one_usual_per_patient"),
            models.UniqueConstraint(fields=["patient", "course"], name="availability_one_per_course"),
        ]

    def __str__(self) -> str:
        return f"{self.patient}: {self.describe()}"

    @property
    def weekday_list(self) -> list[int]:
        return sorted({int(ch) for ch in self.weekdays if ch.isdigit() and int(ch) <= 6})

    @property
    def escort_weekday_list(self) -> list[int]:
        return sorted({int(ch) for ch in self.escort_weekdays if ch.isdigit() and int(ch) <= 6})

    @property
    def has_escort_times(self) -> bool:
        return bool(self.escort_weekday_list) and self.escort_from is not None and self.escort_until is not None

    def describe(self) -> str:
        """'Mon, Wed 08:00-12:00' in the active language (patients read it in theirs)."""
        days = ", ".join(str(WEEKDAY_SHORT[d]) for d in self.weekday_list) or str(_("no days"))
        return f"{days} {self.from_time:%H:%M}-{self.until_time:%H:%M}"

    def describe_escort(self) -> str:
        """The ride's pick-up times, or "" when none were given."""
        if not self.has_escort_times or self.escort_from is None or self.escort_until is None:
            return ""
        days = ", ".join(str(WEEKDAY_SHORT[d]) for d in self.escort_weekday_list)
        return f"{days} {self.escort_from:%H:%M}-{self.escort_until:%H:%M}"


class ProposalStatus(models.TextChoices):
    OPEN = "open", "Waiting for review"
    DONE = "done", "Reviewed"
    DISCARDED = "discarded", "Discarded"


class Proposal(models.Model):
    """One optimizer run for the waitlist: the instance sent and the plan that came back.

    The front desk reviews it course by course; nothing is booked until they accept.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="schedule_proposals")
    first_day = models.DateField()
    last_day = models.DateField()
    method = models.CharField(max_length=10)
    status = models.CharField(max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.OPEN)
    instance = models.JSONField()
    plan = models.JSONField()
    # {"courses": {instance course key: TreatmentCourse id}, "skipped": [booked visits left out, why]}
    waiting = models.JSONField(default=dict)
    solve_seconds = models.FloatField(default=0)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Proposal {self.pk} ({self.first_day}–{self.last_day})"


class OfferStatus(models.TextChoices):
    OPEN = "open", "Open"
    FILLED = "filled", "Filled"
    WITHDRAWN = "withdrawn", "Withdrawn"


class SlotOffer(models.Model):
    """A slot freed by a cancellation, offered to waitlisted patients; the first to accept gets it."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="slot_offers")
    chair = models.ForeignKey(Chair, on_delete=models.PROTECT, related_name="offers")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    freed_visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    filled_visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("starts_at",)
        indexes = [
            # waitlist page and patient portal: a clinic's open offers in time order
            models.Index(fields=["clinic", "status", "starts_at"], name="offer_clinic_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Offer {self.chair} {self.starts_at:%Y-%m-%d %H:%M}"


class SlotOfferRecipient(models.Model):
    """A waitlisted course the offer went to (the course decides which visit it would become)."""

    offer = models.ForeignKey(SlotOffer, on_delete=models.CASCADE, related_name="recipients")
    course = models.ForeignKey("courses.TreatmentCourse", on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="slot_offers")
    declined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["offer", "course"], name="offer_recipient_unique")]

    def __str__(self) -> str:
        return f"{self.offer} → {self.patient}"


class FeedKind(models.TextChoices):
    PATIENT = "patient", "Patient"
    CHAIR = "chair", "Chair"
    NURSE = "nurse", "Nurse"


class CalendarFeed(models.Model):
    """A secret iCalendar link. Only the SHA-256 of the token is stored; revoking ends it."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="calendar_feeds")
    kind = models.CharField(max_length=10, choices=FeedKind.choices)
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    chair = models.ForeignKey(Chair, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} feed {self.pk}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
