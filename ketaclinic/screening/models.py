"""Screening records: referral, intake, medications, baseline measures, eligibility runs, decisions.

Clinical records here are append-only: an intake save adds a new version of that section, a
stopped medication keeps its row with `stopped_at`, an eligibility run is a new numbered
assessment, a resolved review flag keeps who resolved it and why.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_noop as _  # marks labels only; pages translate them

from ketaclinic.patients.models import Language


class Severity(models.TextChoices):
    INFO = "info", "Info"
    CAUTION = "caution", "Caution"
    HOLD = "hold", "Hold"
    CONTRAINDICATED = "contraindicated", "Contraindicated"


BLOCKING_SEVERITIES = (Severity.HOLD, Severity.CONTRAINDICATED)


class CaseStatus(models.TextChoices):
    REFERRED = "referred", "Referred (invited)"
    INTAKE = "intake", "Intake in progress"
    READY = "ready", "Ready for review"
    CLEARANCE = "clearance", "Waiting for clearance"
    DEFERRED = "deferred", "Deferred"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


OPEN_CASE_STATUSES = (CaseStatus.REFERRED, CaseStatus.INTAKE, CaseStatus.READY, CaseStatus.CLEARANCE,
                      CaseStatus.DEFERRED)


class ScreeningCase(models.Model):
    """One screening episode of one patient, from referral to the provider's decision."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="screening_cases")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="screening_cases")
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.REFERRED)
    status_changed_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True, help_text="When the intake was sent for review")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ("-created_at",)
        indexes = [
            # screening queue: one clinic's cases by status, oldest change first
            models.Index(fields=["clinic", "status", "status_changed_at"], name="screening_case_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"Screening of {self.patient} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CASE_STATUSES


class ReferralSource(models.TextChoices):
    CLINICIAN = "clinician", "Clinician referral"
    SELF = "self", "Self-referral"


class Referral(models.Model):
    """Who sent the patient and why (entered by the front desk, or made by the public self-referral form)."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="referrals")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="referrals")
    case = models.ForeignKey(ScreeningCase, on_delete=models.PROTECT, related_name="referrals")
    source = models.CharField(max_length=20, choices=ReferralSource.choices, default=ReferralSource.CLINICIAN)
    referring_clinician = models.CharField(max_length=200, blank=True)
    referring_practice = models.CharField(max_length=200, blank=True)
    referring_phone = models.CharField(max_length=40, blank=True)
    referring_email = models.EmailField(blank=True)
    indication_code = models.CharField(max_length=10, blank=True, help_text="ICD-10-CM, e.g. F33.2")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.get_source_display()} of {self.patient_id} on {self.created_at:%Y-%m-%d}"


class SelfReferral(models.Model):
    """A request from the public page, kept as sent.

    The submission itself registers the person and invites them to the portal (`patient`); the
    front desk then checks the details. When the details matched a patient already registered,
    no chart or email is made (`matched_existing`, `patient` is that chart) and the front desk
    contacts the person.
    """

    class Status(models.TextChoices):
        NEW = "new", "New"
        CHECKED = "checked", "Details checked"
        ACCEPTED = "accepted", "Accepted"  # before self-referrals registered the patient at once
        DISMISSED = "dismissed", "Dismissed"

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="self_referrals")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(max_length=10)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    preferred_language = models.CharField(max_length=5, choices=Language.choices, default=Language.ENGLISH,
                                          help_text="The language of the form used")
    ip = models.GenericIPAddressField(null=True, blank=True)
    matched_existing = models.BooleanField(default=False, help_text="Same name, birth date and email as a "
                                           "registered patient: no new chart, no email")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField()
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    handled_note = models.CharField(max_length=300, blank=True)
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")

    class Meta:
        ordering = ("created_at",)
        indexes = [
            # rate limit: requests from one address in the last hour
            models.Index(fields=["ip", "created_at"], name="selfref_ip_created_idx"),
            # front desk list of new requests
            models.Index(fields=["clinic", "status", "created_at"], name="selfref_clinic_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Self-referral {self.first_name} {self.last_name} ({self.status})"


class IntakeEntry(models.Model):
    """One saved version of one intake section (the newest per section is current)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="intake_entries")
    section = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    saved_at = models.DateTimeField()
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    on_behalf = models.BooleanField(default=False, help_text="Entered by staff on the patient's behalf")

    class Meta:
        ordering = ("-saved_at", "-id")
        indexes = [
            # the current version of each section of one patient's intake
            models.Index(fields=["patient", "section", "-saved_at"], name="intake_current_idx"),
        ]

    def __str__(self) -> str:
        return f"Intake {self.section} of {self.patient_id} at {self.saved_at:%Y-%m-%d %H:%M}"


class Medication(models.Model):
    """A current medication or supplement. Stopping it keeps the row (`stopped_at`)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="screening_medications")
    name = models.CharField(max_length=200)
    dose = models.CharField(max_length=100, blank=True, help_text="e.g. 1 mg twice a day")
    is_supplement = models.BooleanField(default=False)
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    on_behalf = models.BooleanField(default=False)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ("added_at", "id")

    def __str__(self) -> str:
        return f"{self.name} {self.dose}".strip()

    @property
    def rule_text(self) -> str:
        """What the interaction review reads (name and dose)."""
        return f"{self.name} {self.dose}".strip()


class TrialResponse(models.TextChoices):
    NONE = "none", _("It did not help")
    PARTIAL = "partial", _("It helped a little")
    RESPONSE = "response", _("It helped a lot")
    REMISSION = "remission", _("My symptoms went away")


class AntidepressantTrialRecord(models.Model):
    """A prior antidepressant the patient tried in this episode (drug, dose, weeks, response)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="antidepressant_trials")
    drug = models.CharField(max_length=120)
    dose = models.CharField(max_length=60, blank=True)
    weeks = models.PositiveSmallIntegerField()
    response = models.CharField(max_length=20, choices=TrialResponse.choices)
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    on_behalf = models.BooleanField(default=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True, help_text="Entered by mistake (kept for history)")

    class Meta:
        ordering = ("added_at", "id")

    def __str__(self) -> str:
        return f"{self.drug} {self.weeks} weeks ({self.response})"


class ScreeningMeasure(models.Model):
    """A baseline score: PHQ-9, GAD-7, PCL-5 (answers scored by protocol.scoring) or pain 0-10."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="screening_measures")
    instrument = models.CharField(max_length=10)
    answers = models.JSONField(default=list)
    total = models.PositiveSmallIntegerField(null=True)
    severity = models.CharField(max_length=40, blank=True)
    flags = models.JSONField(default=list)
    taken_at = models.DateTimeField()
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    on_behalf = models.BooleanField(default=False)

    class Meta:
        ordering = ("-taken_at", "-id")
        indexes = [models.Index(fields=["patient", "instrument", "-taken_at"], name="measure_latest_idx")]

    def __str__(self) -> str:
        return f"{self.instrument} {self.total} at {self.taken_at:%Y-%m-%d}"


class BaselineVitals(models.Model):
    """Resting baseline vitals for screening (portal home reading or screening visit)."""

    class Source(models.TextChoices):
        HOME = "home", _("Home reading")
        CLINIC = "clinic", _("Clinic reading")

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="baseline_vitals")
    systolic = models.PositiveSmallIntegerField()
    diastolic = models.PositiveSmallIntegerField()
    heart_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.CLINIC)
    taken_at = models.DateTimeField()
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ("-taken_at", "-id")

    def __str__(self) -> str:
        return f"{self.systolic}/{self.diastolic} at {self.taken_at:%Y-%m-%d %H:%M}"


class DocumentKind(models.TextChoices):
    REFERRAL = "referral", _("Referral letter")
    RECORDS = "records", _("Medical records")
    CLEARANCE_REPLY = "clearance_reply", _("Clearance reply")
    OTHER = "other", _("Other")


def _document_path(instance: ScreeningDocument, filename: str) -> str:
    # Random name on disk: the original name is kept in the row and never used as a path.
    import uuid

    return f"screening/{instance.patient_id}/{uuid.uuid4().hex}"


class ScreeningDocument(models.Model):
    """An uploaded file; downloaded only through the access-controlled view."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="screening_documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices, default=DocumentKind.OTHER)
    file = models.FileField(upload_to=_document_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ("-uploaded_at", "-id")

    def __str__(self) -> str:
        return self.original_name


class EligibilityAssessment(models.Model):
    """One run of the eligibility rules, numbered per patient, with its input and findings."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="eligibility_assessments")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=20)  # eligible | needs_review | ineligible
    treatment_resistant = models.BooleanField(null=True)
    inputs = models.JSONField()
    findings = models.JSONField()
    interactions = models.JSONField(default=dict)
    error = models.CharField(max_length=300, blank=True, help_text="Why the rules could not run (input problem)")
    reason = models.CharField(max_length=200)
    protocol_version = models.ForeignKey("clinics.ProtocolVersion", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    run_at = models.DateTimeField()
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ("-version",)
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="assessment_unique_version"),
        ]

    def __str__(self) -> str:
        return f"Assessment {self.version} of {self.patient_id}: {self.status}"

    @property
    def status_label(self) -> str:
        return {"eligible": "Eligible", "needs_review": "Needs review", "ineligible": "Ineligible"}.get(
            self.status, self.status)

    def findings_to_acknowledge(self) -> list[tuple[int, dict[str, Any]]]:
        """(position, finding) of every hold and caution finding: each needs a provider's acknowledgement."""
        return [(i, f) for i, f in enumerate(self.findings) if f["severity"] in ACKNOWLEDGED_SEVERITIES]

    def blocking_codes(self) -> set[str]:
        return {f["code"] for f in self.findings if f["severity"] in BLOCKING_SEVERITIES}


# Findings a provider acknowledges one by one before approving (a contraindication blocks approval).
ACKNOWLEDGED_SEVERITIES = (Severity.CAUTION, Severity.HOLD)


class FindingAcknowledgement(models.Model):
    """A provider has looked at one hold or caution finding of one rules run (who, when, optional note).

    Tied to the run: a new run (the history changed) needs its findings acknowledged again. A
    finding is named by its position in the run's stored findings (codes repeat, e.g. two
    unrecognised medicines), with its code kept as a check.
    """

    assessment = models.ForeignKey(EligibilityAssessment, on_delete=models.PROTECT, related_name="acknowledgements")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    finding_index = models.PositiveSmallIntegerField()
    finding_code = models.CharField(max_length=80)
    severity = models.CharField(max_length=20, choices=Severity.choices)
    message = models.TextField(help_text="The finding's words as the provider saw them")
    note = models.CharField(max_length=500, blank=True)
    acknowledged_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                        related_name="+")

    class Meta:
        ordering = ("acknowledged_at", "id")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "finding_index"], name="acknowledgement_once_per_finding"),
        ]

    def __str__(self) -> str:
        return f"{self.finding_code} acknowledged by {self.acknowledged_by_id} at {self.acknowledged_at:%Y-%m-%d}"


class OverrideStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a second signature"
    APPROVED = "approved", "Co-signed"
    REFUSED = "refused", "Refused by the second prescriber"


class ContraindicationOverride(models.Model):
    """A provider proposes to treat despite the contraindications of one rules run.

    A contraindication blocks approval. The clinic's standard for overriding a hard limit is a
    written reason and a second signature: another prescriber co-signs (or refuses, with a note).
    Tied to the run: a new run (the history changed) needs a new override.
    """

    assessment = models.ForeignKey(EligibilityAssessment, on_delete=models.PROTECT, related_name="overrides")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    findings = models.JSONField(help_text="The contraindicated findings as the provider saw them")
    reason = models.TextField()
    proposed_at = models.DateTimeField()
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=OverrideStatus.choices, default=OverrideStatus.PENDING)
    cosigned_at = models.DateTimeField(null=True, blank=True)
    cosigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    cosign_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ("proposed_at", "id")
        constraints = [
            models.UniqueConstraint(fields=["assessment"], condition=~models.Q(status="refused"),
                                    name="one_live_override_per_run"),
        ]

    def __str__(self) -> str:
        return f"override of run {self.assessment_id}: {self.status}"


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    DECLINE = "decline", "Decline"
    DEFER = "defer", "Defer"


class ScreeningDecision(models.Model):
    """The provider's decision, with the assessment they saw and their reason."""

    case = models.ForeignKey(ScreeningCase, on_delete=models.PROTECT, related_name="decisions")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="screening_decisions")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.TextField()
    patient_message = models.TextField(blank=True, help_text="Extra words shown to the patient (optional)")
    assessment = models.ForeignKey(EligibilityAssessment, null=True, on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey("courses.TreatmentCourse", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    decided_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ("-decided_at", "-id")

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.decided_by_id} at {self.decided_at:%Y-%m-%d}"


class ClearanceStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    RECEIVED = "received", "Reply received"
    ACCEPTED = "accepted", "Accepted"


class ClearanceRequest(models.Model):
    """A request for medical clearance from the patient's primary care doctor or cardiologist."""

    class Recipient(models.TextChoices):
        PCP = "pcp", "Primary care physician"
        CARDIOLOGIST = "cardiologist", "Cardiologist"
        OTHER = "other", "Other specialist"

    case = models.ForeignKey(ScreeningCase, on_delete=models.PROTECT, related_name="clearances")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="clearance_requests")
    recipient_kind = models.CharField(max_length=20, choices=Recipient.choices)
    recipient_name = models.CharField(max_length=200)
    recipient_email = models.EmailField(blank=True)
    recipient_fax = models.CharField(max_length=40, blank=True)
    question = models.TextField(help_text="What the provider asks the clinician to confirm")
    letter = models.TextField()
    status = models.CharField(max_length=20, choices=ClearanceStatus.choices, default=ClearanceStatus.REQUESTED)
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    emailed_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reply_document = models.ForeignKey(ScreeningDocument, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ("-requested_at", "-id")

    def __str__(self) -> str:
        return f"Clearance from {self.recipient_name} ({self.status})"


class ReviewFlag(models.Model):
    """A finding that needs a provider's look before the patient's next infusion.

    Raised when a health update brings a new hold/contraindicated finding after approval, on
    each upcoming visit (or on the patient when none is booked). The infusion-day readiness gate
    blocks while any flag is unresolved (access.open_review_flags).
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="review_flags")
    visit = models.ForeignKey("schedule.Visit", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="review_flags")
    assessment = models.ForeignKey(EligibilityAssessment, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="review_flags")
    finding_code = models.CharField(max_length=80)
    severity = models.CharField(max_length=20, choices=Severity.choices)
    message = models.TextField()
    source = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ("created_at", "id")
        indexes = [
            # readiness gate and review queue: a patient's unresolved flags
            models.Index(fields=["patient", "resolved_at"], name="reviewflag_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.finding_code} for {self.patient}"
