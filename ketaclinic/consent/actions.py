"""Writes for consent: template versions, signatures (portal or witnessed tablet), withdrawals."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.audit.log import current_ip, record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.consent import default_text
from ketaclinic.consent.access import DEFAULT_VERSION, consent_status
from ketaclinic.consent.models import ConsentSignature, ConsentTemplate, ConsentWithdrawal, SignMethod
from ketaclinic.consent.text import names_match, to_blocks
from ketaclinic.patients.models import Patient

LANGUAGES = ("en", "es")


class ConsentError(ValueError):
    """A signature or template change that cannot be accepted; `field` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@transaction.atomic
def do_ensure_consent_template(acting_user: User | None, clinic: Clinic, *,
                               now: datetime | None = None) -> ConsentTemplate:
    """The clinic's current consent form, saving our built-in default as version 1 if it has none.

    Who: called by the other consent actions (and the demo seeder). Writes: ConsentTemplate, AuditEvent
    (only the first time).
    """
    # Lock the clinic row so two first signatures do not both try to save version 1.
    Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
    template = ConsentTemplate.objects.filter(clinic=clinic).order_by("-version").first()
    if template is not None:
        return template
    now = now or timezone.now()
    template = ConsentTemplate.objects.create(
        clinic=clinic, version=DEFAULT_VERSION, title_en=default_text.TITLE_EN, body_en=default_text.BODY_EN,
        title_es=default_text.TITLE_ES, body_es=default_text.BODY_ES, requires_reconsent=False,
        change_note="Built-in default form.", created_at=now, created_by=None)
    record_event(acting_user, "CONSENT_TEMPLATE_CREATED", clinic=clinic, obj=template,
                 details={"version": template.version, "default": True}, at=now)
    return template


@transaction.atomic
def do_publish_consent_template(acting_user: User, clinic: Clinic, *, based_on_version: int, title_en: str,
                                body_en: str, title_es: str, body_es: str, requires_reconsent: bool,
                                change_note: str, now: datetime | None = None) -> ConsentTemplate:
    """Save a new version of the clinic's consent form. Who: the medical director.

    Every earlier version is kept. `based_on_version` is the version the editor started from: if
    someone saved a newer one meanwhile (or the same form is submitted twice), ConsentError.
    Writes: ConsentTemplate, AuditEvent.
    """
    require_perm(acting_user, clinic, Perm.EDIT_PROTOCOL)
    now = now or timezone.now()
    current = do_ensure_consent_template(acting_user, clinic, now=now)
    if based_on_version != current.version:
        raise ConsentError(f"Someone saved version {current.version} while you were editing. "
                           "Open the form again to see it, then make your change.")
    fields = {"title_en": title_en.strip(), "body_en": body_en.strip() + "\n", "title_es": title_es.strip(),
              "body_es": body_es.strip() + "\n"}
    for name, value in fields.items():
        if not value.strip():
            raise ConsentError("This part of the form cannot be empty.", name)
    if not change_note.strip():
        raise ConsentError("Say what changed and why.", "change_note")
    if all(getattr(current, name).strip() == value.strip() for name, value in fields.items()):
        raise ConsentError("The text is the same as the current version.", "body_en")
    template = ConsentTemplate.objects.create(
        clinic=clinic, version=current.version + 1, requires_reconsent=requires_reconsent,
        change_note=change_note.strip(), created_at=now, created_by=acting_user, **fields)
    record_event(acting_user, "CONSENT_TEMPLATE_PUBLISHED", clinic=clinic, obj=template,
                 details={"version": template.version, "requires_reconsent": requires_reconsent,
                          "change_note": template.change_note}, at=now)
    return template


def _render_document(signature: ConsentSignature, patient: Patient) -> str:
    # The printable copy is in the language the patient signed in, whoever is at the keyboard.
    with translation.override(signature.language):
        return render_to_string("consent/partials/signed_document.html", {
            "signature": signature, "patient": patient, "clinic": patient.clinic,
            "blocks": to_blocks(signature.text_snapshot),
            "signed_local": timezone.localtime(signature.signed_at, patient.clinic.zone),
        })


def _sign(signer: User, patient: Patient, *, method: str, witness: User | None, template_version: int,
          language: str, typed_name: str, signed_on: date | None, agreed: bool, ip: str | None,
          user_agent: str, now: datetime | None) -> ConsentSignature:
    now = now or timezone.now()
    template = do_ensure_consent_template(signer, patient.clinic, now=now)
    if language not in LANGUAGES:
        raise ConsentError(_("Choose English or Spanish."), "language")
    if template_version != template.version:
        raise ConsentError(_("The clinic updated this form while it was open. Please read the new version "
                             "below, then sign."), "template_version")
    status = consent_status(patient, on=now)
    if status.valid and status.signed_version == template.version and status.signature_id:
        # A double submit, or a second tab: the form is already signed; keep the first signature.
        return ConsentSignature.objects.get(pk=status.signature_id)
    if not agreed:
        raise ConsentError(_("Please tick the box to say you read the form and agree."), "agree")
    if not names_match(typed_name, patient.display_name):
        raise ConsentError(_("Please type the full name on the patient's record: %(name)s.")
                           % {"name": patient.display_name}, "typed_name")
    today = timezone.localtime(now, patient.clinic.zone).date()
    if signed_on != today:
        raise ConsentError(_("Please enter today's date (%(today)s).")
                           % {"today": formats.date_format(today, "SHORT_DATE_FORMAT")}, "signed_on")
    text = template.body(language)
    signature = ConsentSignature(
        clinic=patient.clinic, patient=patient, template=template, version=template.version, language=language,
        title_snapshot=template.title(language), text_snapshot=text,
        text_sha256=hashlib.sha256(text.encode()).hexdigest(), typed_name=typed_name.strip(),
        signed_on=today, signed_at=now, method=method, signed_by=signer, witness=witness,
        ip=ip or current_ip.get(), user_agent=user_agent[:300])
    signature.document_html = _render_document(signature, patient)
    signature.save()
    record_event(signer, "CONSENT_SIGNED", patient=patient, obj=signature, at=now,
                 details={"version": template.version, "language": language, "method": method,
                          "witness": witness.email if witness else None, "sha256": signature.text_sha256})
    return signature


@transaction.atomic
def do_sign_consent(acting_user: User, patient: Patient, *, template_version: int, language: str,
                    typed_name: str, signed_on: date | None, agreed: bool, ip: str | None = None,
                    user_agent: str = "", now: datetime | None = None) -> ConsentSignature:
    """The patient signs the current consent form in the portal.

    Who: the patient themself. Checks: the box is ticked, the typed name matches the record, the
    date is today in the clinic's zone, and the form did not change while it was open. Signing
    again a form already signed returns the first signature (double submit).
    Writes: ConsentSignature (with the exact text and a printable copy), AuditEvent. Raises ConsentError.
    """
    if patient.user_id is None or acting_user.pk != patient.user_id:
        raise PermissionDenied("Only the patient can sign their own consent in the portal.")
    return _sign(acting_user, patient, method=SignMethod.PORTAL, witness=None, template_version=template_version,
                 language=language, typed_name=typed_name, signed_on=signed_on, agreed=agreed, ip=ip,
                 user_agent=user_agent, now=now)


@transaction.atomic
def do_sign_consent_witnessed(acting_user: User, patient: Patient, *, template_version: int, language: str,
                              typed_name: str, signed_on: date | None, agreed: bool, witness_confirmed: bool,
                              ip: str | None = None, user_agent: str = "",
                              now: datetime | None = None) -> ConsentSignature:
    """The patient signs on a clinic tablet while a staff member watches and signs as witness.

    Who: any staff member of the patient's clinic (front desk, nurse, provider, medical director).
    Writes: ConsentSignature with the staff member as witness, AuditEvent. Raises ConsentError.
    """
    require_perm(acting_user, patient.clinic, Perm.VIEW_PATIENTS)
    if not witness_confirmed:
        raise ConsentError("As the witness, confirm that you watched the patient read and sign.", "witness_confirmed")
    return _sign(acting_user, patient, method=SignMethod.TABLET, witness=acting_user,
                 template_version=template_version, language=language, typed_name=typed_name, signed_on=signed_on,
                 agreed=agreed, ip=ip, user_agent=user_agent, now=now)


@transaction.atomic
def do_withdraw_consent(acting_user: User, patient: Patient, *, reason: str,
                        now: datetime | None = None) -> ConsentWithdrawal:
    """Record that the patient took back their consent. Every earlier signature stops counting.

    Who: a clinician (nurse, provider, medical director) who heard it from the patient.
    Writes: ConsentWithdrawal, AuditEvent. The patient can sign again later.
    """
    require_perm(acting_user, patient.clinic, Perm.CHART)
    if not reason.strip():
        raise ConsentError("Write what the patient said (for example, in their own words).", "reason")
    now = now or timezone.now()
    withdrawal = ConsentWithdrawal.objects.create(clinic=patient.clinic, patient=patient, withdrawn_at=now,
                                                  recorded_by=acting_user, reason=reason.strip())
    record_event(acting_user, "CONSENT_WITHDRAWN", patient=patient, obj=withdrawal, at=now,
                 details={"reason": withdrawal.reason})
    return withdrawal


def record_consent_view(user: Any, patient: Patient, what: str, obj: Any = None) -> None:
    """Audit that someone looked at a patient's consent record."""
    with transaction.atomic():
        record_event(user, "CONSENT_VIEWED", patient=patient, obj=obj, details={"view": what})
