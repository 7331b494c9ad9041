"""A visit's preparation: the plan, ride home, health update, day-of attestations, intentions,
agreed medication instructions and front-desk tasks.

Patient answers are append-only rows: a change adds a row and the newest one counts, so the
record keeps what was said before, by whom and when.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketaclinic.protocol.preparation import MEDICATION_INSTRUCTIONS


class PreparationPlan(models.Model):
    """One per visit, built on first view or by the reminders sweep (ensure_preparation_for_visit).

    `synced_starts_at` / `synced_status` are the visit's start and status the reminder rows
    were made for; the sweep compares them with the visit to detect a reschedule or cancel.
    `ride_cutoff_at` is when an unconfirmed ride becomes a front desk task.
    """

    visit = models.OneToOneField("schedule.Visit", on_delete=models.PROTECT, related_name="preparation")
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="preparation_plans")
    protocol_version = models.ForeignKey("clinics.ProtocolVersion", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    synced_starts_at = models.DateTimeField(null=True, blank=True)
    synced_status = models.CharField(max_length=20, blank=True)
    ride_cutoff_at = models.DateTimeField(null=True, blank=True)
    ride_confirmed_at = models.DateTimeField(null=True, blank=True)
    ride_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="+")
    review_flagged_at = models.DateTimeField(null=True, blank=True)
    review_reasons = models.JSONField(default=list, blank=True)
    review_cleared_at = models.DateTimeField(null=True, blank=True)
    review_cleared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="+")
    review_note = models.TextField(blank=True)
    sync_error = models.TextField(blank=True, help_text="Why reminders could not be set up (shown to staff)")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            # sweep: unconfirmed rides past their cut-off
            models.Index(fields=["ride_cutoff_at"], name="prep_ride_cutoff_idx",
                         condition=Q(ride_confirmed_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"Preparation for {self.visit}"

    @property
    def is_flagged(self) -> bool:
        return self.review_flagged_at is not None and (
            self.review_cleared_at is None or self.review_cleared_at < self.review_flagged_at)


class RideKind(models.TextChoices):
    ADULT = "adult", "An adult I know will drive me home"
    CAR_SERVICE = "car_service", "A taxi, rideshare or car service"


class RideDetails(models.Model):
    """Who takes the patient home. Append-only: the newest row counts."""

    plan = models.ForeignKey(PreparationPlan, on_delete=models.PROTECT, related_name="rides")
    kind = models.CharField(max_length=20, choices=RideKind.choices)
    escort_name = models.CharField(max_length=120, blank=True)
    escort_phone = models.CharField(max_length=40, blank=True)
    relationship = models.CharField(max_length=60, blank=True)
    car_service_name = models.CharField(max_length=120, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ("-recorded_at", "-id")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.escort_name or self.car_service_name}"


class HealthUpdate(models.Model):
    """The pre-visit health update. Append-only: a second submission adds a row."""

    plan = models.ForeignKey(PreparationPlan, on_delete=models.PROTECT, related_name="health_updates")
    new_illness = models.BooleanField()
    new_illness_details = models.TextField(blank=True)
    surgery = models.BooleanField()
    surgery_details = models.TextField(blank=True)
    new_symptoms = models.BooleanField()
    new_symptoms_details = models.TextField(blank=True)
    new_medications = models.BooleanField()
    new_medications_details = models.TextField(blank=True)
    pregnant = models.CharField(max_length=12, choices=[("no", "No"), ("yes", "Yes"), ("not_sure", "Not sure"),
                                                        ("na", "Does not apply to me")])
    bp_systolic = models.PositiveSmallIntegerField(null=True, blank=True)
    bp_diastolic = models.PositiveSmallIntegerField(null=True, blank=True)
    flags = models.JSONField(default=list, blank=True, help_text="Codes of answers that need provider review")
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ("-submitted_at", "-id")

    def __str__(self) -> str:
        return f"Health update {self.submitted_at:%Y-%m-%d}"


class DayOfAttestation(models.Model):
    """What the patient says on the day: last food and drink, alcohol/drugs, medicines taken.

    Append-only; the newest counts. Feeds the check-in readiness gate (infusion stage)."""

    plan = models.ForeignKey(PreparationPlan, on_delete=models.PROTECT, related_name="attestations")
    last_solid_food_at = models.DateTimeField()
    last_clear_liquids_at = models.DateTimeField()
    last_alcohol_at = models.DateTimeField(null=True, blank=True)
    no_alcohol_or_drugs = models.BooleanField()
    medications_taken = models.TextField(blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ("-recorded_at", "-id")

    def __str__(self) -> str:
        return f"Attestation {self.recorded_at:%Y-%m-%d %H:%M}"


class Intention(models.Model):
    """The patient's own words for a visit. Private to the patient unless `shared`."""

    plan = models.ForeignKey(PreparationPlan, on_delete=models.PROTECT, related_name="intentions")
    text = models.TextField()
    shared = models.BooleanField(default=False)
    written_at = models.DateTimeField()

    class Meta:
        ordering = ("-written_at", "-id")

    def __str__(self) -> str:
        return f"Intention {self.written_at:%Y-%m-%d}"


class MedicationInstructionRecord(models.Model):
    """A medication instruction a prescriber agreed with the patient (e.g. hold the evening
    lorazepam before each visit). Applies to the patient's upcoming visits while active;
    stopping it is a state (`ended_at`), never a delete."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="medication_instructions")
    medication = models.CharField(max_length=120)
    instruction = models.CharField(max_length=30, choices=[(c, c.replace("_", " ")) for c in MEDICATION_INSTRUCTIONS])
    agreed_by_name = models.CharField(max_length=120, help_text="The prescriber's name as the patient knows it")
    reason = models.TextField(blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ("medication", "id")
        indexes = [models.Index(fields=["patient", "ended_at"], name="prep_med_patient_idx")]

    def __str__(self) -> str:
        return f"{self.medication}: {self.instruction}"


class TaskKind(models.TextChoices):
    RIDE_UNCONFIRMED = "ride_unconfirmed", "Ride home not confirmed"


class PreparationTask(models.Model):
    """A front desk to-do made by the sweep (e.g. call about an unconfirmed ride)."""

    plan = models.ForeignKey(PreparationPlan, on_delete=models.PROTECT, related_name="tasks")
    kind = models.CharField(max_length=30, choices=TaskKind.choices)
    for_starts_at = models.DateTimeField(help_text="The visit start this task was made for")
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ("created_at",)
        constraints = [
            # the sweep makes at most one task of a kind per visit time, even with two workers
            models.UniqueConstraint(fields=["plan", "kind", "for_starts_at"], name="prep_task_unique_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.plan.visit})"
