"""Outcome records: scored questionnaires, safety tasks, journal, sleep diary, course reviews.

Clinical records here are never deleted or overwritten: a questionnaire correction is a
`QuestionnaireAmendment` row that keeps the answers before and after, who, when and why;
a safety task is closed (a state) with a documented follow-up.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ketaclinic.clinics.sweeps import ClinicSweep


class Source(models.TextChoices):
    PORTAL = "portal", "Patient, in the portal"
    STAFF = "staff", "Staff, on the patient's behalf"
    PAPER = "paper", "Staff, from a paper form"
    PHONE = "phone", "Staff, by phone"
    DEMO = "demo", "Demo data"


class CustomQuestionKind(models.TextChoices):
    SCALE = "scale", "Number 0–10"
    YES_NO = "yes_no", "Yes or no"


class CustomQuestion(models.Model):
    """A clinic-defined question, answered like an instrument of one item (code "custom")."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="custom_questions")
    text = models.CharField(max_length=300)
    kind = models.CharField(max_length=10, choices=CustomQuestionKind.choices, default=CustomQuestionKind.SCALE)
    # Answers that raise a same-day safety task, e.g. [1] for "yes" to a risk question.
    risk_values = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return self.text

    @property
    def options(self) -> list[tuple[int, str]]:
        if self.kind == CustomQuestionKind.YES_NO:
            return [(0, "No"), (1, "Yes")]
        return [(n, str(n)) for n in range(11)]


FLAG_LABELS = {
    "suicidal_ideation": "Item 9: thoughts of death or self-harm",
    "item9_unanswered": "Item 9 not answered",
    "phq9_rise": "Rose 5+ points since last",
    "provisional_ptsd": "At or above the PCL-5 cut-off",
    "provisional_ptsd_dsm": "DSM-5 symptom pattern met",
    "risk_answer": "Risk answer",
}
INSTRUMENT_LABELS = {"phq9": "PHQ-9", "gad7": "GAD-7", "pcl5": "PCL-5", "pain_nrs": "Pain NRS",
                     "custom": "Clinic question"}


class QuestionnaireResponse(models.Model):
    """One completed (or partly completed) questionnaire, scored by protocol.scoring.

    `answers`/`total`/`severity`/`flags` hold the current values; `original_answers` and
    `original_total` keep what was first submitted. Changes go through amendments.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="questionnaires")
    instrument = models.CharField(max_length=20)  # phq9 | gad7 | pcl5 | pain_nrs | custom
    custom_question = models.ForeignKey(CustomQuestion, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="responses")
    answers = models.JSONField()
    original_answers = models.JSONField()
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    original_total = models.PositiveSmallIntegerField(null=True, blank=True)
    severity = models.CharField(max_length=30, blank=True)
    severity_label = models.CharField(max_length=40, blank=True)
    flags = models.JSONField(default=list, blank=True)
    supplementary = models.CharField(max_length=40, blank=True, help_text="PHQ-9/GAD-7 difficulty question")
    answered_at = models.DateTimeField()
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PORTAL)
    visit = models.ForeignKey("schedule.Visit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey("courses.TreatmentCourse", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    protocol_version = models.ForeignKey("clinics.ProtocolVersion", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    submission_key = models.CharField(max_length=40, help_text="One per form shown: a double submit is ignored")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("-answered_at",)
        constraints = [
            models.UniqueConstraint(fields=["patient", "submission_key"], name="questionnaire_unique_submission"),
        ]
        indexes = [
            # charts, baseline and course response: one patient's scores of one instrument in time order
            models.Index(fields=["patient", "instrument", "answered_at"], name="qr_patient_instr_idx"),
            # reports and worklist: a clinic's responses in a period
            models.Index(fields=["clinic", "answered_at"], name="qr_clinic_answered_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.total} for {self.patient}"

    @property
    def flag_labels(self) -> list[str]:
        return [FLAG_LABELS.get(f, f) for f in self.flags]

    @property
    def instrument_label(self) -> str:
        return INSTRUMENT_LABELS.get(self.instrument, self.instrument)

    @property
    def is_amended(self) -> bool:
        return bool(self.answers != self.original_answers)


class QuestionnaireAmendment(models.Model):
    response = models.ForeignKey(QuestionnaireResponse, on_delete=models.PROTECT, related_name="amendments")
    answers_before = models.JSONField()
    answers_after = models.JSONField()
    total_before = models.PositiveSmallIntegerField(null=True, blank=True)
    total_after = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.TextField()
    amended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amended_at = models.DateTimeField()

    class Meta:
        ordering = ("amended_at",)

    def __str__(self) -> str:
        return f"Amendment of {self.response_id} at {self.amended_at:%Y-%m-%d %H:%M}"


class SafetyTrigger(models.TextChoices):
    ITEM9 = "phq9_item9", "PHQ-9 item 9 (thoughts of death or self-harm)"
    CUSTOM_RISK = "custom_risk", "Risk answer to a clinic question"


class SafetyOutcome(models.TextChoices):
    SAFE_PLAN = "safe_plan", "Assessed; safety plan in place, continue care"
    HOLD_INFUSION = "hold_infusion", "Assessed; infusion held pending review"
    EMERGENCY = "emergency", "Sent to emergency services / crisis team"
    HOSPITALISED = "hospitalised", "Admitted to hospital"
    UNREACHABLE = "unreachable", "Could not reach patient; escalated per protocol"
    OTHER = "other", "Other (described)"


class SafetyTask(models.Model):
    """Same-day clinician follow-up of a risk answer. Closed only with a documented follow-up."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="safety_tasks")
    response = models.OneToOneField(QuestionnaireResponse, on_delete=models.PROTECT, related_name="safety_task")
    trigger = models.CharField(max_length=20, choices=SafetyTrigger.choices)
    detail = models.CharField(max_length=300)
    due_at = models.DateTimeField(help_text="End of the clinic day it was raised")
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    contacted_by_name = models.CharField(max_length=200, blank=True, help_text="Who did the follow-up")
    contacted_at = models.DateTimeField(null=True, blank=True, help_text="When the follow-up happened")
    action_taken = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, choices=SafetyOutcome.choices, blank=True)

    class Meta:
        ordering = ("due_at", "id")
        indexes = [
            # staff home / worklist: a clinic's open tasks, most urgent first
            models.Index(fields=["clinic", "closed_at", "due_at"], name="safety_clinic_open_idx"),
        ]

    def __str__(self) -> str:
        return f"Safety follow-up for {self.patient}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class JournalTag(models.TextChoices):
    # Patients see these labels: translated (outcomes catalog).
    AFTER_EFFECTS = "after_effects", _("After-effects")
    SLEEP = "sleep", _("Sleep")
    INSIGHTS = "insights", _("Insights")


class JournalEntry(models.Model):
    """The patient's own writing. Private unless the patient shares this entry with the care team."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="journal_entries")
    text = models.TextField()
    mood = models.PositiveSmallIntegerField(null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    visit = models.ForeignKey("schedule.Visit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    shared = models.BooleanField(default=False)
    shared_at = models.DateTimeField(null=True, blank=True)
    submission_key = models.CharField(max_length=40)
    written_at = models.DateTimeField()

    class Meta:
        ordering = ("-written_at",)
        constraints = [
            models.UniqueConstraint(fields=["patient", "submission_key"], name="journal_unique_submission"),
        ]
        indexes = [
            # the patient's journal, newest first; the care team's shared entries of a patient
            models.Index(fields=["patient", "written_at"], name="journal_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"Journal entry of {self.patient} at {self.written_at:%Y-%m-%d}"

    def tag_labels(self) -> list[str]:
        return [str(JournalTag(t).label) for t in self.tags if t in JournalTag.values]


class SleepDiaryEntry(models.Model):
    """One night of the Consensus Sleep Diary, with metrics from protocol.sleep."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="sleep_entries")
    night_of = models.DateField(help_text="The date of the evening the night began")
    in_bed = models.DateTimeField()
    tried_to_sleep = models.DateTimeField()
    sleep_onset_minutes = models.PositiveSmallIntegerField()
    awakenings = models.PositiveSmallIntegerField()
    wake_after_sleep_onset_minutes = models.PositiveSmallIntegerField()
    final_wake = models.DateTimeField()
    out_of_bed = models.DateTimeField()
    quality = models.PositiveSmallIntegerField()
    time_in_bed_minutes = models.PositiveSmallIntegerField()
    total_sleep_minutes = models.PositiveSmallIntegerField()
    sleep_efficiency_percent = models.DecimalField(max_digits=4, decimal_places=1)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("-night_of",)
        constraints = [models.UniqueConstraint(fields=["patient", "night_of"], name="sleep_one_entry_per_night")]

    def __str__(self) -> str:
        return f"Sleep diary of {self.patient} for {self.night_of}"


class ReviewDecision(models.TextChoices):
    MAINTENANCE = "maintenance", "Start maintenance (book first booster)"
    TITRATE = "titrate", "Titrate the dose"
    EXTEND = "extend", "Extend induction"
    STOP = "stop", "Stop ketamine treatment; other options"
    OTHER = "other", "Other (described)"


class CourseReview(models.Model):
    """The provider's decision after an induction course, with the rule suggestion they saw."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="course_reviews")
    course = models.ForeignKey("courses.TreatmentCourse", on_delete=models.PROTECT, related_name="reviews")
    instrument = models.CharField(max_length=20)
    baseline = models.PositiveSmallIntegerField(null=True, blank=True)
    latest = models.PositiveSmallIntegerField(null=True, blank=True)
    change_percent = models.FloatField(null=True, blank=True)
    category = models.CharField(max_length=20, blank=True)
    suggestion_kind = models.CharField(max_length=30, blank=True)
    suggestion_text = models.TextField(blank=True)
    decision = models.CharField(max_length=20, choices=ReviewDecision.choices)
    reason = models.TextField()
    maintenance_course = models.ForeignKey("courses.TreatmentCourse", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    protocol_version = models.ForeignKey("clinics.ProtocolVersion", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    submission_key = models.CharField(max_length=40)

    class Meta:
        ordering = ("-decided_at",)
        constraints = [
            models.UniqueConstraint(fields=["course", "submission_key"], name="review_unique_submission"),
        ]

    def __str__(self) -> str:
        return f"Review of {self.course}: {self.get_decision_display()}"


class ReminderSweep(ClinicSweep):
    """Due work: when to next look for questionnaires to remind a clinic's patients about."""

    class Meta:
        indexes = [
            # the worker's claim query: sweeps due now
            models.Index(fields=["due_at"], name="reminder_sweep_due_idx"),
        ]

    def __str__(self) -> str:
        return f"Reminder sweep for clinic {self.clinic_id} at {self.due_at:%Y-%m-%d %H:%M}"
