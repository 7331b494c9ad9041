"""Writes for patient records."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.actions import create_invitation
from ketaclinic.accounts.models import Invitation, User
from ketaclinic.accounts.roles import Perm, Role, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.patients.models import Patient, Stage


class DuplicatePatient(ValueError):
    pass


@transaction.atomic
def do_register_patient(acting_user: User, clinic: Clinic, *, first_name: str, last_name: str,
                        date_of_birth: date, sex_at_birth: str, email: str = "", phone: str = "",
                        preferred_language: str = "en", stage: str = "referred",
                        now: datetime | None = None) -> Patient:
    """Create a patient record. Who: front desk, provider, medical director.

    A second submit with the same name, birth date and email is refused (no duplicate charts).
    Writes: Patient, AuditEvent.
    """
    require_perm(acting_user, clinic, Perm.REGISTER_PATIENTS)
    if find_duplicate_patient(clinic, first_name=first_name, last_name=last_name, date_of_birth=date_of_birth,
                              email=email) is not None:
        raise DuplicatePatient("A patient with this name and date of birth is already registered.")
    return _create_patient(acting_user, clinic, first_name=first_name, last_name=last_name,
                           date_of_birth=date_of_birth, sex_at_birth=sex_at_birth, email=email, phone=phone,
                           preferred_language=preferred_language, stage=stage, now=now or timezone.now(),
                           details={})


def find_duplicate_patient(clinic: Clinic, *, first_name: str, last_name: str, date_of_birth: date,
                           email: str = "") -> Patient | None:
    """The clinic's patient with this name and birth date (and email, when one is given), if any."""
    duplicate = Patient.objects.filter(clinic=clinic, first_name__iexact=first_name.strip(),
                                       last_name__iexact=last_name.strip(), date_of_birth=date_of_birth)
    if email:
        duplicate = duplicate.filter(email__iexact=email.strip())
    return duplicate.order_by("pk").first()


def _create_patient(acting_user: User | None, clinic: Clinic, *, first_name: str, last_name: str,
                    date_of_birth: date, sex_at_birth: str, email: str, phone: str, preferred_language: str,
                    stage: str, now: datetime, details: dict[str, str]) -> Patient:
    patient = Patient(clinic=clinic, first_name=first_name.strip(), last_name=last_name.strip(),
                      date_of_birth=date_of_birth, sex_at_birth=sex_at_birth, email=email.strip().lower(),
                      phone=phone.strip(), preferred_language=preferred_language, stage=stage,
                      created_at=now, created_by=acting_user)
    # No creator when the public form registers the person (created_by is nullable, not "blank").
    patient.full_clean(exclude=["created_by"] if acting_user is None else None)
    patient.save()
    record_event(acting_user, "PATIENT_REGISTERED", patient=patient, obj=patient, at=now, details=details)
    return patient


# The audit wording for writes made by the public self-referral form (there is no signed-in actor).
SELF_REFERRAL_VIA = "self-referral from public form"


@transaction.atomic
def do_register_self_referred_patient(clinic: Clinic, *, first_name: str, last_name: str, date_of_birth: date,
                                      sex_at_birth: str, email: str, phone: str = "",
                                      preferred_language: str = "en",
                                      now: datetime | None = None) -> tuple[Patient, Invitation]:
    """The public self-referral form registers the person (stage referred) and invites them to the portal.

    Who: the public, so no acting user and no permission check; only the screening app's
    self-referral action calls this, after its honeypot and rate limit. Staff callers use
    do_register_patient / do_invite_patient, which keep their permission checks. The invitation
    goes to the typed address only, so nobody but its owner can open the account.
    Raises DuplicatePatient when the same name, birth date and email is already registered
    (the caller must not reveal that). Writes: Patient, Invitation, AuditEvents (actor anonymous,
    details say the public form). After commit: invitation email.
    """
    now = now or timezone.now()
    if not email.strip():
        raise ValueError("A self-referral needs an email address.")
    if find_duplicate_patient(clinic, first_name=first_name, last_name=last_name, date_of_birth=date_of_birth,
                              email=email) is not None:
        raise DuplicatePatient("A patient with this name and date of birth is already registered.")
    details = {"via": SELF_REFERRAL_VIA}
    patient = _create_patient(None, clinic, first_name=first_name, last_name=last_name,
                              date_of_birth=date_of_birth, sex_at_birth=sex_at_birth, email=email, phone=phone,
                              preferred_language=preferred_language, stage="referred", now=now, details=details)
    invitation, _token = create_invitation(None, clinic, patient.email, patient.display_name, Role.PATIENT, now,
                                           patient=patient)
    record_event(None, "PATIENT_INVITED", patient=patient, obj=invitation, at=now, details=details)
    return patient, invitation


@transaction.atomic
def do_invite_patient(acting_user: User, patient: Patient, *, now: datetime | None = None) -> tuple[Invitation, str]:
    """Email the patient a link to set up their portal account. Who: front desk and clinicians.

    Writes: Invitation, AuditEvent. After commit: invitation email.
    """
    require_perm(acting_user, patient.clinic, Perm.REGISTER_PATIENTS)
    if not patient.email:
        raise ValueError("Add the patient's email address first.")
    invitation, token = create_invitation(acting_user, patient.clinic, patient.email, patient.display_name,
                                           Role.PATIENT, now or timezone.now(), patient=patient)
    record_event(acting_user, "PATIENT_INVITED", patient=patient, obj=invitation)
    return invitation, token


def record_chart_view(user: User, patient: Patient, what: str = "chart") -> None:
    """Audit that someone looked at a patient's record."""
    with transaction.atomic():
        record_event(user, "CHART_VIEWED", patient=patient, obj=patient, details={"view": what})


@transaction.atomic
def do_set_patient_stage(acting_user: User | None, patient: Patient, stage: str, *, reason: str = "",
                         now: datetime | None = None) -> Patient:
    """Move a patient along the care pathway (screening decisions, course start and end).

    Called by other stages' actions inside their transaction. Writes: Patient.stage, AuditEvent.
    """
    if stage not in Stage.values:
        raise ValueError(f"Unknown stage {stage!r}")
    old = patient.stage
    if old == stage:
        return patient
    patient.stage = stage
    patient.save(update_fields=["stage"])
    record_event(acting_user, "PATIENT_STAGE_CHANGED", patient=patient, obj=patient,
                 details={"from": old, "to": stage, "reason": reason}, at=now)
    return patient


@transaction.atomic
def do_set_preferred_language(acting_user: User, patient: Patient, language: str) -> Patient:
    """The patient (or staff for them) chooses the language of the portal, messages and printouts."""
    if language not in ("en", "es"):
        raise ValueError("Choose English or Spanish.")
    if patient.user_id != acting_user.pk:
        require_perm(acting_user, patient.clinic, Perm.REGISTER_PATIENTS)
    old = patient.preferred_language
    patient.preferred_language = language
    patient.save(update_fields=["preferred_language"])
    record_event(acting_user, "LANGUAGE_CHANGED", patient=patient, obj=patient, details={"from": old, "to": language})
    return patient
