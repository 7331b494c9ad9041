"""Writes for interop: API tokens and the review of monitor messages.

Storing monitor vitals is in `ketaclinic.interop.hl7.ingest`; importing a FHIR referral is in
`ketaclinic.interop.fhir.importer`.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ketaclinic.accounts.actions import do_grant_role, do_revoke_role
from ketaclinic.accounts.models import Membership, User
from ketaclinic.accounts.roles import STAFF_ROLES, Perm, Role, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.interop.models import ApiToken, MonitorMessage, TokenScope, hash_api_token

TOKEN_PREFIX = "kc_"  # noqa: S105 - a recognisable prefix, not a secret
# Roles the token's service account holds at its clinic. A read token still needs the nurse's
# chart-reading permission; the API refuses every write for it before any action runs.
SCOPE_ROLES = {
    TokenScope.READ: (Role.NURSE,),
    TokenScope.WRITE: (Role.NURSE, Role.FRONT_DESK),
}
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenInvalid(ValueError):
    pass


def new_raw_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def do_create_api_token(acting_user: User, clinic: Clinic, *, name: str, scope: str, person: User | None = None,
                        now: datetime | None = None) -> tuple[ApiToken, str]:
    """Create an API token for one clinic. Who: the clinic's admin.

    Without `person`, an integration token: a service account (no password, cannot sign in)
    with the scope's roles at this clinic only. With `person`, a personal token that acts as
    that staff member with their own roles at this clinic (the scope caps it: a read token
    never writes); the person must hold an active staff role here.
    Writes: the service account and its roles (integration tokens), ApiToken (hash only),
    AuditEvent. Returns the token row and the raw token, which is shown once and never stored.
    Raises TokenInvalid for an empty or duplicate name, or a person who is not staff here.
    """
    require_perm(acting_user, clinic, Perm.MANAGE_STAFF)
    now = now or timezone.now()
    name = name.strip()
    if not name:
        raise TokenInvalid("Give the token a name that says who uses it, for example “Epic referrals”.")
    if scope not in TokenScope.values:
        raise TokenInvalid("Choose read or write.")
    if person is not None and not _is_staff_at(person, clinic.pk):
        raise TokenInvalid("A personal token is for a staff member of this clinic with an active role.")
    if ApiToken.objects.filter(clinic=clinic, name__iexact=name, revoked_at=None).exists():
        raise TokenInvalid("An active token already has this name. Pick another name or revoke the old one.")
    service_user = None
    if person is None:
        service_user = User(email=f"token-{secrets.token_hex(8)}@api-tokens.invalid",
                            full_name=f"API token: {name}"[:200])
        service_user.set_unusable_password()
        service_user.save()
        for role in SCOPE_ROLES[TokenScope(scope)]:
            do_grant_role(acting_user, clinic, service_user, role)
    raw = new_raw_token()
    token = ApiToken.objects.create(clinic=clinic, name=name, scope=scope, prefix=raw[:10],
                                    token_hash=hash_api_token(raw), service_user=service_user, person=person,
                                    created_by=acting_user, created_at=now)
    details: dict[str, object] = {"name": name, "scope": scope}
    if person is not None:
        details["person"] = person.email
    record_event(acting_user, "API_TOKEN_CREATED", clinic=clinic, obj=token, details=details, at=now)
    return token, raw


def _is_staff_at(person: User, clinic_id: int) -> bool:
    return person.is_active and Membership.objects.filter(
        user=person, clinic_id=clinic_id, active=True, role__in=[r.value for r in STAFF_ROLES]).exists()


def token_people(clinic: Clinic) -> QuerySet[User]:
    """Staff who may be given a personal token at `clinic` (active, with an active staff role)."""
    return (User.objects.filter(is_active=True, memberships__clinic=clinic, memberships__active=True,
                                memberships__role__in=[r.value for r in STAFF_ROLES], api_token__isnull=True)
            .distinct().order_by("full_name", "email"))


@transaction.atomic
def do_revoke_api_token(acting_user: User, token: ApiToken, *, now: datetime | None = None) -> ApiToken:
    """Revoke a token at once (it keeps its row for history). Who: the clinic's admin.

    Writes: ApiToken.revoked_at/by, the service account's roles deactivated, AuditEvent.
    Revoking twice is harmless.
    """
    require_perm(acting_user, token.clinic, Perm.MANAGE_STAFF)
    token = ApiToken.objects.select_for_update().select_related("clinic").get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = now or timezone.now()
    token.revoked_by = acting_user
    token.save(update_fields=["revoked_at", "revoked_by"])
    if token.service_user is not None:  # a personal token's person keeps their own roles
        for membership in token.service_user.memberships.filter(active=True).select_related("clinic", "user"):
            do_revoke_role(acting_user, membership)
    record_event(acting_user, "API_TOKEN_REVOKED", clinic=token.clinic, obj=token, details={"name": token.name},
                 at=token.revoked_at)
    return token


def authenticate_api_token(raw: str, *, now: datetime | None = None) -> ApiToken | None:
    """The active token for a raw bearer value, or None. Records the last-used time (to the minute).

    A personal token whose person no longer holds an active staff role at the token's clinic
    (or whose account is deactivated) is refused. Not an action: it writes only the
    `last_used_at` stamp, with a conditional UPDATE so a busy integration does not write on
    every request.
    """
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (ApiToken.objects.select_related("clinic", "service_user", "person")
             .filter(token_hash=hash_api_token(raw), revoked_at=None).first())
    if token is None:
        return None
    if token.person is not None and not _is_staff_at(token.person, token.clinic_id):
        return None  # the person left the clinic or was deactivated: their token goes with them
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


@transaction.atomic
def do_review_monitor_message(acting_user: User, message: MonitorMessage, *, note: str,
                              now: datetime | None = None) -> MonitorMessage:
    """Mark a monitor message that could not be stored as reviewed, with a note. Who: clinical staff.

    Writes: MonitorMessage.reviewed_*, AuditEvent. The message itself is never changed.
    """
    require_perm(acting_user, message.clinic, Perm.VIEW_CLINICAL)
    note = note.strip()
    if not note:
        raise ValueError("Say what you did about this message (for example “vitals entered by hand”).")
    message = MonitorMessage.objects.select_for_update().get(pk=message.pk)
    if message.reviewed_at is not None:
        return message
    message.reviewed_at = now or timezone.now()
    message.reviewed_by = acting_user
    message.review_note = note[:300]
    message.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
    record_event(acting_user, "MONITOR_MESSAGE_REVIEWED", clinic=message.clinic, obj=message,
                 details={"control_id": message.control_id, "note": message.review_note}, at=message.reviewed_at)
    return message
