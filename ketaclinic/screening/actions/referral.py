"""Referral writes: front-desk referral, public self-referral (registers and invites) and its check."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.accounts.actions import withdraw_patient_invitations
from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.patients.actions import (
    SELF_REFERRAL_VIA,
    DuplicatePatient,
    do_invite_patient,
    do_register_patient,
    do_register_self_referred_patient,
    find_duplicate_patient,
)
from ketaclinic.patients.models import Language, Patient
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.indications import normalize_code
from ketaclinic.screening.actions.common import ScreeningError, ensure_case
from ketaclinic.screening.actions.intake import do_upload_document
from ketaclinic.screening.models import DocumentKind, Referral, ReferralSource, SelfReferral

SELF_REFERRALS_PER_HOUR = 3  # per client address; a family may share one address, a bot sends hundreds


class RateLimited(ScreeningError):
    pass


def _clean_code(code: str) -> str:
    if not code.strip():
        return ""
    try:
        return normalize_code(code)
    except InputError as exc:
        raise ScreeningError(f"Indication code: {exc.message}.") from None


@transaction.atomic
def do_refer_patient(acting_user: User, clinic: Clinic, *, first_name: str, last_name: str, date_of_birth: date,
                     sex_at_birth: str, email: str = "", phone: str = "", preferred_language: str = "en",
                     referring_clinician: str = "", referring_practice: str = "", referring_phone: str = "",
                     referring_email: str = "", indication_code: str = "", reason: str = "",
                     documents: list[UploadedFile] | None = None, invite: bool = True,
                     now: datetime | None = None) -> Referral:
    """Enter a clinician referral: registers the patient, opens screening, attaches documents, invites.

    Who: front desk, provider, medical director. Raises DuplicatePatient (a second submit is
    refused the same way), ScreeningError (bad indication code). Writes: Patient, ScreeningCase,
    Referral, ScreeningDocument, Invitation, AuditEvent. After commit: invitation email.
    """
    require_perm(acting_user, clinic, Perm.REGISTER_PATIENTS)
    now = now or timezone.now()
    code = _clean_code(indication_code)
    patient = do_register_patient(acting_user, clinic, first_name=first_name, last_name=last_name,
                                  date_of_birth=date_of_birth, sex_at_birth=sex_at_birth, email=email, phone=phone,
                                  preferred_language=preferred_language, now=now)
    referral = _open_referral(acting_user, patient, ReferralSource.CLINICIAN, now,
                              referring_clinician=referring_clinician, referring_practice=referring_practice,
                              referring_phone=referring_phone,
                              referring_email=referring_email, indication_code=code, reason=reason)
    for upload in documents or []:
        do_upload_document(acting_user, patient, upload, kind=DocumentKind.REFERRAL, now=now)
    if invite and patient.email:
        do_invite_patient(acting_user, patient, now=now)
    return referral


@transaction.atomic
def do_record_referral(acting_user: User, patient: Patient, *, referring_clinician: str = "",
                       referring_practice: str = "", referring_phone: str = "", referring_email: str = "",
                       indication_code: str = "", reason: str = "", documents: list[UploadedFile] | None = None,
                       now: datetime | None = None) -> Referral:
    """Record a referral for a patient who is already registered (opens screening if none is open).

    Who: front desk, provider, medical director. Writes: ScreeningCase, Referral, ScreeningDocument,
    AuditEvent.
    """
    require_perm(acting_user, patient.clinic, Perm.REGISTER_PATIENTS)
    now = now or timezone.now()
    referral = _open_referral(acting_user, patient, ReferralSource.CLINICIAN, now,
                              referring_clinician=referring_clinician, referring_practice=referring_practice,
                              referring_phone=referring_phone, referring_email=referring_email,
                              indication_code=_clean_code(indication_code), reason=reason)
    for upload in documents or []:
        do_upload_document(acting_user, patient, upload, kind=DocumentKind.REFERRAL, now=now)
    return referral


def _open_referral(acting_user: User | None, patient: Patient, source: str, now: datetime, **fields: Any) -> Referral:
    case = ensure_case(acting_user, patient, now)
    referral = Referral.objects.create(clinic=patient.clinic, patient=patient, case=case, source=source,
                                       created_at=now, created_by=acting_user, **fields)
    record_event(acting_user, "REFERRAL_RECORDED", patient=patient, obj=referral, at=now,
                 details={"source": source, "indication": fields.get("indication_code", ""),
                          "referrer": fields.get("referring_clinician", ""),
                          **({"via": SELF_REFERRAL_VIA} if acting_user is None else {})})
    return referral


@transaction.atomic
def do_submit_self_referral(clinic: Clinic, *, first_name: str, last_name: str, date_of_birth: date,
                            sex_at_birth: str, email: str, phone: str = "", reason: str = "",
                            preferred_language: str = "en", ip: str | None = None,
                            now: datetime | None = None) -> SelfReferral:
    """A member of the public asks to be seen: registers them, opens screening and emails the invitation.

    Anonymous (the audit actor is the public form). In one transaction: SelfReferral, Patient
    (stage referred), ScreeningCase, Referral (source self), Invitation; after commit the
    invitation email. At most SELF_REFERRALS_PER_HOUR per client address (raises RateLimited).
    The same email sent again while the first request is still new returns the first (double
    submit). When the name, birth date and email match a registered patient, no chart and no
    email are made: the request is kept with `matched_existing` for the front desk, and the caller
    shows the same thank-you page (the form must not reveal who is a patient).
    """
    now = now or timezone.now()
    email = email.strip().lower()
    # One public submission per clinic at a time, so a double submit cannot make two charts.
    Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
    existing = SelfReferral.objects.filter(clinic=clinic, email=email, status=SelfReferral.Status.NEW).first()
    if existing is not None:
        return existing
    if ip and SelfReferral.objects.filter(ip=ip, created_at__gte=now - timedelta(hours=1)).count() \
            >= SELF_REFERRALS_PER_HOUR:
        raise RateLimited(_("We have received several requests from this connection. Please try again in an hour, "
                            "or call the clinic."))
    language = preferred_language if preferred_language in Language.values else Language.ENGLISH
    request = SelfReferral.objects.create(clinic=clinic, first_name=first_name.strip(), last_name=last_name.strip(),
                                          date_of_birth=date_of_birth, sex_at_birth=sex_at_birth, email=email,
                                          phone=phone.strip(), reason=reason.strip(), preferred_language=language,
                                          ip=ip, created_at=now)
    details = {"via": SELF_REFERRAL_VIA}
    try:
        patient, _invitation = do_register_self_referred_patient(
            clinic, first_name=first_name, last_name=last_name, date_of_birth=date_of_birth,
            sex_at_birth=sex_at_birth, email=email, phone=phone, preferred_language=language, now=now)
    except DuplicatePatient:
        match = find_duplicate_patient(clinic, first_name=first_name, last_name=last_name,
                                       date_of_birth=date_of_birth, email=email)
        request.matched_existing, request.patient = True, match
        request.save(update_fields=["matched_existing", "patient"])
        record_event(None, "SELF_REFERRAL_RECEIVED", patient=match, obj=request, at=now,
                     details={**details, "matched_existing": True})
        return request
    _open_referral(None, patient, ReferralSource.SELF, now, reason=request.reason)
    request.patient = patient
    request.save(update_fields=["patient"])
    record_event(None, "SELF_REFERRAL_RECEIVED", patient=patient, obj=request, at=now, details=details)
    return request


@transaction.atomic
def do_check_self_referral(acting_user: User, self_referral: SelfReferral, *,
                           now: datetime | None = None) -> SelfReferral:
    """Front desk has checked a self-referral's details (and contacted a person who matched a chart).

    Who: front desk, provider, medical director. Raises ScreeningError when it was already
    handled (double click). Writes: SelfReferral, AuditEvent.
    """
    require_perm(acting_user, self_referral.clinic, Perm.REGISTER_PATIENTS)
    now = now or timezone.now()
    request = SelfReferral.objects.select_for_update().get(pk=self_referral.pk)
    if request.status != SelfReferral.Status.NEW:
        raise ScreeningError("This request was already handled.")
    request.status = SelfReferral.Status.CHECKED
    request.handled_at, request.handled_by = now, acting_user
    request.save(update_fields=["status", "handled_at", "handled_by"])
    record_event(acting_user, "SELF_REFERRAL_CHECKED", clinic=request.clinic, patient=request.patient, obj=request,
                 at=now, details={"matched_existing": request.matched_existing})
    return request


@transaction.atomic
def do_dismiss_self_referral(acting_user: User, self_referral: SelfReferral, *, note: str,
                             now: datetime | None = None) -> SelfReferral:
    """Front desk sets a self-referral aside (spam, a test), saying why.

    The chart the form made stays (charts are never deleted); the reason is kept on the request;
    the portal link it emailed is withdrawn (a stranger's address must not get an account).
    """
    require_perm(acting_user, self_referral.clinic, Perm.REGISTER_PATIENTS)
    if not note.strip():
        raise ScreeningError("Say why this request is set aside.")
    request = SelfReferral.objects.select_for_update().get(pk=self_referral.pk)
    if request.status != SelfReferral.Status.NEW:
        raise ScreeningError("This request was already handled.")
    request.status = SelfReferral.Status.DISMISSED
    request.handled_at, request.handled_by = now or timezone.now(), acting_user
    request.handled_note = note.strip()[:300]
    request.save(update_fields=["status", "handled_at", "handled_by", "handled_note"])
    if request.patient is not None and not request.matched_existing and request.patient.user_id is None:
        withdraw_patient_invitations(acting_user, request.patient, request.handled_at,
                                     f"self-referral set aside: {request.handled_note}")
    record_event(acting_user, "SELF_REFERRAL_DISMISSED", clinic=request.clinic, obj=request, at=request.handled_at,
                 details={"note": request.handled_note})
    return request


__all__ = ["DuplicatePatient", "RateLimited", "do_check_self_referral", "do_dismiss_self_referral",
           "do_record_referral", "do_refer_patient", "do_submit_self_referral"]
