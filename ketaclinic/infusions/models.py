"""Infusion-day records: check-in, gate overrides, dose orders, pump events, vitals and alerts,
observations, adverse events, rescue medicines, the controlled-substance log, call requests,
discharge and the next-day check-in.

Clinical rows are never edited in place. A correction is a new row whose `amends` points at
the row it corrects (with who, when and why); readers take the rows nobody amends
(`current()` on the manager). Acknowledging an alert or answering a call fills in its
acknowledgement fields once; nothing else is ever updated.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models


class CurrentQuerySet(models.QuerySet[Any]):
    def current(self) -> CurrentQuerySet:
        """Rows that no later amendment replaces."""
        return self.filter(amended_by__isnull=True)


class Phase(models.TextChoices):
    BASELINE = "baseline", "Baseline"
    INFUSION = "infusion", "Infusion"
    RECOVERY = "recovery", "Recovery"


class VitalSource(models.TextChoices):
    MANUAL = "manual", "Entered by staff"
    MONITOR = "monitor", "Bedside monitor"


class VitalSign(models.Model):
    """One set of vitals. Monitor-fed readings keep their device id and are confirmed by a nurse."""

    # Few indexes: the bedside-monitor feed inserts a reading a second per chair. Readings are
    # found by visit (vital_visit_taken_idx); the other links are never searched on their own.
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+", db_index=False)
    visit = models.ForeignKey("schedule.Visit", on_delete=models.PROTECT, related_name="vital_signs", db_index=False)
    taken_at = models.DateTimeField()
    phase = models.CharField(max_length=10, choices=Phase.choices)
    systolic = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(null=True, blank=True)
    heart_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField(null=True, blank=True)
    respiratory_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    temperature_c = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    rass = models.SmallIntegerField(null=True, blank=True)
    repeat = models.BooleanField(default=False, help_text="Blood pressure re-measured after rest.")
    symptoms = models.BooleanField(default=False, help_text="Chest pain, breathlessness, severe headache, "
                                                            "vision change, new weakness or confusion.")
    source = models.CharField(max_length=10, choices=VitalSource.choices, default=VitalSource.MANUAL)
    device_id = models.CharField(max_length=64, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", db_index=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", help_text="Empty for a monitor feed (see device_id).",
                                   db_index=False)
    created_at = models.DateTimeField()
    amends = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="amended_by")
    amend_reason = models.CharField(max_length=300, blank=True)

    objects = CurrentQuerySet.as_manager()

    class Meta:
        ordering = ("taken_at", "id")
        indexes = [
            # vitals table and next-due: one visit's readings in time order
            models.Index(fields=["visit", "taken_at"], name="vital_visit_taken_idx"),
        ]

    def __str__(self) -> str:
        return f"Vitals {self.taken_at:%H:%M} {self.bp_text}"

    @property
    def bp_text(self) -> str:
        if self.systolic is None and self.diastolic is None:
            return "–"
        return f"{self.systolic or '?'}/{self.diastolic or '?'}"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class VitalAlert(models.Model):
    """A protocol finding on a reading; stays open until a licensed user acknowledges it."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey("schedule.Visit", on_delete=models.PROTECT, related_name="vital_alerts")
    vital_sign = models.ForeignKey(VitalSign, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    vital = models.CharField(max_length=30)
    code = models.CharField(max_length=40)
    severity = models.CharField(max_length=10)  # warning | critical
    message = models.CharField(max_length=300)
    suggested_action = models.CharField(max_length=400)
    raised_at = models.DateTimeField()
    status = models.CharField(max_length=15, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    action_taken = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("raised_at", "id")
        indexes = [
            # floor board: open alerts of a clinic's visits
            models.Index(fields=["clinic", "status"], name="alert_clinic_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"


class CheckIn(models.Model):
    """One version of the visit's pre-infusion checks. Each save adds a row; the newest counts."""

    class Pregnancy(models.TextChoices):
        NOT_APPLICABLE = "not_applicable", "Not applicable"
        NEGATIVE = "negative", "Test negative"
        POSITIVE = "positive", "Test positive"
        NOT_DONE = "not_done", "Not done yet"

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey("schedule.Visit", on_delete=models.PROTECT, related_name="checkins")
    health_update_reviewed = models.BooleanField(default=False)
    health_update_note = models.TextField(blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    height_cm = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    last_solid_food_at = models.DateTimeField(null=True, blank=True)
    last_clear_liquids_at = models.DateTimeField(null=True, blank=True)
    last_alcohol_at = models.DateTimeField(null=True, blank=True)
    no_alcohol_or_drugs = models.BooleanField(default=False)
    medications_taken = models.TextField(blank=True)
    medications_confirmed = models.BooleanField(default=False)
    ride_name = models.CharField(max_length=120, blank=True)
    ride_phone = models.CharField(max_length=40, blank=True)
    ride_confirmed = models.BooleanField(default=False)
    pregnancy = models.CharField(max_length=20, choices=Pregnancy.choices, default=Pregnancy.NOT_DONE)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ("recorded_at", "id")
        get_latest_by = ("recorded_at", "id")

    def __str__(self) -> str:
        return f"Check-in for visit {self.visit_id} at {self.recorded_at:%H:%M}"


class GateOverride(models.Model):
    """A provider lets one unmet readiness item pass, with a reason."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey("schedule.Visit", on_delete=models.PROTECT, related_name="gate_overrides")
    item = models.CharField(max_length=40)
    reason = models.TextField()
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    overridden_at = models.DateTimeField()

    class Meta:
        ordering = ("overridden_at",)
        constraints = [models.UniqueConstraint(fields=["visit", "item"], name="gate_override_once_per_item")]

    def __str__(self) -> str:
        return f"Override {self.item} on visit {self.visit_id}"


class DoseOrder(models.Model):
    """A provider's order with everything the calculation produced and every finding's decision."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey("schedule.Visit", on_delete=models.PROTECT, related_name="dose_orders")
    protocol_version = models.ForeignKey("clinics.ProtocolVersion", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    weight_kg = models.DecimalField(max_digits=6, decimal_places=2)
    height_cm = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    weight_basis = models.CharField(max_length=10)
    dosing_weight_kg = models.DecimalField(max_digits=6, decimal_places=2)
    dose_mg_per_kg = models.DecimalField(max_digits=6, decimal_places=3)
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2)
    concentration_mg_per_ml = models.DecimalField(max_digits=6, decimal_places=2)
    bag_volume_ml = models.DecimalField(max_digits=6, decimal_places=1)
    drug_volume_ml = models.DecimalField(max_digits=7, decimal_places=3)
    total_volume_ml = models.DecimalField(max_digits=7, decimal_places=2)
    final_concentration_mg_per_ml = models.DecimalField(max_digits=7, decimal_places=3)
    duration_minutes = models.DecimalField(max_digits=6, decimal_places=1)
    rate_ml_per_h = models.DecimalField(max_digits=7, decimal_places=2)
    findings = models.JSONField(default=list)
    acknowledgement_reason = models.TextField(blank=True)
    ordered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ordered_at = models.DateTimeField()
    cosigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    cosigned_at = models.DateTimeField(null=True, blank=True)
    cosign_reason = models.TextField(blank=True)
    amends = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="amended_by")
    amend_reason = models.CharField(max_length=300, blank=True)

    objects = CurrentQuerySet.as_manager()

    class Meta:
        ordering = ("ordered_at", "id")

    def __str__(self) -> str:
        return f"{self.dose_mg} mg over {self.duration_minutes} min at {self.rate_ml_per_h} mL/h"

    @property
    def has_hard_stop(self) -> bool:
        return any(f.get("severity") == "hard_stop" for f in self.findings)


class PumpEventKind(models.TextChoices):
    START = "start", "Start"
    PAUSE = "pause", "Pause"
    RATE_CHANGE = "rate_change", "Rate change"
    RESUME = "resume", "Resume"
    STOP = "stop", "Stop"


class PumpEvent(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey("schedule.Visit", on_delete=models.PROTECT, related_name="pump_events")
    dose_order = models.ForeignKey(DoseOrder, on_delete=models.PROTECT, related_name="pump_events")
    kind = models.CharField(max_length=12, choices=PumpEventKind.choices)
    at = models.DateTimeField()
    rate_ml_per_h = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True,
                                        help_text="Rate programmed from this moment (0 while paused).")
    volume_infused_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True,
                                            help_text="Volume the pump shows as infused (at stop).")
    reason = models.CharField(max_length=300, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%H:%M}"


class ObservationKind(models.TextChoices):
    CADSS6 = "cadss6", "Dissociation (CADSS-6, 0–24)"
    RASS = "rass", "Sedation/agitation (RASS −5 to +4)"
    NAUSEA = "nausea", "Nausea (0 none – 3 severe)"
    EMERGENCE = "emergence", "Emergence reaction"
    NOTE = "note", "Note"


class Observation(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey("schedule.Visit", on_delete=models.PROTECT, related_name="observations")
    kind = models.CharField(max_length=12, choices=ObservationKind.choices)
    value = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    observed_at = models.DateTimeField()
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amends = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="amended_by")
    amend_reason = models.CharField(max_length=300, blank=True)

    objects = CurrentQuerySet.as_manager()

    class Meta:
        ordering = ("observed_at", "id")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value if self.value is not None else ''}"


class AdverseEventSeverity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"
    LIFE_THREATENING = "life_threatening", "Life-threatening"


class AdverseEvent(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey("schedule.Visit", on_delete=models.PROTECT, related_name="adverse_events")
    event_type = models.CharField(max_length=80)
    severity = models.CharField(max_length=20, choices=AdverseEventSeverity.choices)
    onset_at = models.DateTimeField()
    action_taken = models.TextField()
    outcome = models.CharField(max_length=200, blank=True)
    provider_notified = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="+")
    provider_notified_at = models.DateTimeField(null=True, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    amends = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="amended_by")
    amend_reason = models.CharField(max_length=300, blank=True)

    objects = CurrentQuerySet.as_manager()

    class Meta:
        ordering = ("onset_at", "id")

    def __str__(self) -> str:
        return f"{self.event_type} ({self.severity})"


class RescueMedication(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey("schedule.Visit", on_delete=models.PROTECT, related_name="rescue_medications")
    adverse_event = models.ForeignKey(AdverseEvent, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="rescue_medications")
    drug = models.CharField(max_length=80)
    dose = models.DecimalField(max_digits=7, decimal_places=2)
    unit = models.CharField(max_length=10, default="mg")
    route = models.CharField(max_length=20)
    given_at = models.DateTimeField()
    ordered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("given_at", "id")

    def __str__(self) -> str:
        return f"{self.drug} {self.dose} {self.unit} {self.route}"


class CsKind(models.TextChoices):
    RECEIVED = "received", "Received into stock"
    DRAWN = "drawn", "Drawn up for a patient"
    GIVEN = "given", "Given to the patient"
    WASTED = "wasted", "Wasted (witnessed)"
    COUNTED = "counted", "Physical count"
    DISPOSED = "disposed", "Stock disposed of (witnessed)"


class DisposalMethod(models.TextChoices):
    """How unusable stock (expired, damaged, unwanted) leaves the clinic (clinical-reference §12, 21 CFR 1317)."""

    REVERSE_DISTRIBUTOR = "reverse_distributor", "Handed to a reverse distributor"
    ON_SITE = "on_site", "Destroyed on site (DEA Form 41)"


class ControlledSubstanceEntry(models.Model):
    """One line of the clinic's ketamine log. Stock moves by `mg`; a count records what is on hand."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey("schedule.Visit", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="cs_entries")
    kind = models.CharField(max_length=10, choices=CsKind.choices)
    lot = models.CharField(max_length=40)
    expires_on = models.DateField()
    concentration_mg_per_ml = models.DecimalField(max_digits=6, decimal_places=2)
    mg = models.DecimalField(max_digits=8, decimal_places=2)
    at = models.DateTimeField()
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    note = models.CharField(max_length=300, blank=True)
    disposal_method = models.CharField(max_length=20, choices=DisposalMethod.choices, blank=True)
    disposal_reference = models.CharField(max_length=80, blank=True,
                                          help_text="DEA Form 41 number or the reverse distributor's receipt.")

    class Meta:
        ordering = ("at", "id")
        indexes = [
            # running inventory per lot; visit reconciliation
            models.Index(fields=["clinic", "lot", "at"], name="cs_clinic_lot_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.mg} mg lot {self.lot}"


class CallRequest(models.Model):
    """The patient pressed "call nurse" in the portal."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey("schedule.Visit", on_delete=models.PROTECT, related_name="call_requests")
    requested_at = models.DateTimeField()
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("requested_at",)
        constraints = [
            # a double tap never makes two open calls
            models.UniqueConstraint(fields=["visit"], condition=models.Q(answered_at__isnull=True),
                                    name="call_request_one_open_per_visit"),
        ]

    def __str__(self) -> str:
        return f"Call from visit {self.visit_id} at {self.requested_at:%H:%M}"


class DischargeScore(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey("schedule.Visit", on_delete=models.PROTECT, related_name="discharge_scores")
    score = models.CharField(max_length=10)  # aldrete | padss
    components = models.JSONField()
    total = models.PositiveSmallIntegerField()
    minutes_since_end = models.DecimalField(max_digits=6, decimal_places=1)
    ready = models.BooleanField()
    reasons = models.JSONField(default=list)
    scored_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scored_at = models.DateTimeField()

    class Meta:
        ordering = ("scored_at", "id")

    def __str__(self) -> str:
        return f"{self.score} {self.total}"


class Discharge(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    visit = models.OneToOneField("schedule.Visit", on_delete=models.PROTECT, related_name="discharge")
    escort_name = models.CharField(max_length=120)
    escort_relationship = models.CharField(max_length=60)
    escort_phone = models.CharField(max_length=40, blank=True)
    escort_matches_ride = models.BooleanField()
    override_reason = models.TextField(blank=True)
    override_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    aftercare_given = models.BooleanField(default=True)
    discharged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    discharged_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Discharged to {self.escort_name} ({self.escort_relationship})"


class FollowUp(models.Model):
    """The next-day check-in: due the morning after, answered by the patient in the portal."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    visit = models.OneToOneField("schedule.Visit", on_delete=models.PROTECT, related_name="follow_up")
    due_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answers = models.JSONField(default=dict)
    flagged = models.BooleanField(default=False)
    flag_reasons = models.JSONField(default=list)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # nurse worklist: flagged answers not yet reviewed
            models.Index(fields=["clinic", "flagged", "reviewed_at"], name="followup_flagged_idx"),
        ]

    def __str__(self) -> str:
        return f"Next-day check-in for visit {self.visit_id}"


def decimal_or_none(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))
