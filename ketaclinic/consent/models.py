"""Informed consent: versioned templates per clinic and the signatures patients give.

Nothing here is ever edited or deleted. A change to the form is a new template version; a
signature keeps a snapshot of the exact words signed; taking consent back is a withdrawal row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsentTemplate(models.Model):
    """One version of a clinic's consent form, in English and Spanish. Never edited."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="consent_templates")
    version = models.PositiveIntegerField()
    title_en = models.CharField(max_length=200)
    body_en = models.TextField()
    title_es = models.CharField(max_length=200)
    body_es = models.TextField()
    requires_reconsent = models.BooleanField(
        default=False, help_text="Patients who signed an earlier version must sign this one before their next visit.")
    change_note = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ("-version",)
        constraints = [
            models.UniqueConstraint(fields=["clinic", "version"], name="consent_template_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.clinic} consent v{self.version}"

    def title(self, language: str) -> str:
        return self.title_es if language == "es" else self.title_en

    def body(self, language: str) -> str:
        return self.body_es if language == "es" else self.body_en


class SignMethod(models.TextChoices):
    PORTAL = "portal", _("Patient portal")
    TABLET = "tablet", _("Clinic tablet, staff witness")


class ConsentSignature(models.Model):
    """A patient's signature on one template version, with a snapshot of the exact text signed."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="consent_signatures")
    template = models.ForeignKey(ConsentTemplate, on_delete=models.PROTECT, related_name="signatures")
    version = models.PositiveIntegerField()
    language = models.CharField(max_length=5)
    title_snapshot = models.CharField(max_length=200)
    text_snapshot = models.TextField(help_text="The exact words the patient read and signed.")
    text_sha256 = models.CharField(max_length=64)
    document_html = models.TextField(help_text="The printable signed copy, rendered at signing.")
    typed_name = models.CharField(max_length=200)
    signed_on = models.DateField(help_text="The date the patient wrote next to their name.")
    signed_at = models.DateTimeField()
    method = models.CharField(max_length=10, choices=SignMethod.choices)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  help_text="The account used: the patient's, or the witnessing staff member's.")
    witness = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("-signed_at",)
        indexes = [
            # consent_status(): a patient's signatures, newest first
            models.Index(fields=["patient", "-signed_at"], name="consent_sig_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} signed consent v{self.version} on {self.signed_on}"


class ConsentWithdrawal(models.Model):
    """The patient took their consent back (their right at any time). Ends every earlier signature."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="consent_withdrawals")
    withdrawn_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ("-withdrawn_at",)
        indexes = [models.Index(fields=["patient", "-withdrawn_at"], name="consent_wd_patient_idx")]

    def __str__(self) -> str:
        return f"{self.patient} withdrew consent at {self.withdrawn_at:%Y-%m-%d %H:%M}"
