"""Reads of consent records, and the consent item of the infusion-day readiness gate.

`has_valid_consent` and `consent_status` are the interface other stages call (preparation's
readiness gate, the infusion board). They never write: a clinic that has not saved a consent
form yet is treated as having version 1, our built-in default text, which is saved the first
time somebody signs it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ketaclinic.accounts.roles import Perm, staff_clinic_ids
from ketaclinic.consent.models import ConsentSignature, ConsentTemplate, ConsentWithdrawal
from ketaclinic.patients.models import Patient

# The number the built-in default form gets when it is first saved for a clinic.
DEFAULT_VERSION = 1


@dataclass(frozen=True)
class ConsentStatus:
    """Where a patient stands with the clinic's consent form.

    valid: a signature on file that covers the current form and was not withdrawn.
    needs_resign: signed before, but a later version requires signing again (or consent was withdrawn).
    """

    valid: bool
    signed_version: int | None
    current_version: int | None
    signed_at: datetime | None
    needs_resign: bool
    signature_id: int | None = None
    withdrawn_at: datetime | None = None

    @property
    def never_signed(self) -> bool:
        return self.signed_version is None


def _as_instant(patient: Patient, on: date | datetime | None) -> datetime:
    """`on` as an aware instant: a date means the end of that day in the clinic's zone."""
    if on is None:
        return timezone.now()
    if isinstance(on, datetime):
        if timezone.is_naive(on):
            raise ValueError("has_valid_consent(on=...) needs an aware datetime")
        return on
    return datetime.combine(on + timedelta(days=1), time(0), tzinfo=patient.clinic.zone)


def _status_from_rows(versions: list[tuple[int, bool]], signature: ConsentSignature | None,
                      withdrawn_at: datetime | None) -> ConsentStatus:
    """versions: (version, requires_reconsent) of the clinic's templates, any order."""
    current = max((v for v, _ in versions), default=DEFAULT_VERSION)
    if signature is None:
        return ConsentStatus(valid=False, signed_version=None, current_version=current, signed_at=None,
                             needs_resign=False, withdrawn_at=withdrawn_at)
    withdrawn = withdrawn_at is not None and withdrawn_at > signature.signed_at
    superseded = any(required and v > signature.version for v, required in versions)
    needs = withdrawn or superseded
    return ConsentStatus(valid=not needs, signed_version=signature.version, current_version=current,
                         signed_at=signature.signed_at, needs_resign=needs, signature_id=signature.pk,
                         withdrawn_at=withdrawn_at if withdrawn else None)


def consent_status(patient: Patient, *, on: date | datetime | None = None) -> ConsentStatus:
    """The patient's consent status as of `on` (default now). Three queries. Never writes."""
    at = _as_instant(patient, on)
    versions = list(ConsentTemplate.objects.filter(clinic_id=patient.clinic_id, created_at__lte=at)
                    .values_list("version", "requires_reconsent"))
    signature = (ConsentSignature.objects.filter(patient=patient, signed_at__lte=at)
                 .order_by("-signed_at", "-id").first())
    withdrawn_at = (ConsentWithdrawal.objects.filter(patient=patient, withdrawn_at__lte=at)
                    .order_by("-withdrawn_at").values_list("withdrawn_at", flat=True).first())
    return _status_from_rows(versions, signature, withdrawn_at)


def has_valid_consent(patient: Patient, *, on: date | datetime | None = None) -> bool:
    """True when the patient has signed the clinic's current consent form (or a version that does
    not require signing again) and has not withdrawn it. The readiness gate blocks without it.

    `on`: an aware datetime, or a date (meaning the end of that day in the clinic's zone);
    default now.
    """
    return consent_status(patient, on=on).valid


def consent_statuses(patients: Iterable[Patient], *, on: date | datetime | None = None) -> dict[int, ConsentStatus]:
    """consent_status for many patients in three queries (for lists such as the readiness board)."""
    patients = list(patients)
    if not patients:
        return {}
    at = _as_instant(patients[0], on)
    clinic_ids = {p.clinic_id for p in patients}
    versions: dict[int, list[tuple[int, bool]]] = {cid: [] for cid in clinic_ids}
    for cid, version, required in ConsentTemplate.objects.filter(clinic_id__in=clinic_ids, created_at__lte=at) \
            .values_list("clinic_id", "version", "requires_reconsent"):
        versions[cid].append((version, required))
    latest: dict[int, ConsentSignature] = {}
    for sig in ConsentSignature.objects.filter(patient__in=patients, signed_at__lte=at) \
            .order_by("patient_id", "-signed_at", "-id").defer("document_html", "text_snapshot"):
        latest.setdefault(sig.patient_id, sig)
    withdrawn: dict[int, datetime] = {}
    for pid, when in ConsentWithdrawal.objects.filter(patient__in=patients, withdrawn_at__lte=at) \
            .order_by("patient_id", "-withdrawn_at").values_list("patient_id", "withdrawn_at"):
        withdrawn.setdefault(pid, when)
    return {p.pk: _status_from_rows(versions[p.clinic_id], latest.get(p.pk), withdrawn.get(p.pk))
            for p in patients}


def current_template(clinic: Any) -> ConsentTemplate | None:
    """The clinic's newest saved consent form, or None while it still uses the built-in default."""
    return ConsentTemplate.objects.filter(clinic=clinic).order_by("-version").first()


def current_or_default_template(clinic: Any) -> ConsentTemplate:
    """The form patients should read now: the newest saved version, or the built-in default (unsaved)."""
    from ketaclinic.consent import default_text

    return current_template(clinic) or ConsentTemplate(
        clinic=clinic, version=DEFAULT_VERSION, title_en=default_text.TITLE_EN, body_en=default_text.BODY_EN,
        title_es=default_text.TITLE_ES, body_es=default_text.BODY_ES, requires_reconsent=False)


def signatures_visible_to(user: Any) -> QuerySet[ConsentSignature]:
    """Staff see their clinics' signatures; a patient sees only their own."""
    if not getattr(user, "is_authenticated", False):
        return ConsentSignature.objects.none()
    clinic_ids = staff_clinic_ids(user, Perm.VIEW_PATIENTS)
    if clinic_ids:
        return ConsentSignature.objects.filter(clinic_id__in=clinic_ids)
    return ConsentSignature.objects.filter(patient__user=user)


def get_signature_for_user(user: Any, signature_id: int) -> ConsentSignature:
    """One signed consent if `user` may see it (the patient, or their clinic's staff), else Http404."""
    return get_object_or_404(signatures_visible_to(user).select_related("patient", "clinic", "witness"),
                             pk=signature_id)


def require_patient_user(user: Any) -> Patient:
    """The signed-in patient's own record, or Http404 for staff and accounts without one."""
    from ketaclinic.patients.access import own_patient_record

    if staff_clinic_ids(user):
        raise Http404
    patient = own_patient_record(user)
    if patient is None:
        raise Http404
    return patient
