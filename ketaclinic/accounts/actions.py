"""Writes for accounts: invitations, memberships, two-factor devices."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.models import Invitation, Membership, User, hash_token
from ketaclinic.accounts.roles import STAFF_ROLES, Perm, Role, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic

if TYPE_CHECKING:
    from ketaclinic.patients.models import Patient

INVITATION_DAYS = 7
BACKUP_CODE_COUNT = 10


class InvitationInvalid(ValueError):
    pass


def _send_invitation_email(email: str, clinic_name: str, link: str, is_patient: bool, language: str = "en") -> None:
    """Runs after commit. The link is the only copy of the token. Patients get it in their language."""
    if is_patient:
        values = {"clinic": clinic_name, "link": link, "days": INVITATION_DAYS}
        with translation.override(language if language in ("en", "es") else "en"):
            subject = _("Your %(clinic)s patient portal") % values
            body = _("Hello,\n\n%(clinic)s has set up a patient portal account for you.\n"
                     "Use this link to choose a password and sign in:\n\n%(link)s\n\n"
                     "The link works for %(days)s days. If you did not expect this, you can ignore it.\n") % values
        send_mail(subject, body, None, [email])
        return
    body = (  # staff screens and staff mail stay English
        f"Hello,\n\nYou have been invited to join {clinic_name} on ketaclinic.\n"
        f"Use this link to choose a password and set up two-step sign-in:\n\n{link}\n\n"
        f"The link works for {INVITATION_DAYS} days.\n"
    )
    send_mail(f"Your {clinic_name} account", body, None, [email])


def create_invitation(acting_user: User | None, clinic: Clinic, email: str, full_name: str, role: str,
                       now: datetime, patient: Patient | None = None) -> tuple[Invitation, str]:
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        clinic=clinic, email=email.strip().lower(), full_name=full_name.strip(), role=role,
        patient=patient, token_hash=hash_token(token), invited_by=acting_user,
        created_at=now, expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    link = f"{settings.SITE_URL}{reverse('accounts:accept_invitation', args=[token])}"
    email, clinic_name, is_patient = invitation.email, clinic.name, role == Role.PATIENT
    language = patient.preferred_language if patient is not None else "en"

    def send_invitation_email() -> None:
        _send_invitation_email(email, clinic_name, link, is_patient, language)

    # robust: a mail server failure is logged and must not turn a saved record into an error page;
    # staff can resend the invitation from the chart.
    transaction.on_commit(send_invitation_email, robust=True)
    return invitation, token


@transaction.atomic
def do_invite_staff(acting_user: User, clinic: Clinic, *, email: str, full_name: str, role: str,
                    now: datetime | None = None) -> tuple[Invitation, str]:
    """Invite a colleague by email with one staff role. Who: admin of the clinic.

    If the person already has an account, the role is granted at once (no email).
    Writes: Invitation or Membership, AuditEvent. After commit: invitation email.
    Returns the invitation and its raw token (shown nowhere; tests and the seeder use it).
    """
    require_perm(acting_user, clinic, Perm.MANAGE_STAFF)
    if role not in STAFF_ROLES:
        raise InvitationInvalid("Choose a staff role.")
    now = now or timezone.now()
    invitation, token = create_invitation(acting_user, clinic, email, full_name, role, now)
    record_event(acting_user, "STAFF_INVITED", clinic=clinic, obj=invitation,
                 details={"email": invitation.email, "role": role})
    return invitation, token


def withdraw_patient_invitations(acting_user: User, patient: Patient, now: datetime, reason: str) -> int:
    """Take back the patient's unused portal links (e.g. a self-referral set aside as spam).

    Call inside the caller's transaction; the caller has checked permission. Returns how many.
    """
    open_links = Invitation.objects.filter(patient=patient, accepted_at__isnull=True, withdrawn_at__isnull=True,
                                           expires_at__gt=now)
    ids = list(open_links.values_list("id", flat=True))
    if ids:
        Invitation.objects.filter(id__in=ids).update(withdrawn_at=now)
        record_event(acting_user, "PATIENT_INVITATION_WITHDRAWN", patient=patient, at=now,
                     details={"invitations": ids, "reason": reason})
    return len(ids)


def find_open_invitation(token: str, now: datetime | None = None) -> Invitation:
    invitation = Invitation.objects.select_related("clinic", "patient").filter(token_hash=hash_token(token)).first()
    if invitation is None or not invitation.is_open(now):
        raise InvitationInvalid(_("This invitation link has expired or was already used. Ask the clinic for a new "
                                  "one."))
    return invitation


@transaction.atomic
def do_accept_invitation(token: str, password: str, *, now: datetime | None = None) -> User:
    """Create (or reuse) the account for an invitation and grant its role.

    Who: anyone holding the emailed token. Writes: User, Membership, Patient.user link, AuditEvent.
    Raises InvitationInvalid, ValidationError (weak password).
    """
    now = now or timezone.now()
    invitation = find_open_invitation(token, now)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise InvitationInvalid(_("This invitation was already used."))
    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is None:
        user = User(email=invitation.email, full_name=invitation.full_name)
        validate_password(password, user)
        user.set_password(password)
        user.save()
    Membership.objects.get_or_create(user=user, clinic=invitation.clinic, role=invitation.role)
    if invitation.patient is not None:
        patient = invitation.patient
        patient.user = user
        patient.save(update_fields=["user"])
    invitation.accepted_at = now
    invitation.accepted_user = user
    invitation.save(update_fields=["accepted_at", "accepted_user"])
    record_event(user, "INVITATION_ACCEPTED", clinic=invitation.clinic, patient=invitation.patient,
                 obj=invitation, details={"role": invitation.role})
    return user


@transaction.atomic
def do_grant_role(acting_user: User | None, clinic: Clinic, user: User, role: str) -> Membership:
    """Give an existing account a role (admin; the demo seeder bootstraps with acting_user=None)."""
    if acting_user is not None:
        require_perm(acting_user, clinic, Perm.MANAGE_STAFF)
    membership, _ = Membership.objects.get_or_create(user=user, clinic=clinic, role=role)
    record_event(acting_user, "ROLE_GRANTED", clinic=clinic, obj=membership,
                 details={"user": user.email, "role": role})
    return membership


@transaction.atomic
def do_revoke_role(acting_user: User, membership: Membership) -> None:
    """Deactivate a role (kept for history). Who: admin of the clinic."""
    require_perm(acting_user, membership.clinic, Perm.MANAGE_STAFF)
    membership.active = False
    membership.save(update_fields=["active"])
    record_event(acting_user, "ROLE_REVOKED", clinic=membership.clinic, obj=membership,
                 details={"user": membership.user.email, "role": membership.role})


def start_totp_setup(user: User) -> TOTPDevice:
    """An unconfirmed TOTP device for the setup page (replaces any earlier unconfirmed one)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def do_confirm_totp(user: User, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the device with a code from the app; create fresh backup codes and return them once.

    Writes: TOTPDevice.confirmed, StaticDevice + tokens, AuditEvent.
    """
    if device.user_id != user.pk or not device.verify_token(code.strip().replace(" ", "")):
        raise InvitationInvalid(_("That code did not match. Check the time on your phone and try the newest code."))
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _replace_backup_codes(user)
    record_event(user, "TWO_FACTOR_ENABLED", obj=device)
    return codes


def _replace_backup_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return codes


@transaction.atomic
def do_regenerate_backup_codes(user: User) -> list[str]:
    codes = _replace_backup_codes(user)
    record_event(user, "BACKUP_CODES_REGENERATED")
    return codes


@transaction.atomic
def do_provision_totp(user: User, key_hex: str) -> TOTPDevice:
    """Register a confirmed TOTP device with a known key (demo seeding and provisioning scripts only)."""
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", key=key_hex, confirmed=True)
    record_event(None, "TWO_FACTOR_PROVISIONED", obj=device, details={"user": user.email})
    return device
