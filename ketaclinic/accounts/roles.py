"""Roles and what each may do. Checked in actions and access functions, not only in templates."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import models

if TYPE_CHECKING:
    from ketaclinic.accounts.models import User
    from ketaclinic.clinics.models import Clinic


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    FRONT_DESK = "front_desk", "Front desk"
    NURSE = "nurse", "Nurse (RN)"
    PROVIDER = "provider", "Provider"
    MEDICAL_DIRECTOR = "medical_director", "Medical director"
    ADMIN = "admin", "Administrator"


STAFF_ROLES = frozenset({Role.FRONT_DESK, Role.NURSE, Role.PROVIDER, Role.MEDICAL_DIRECTOR, Role.ADMIN})
LICENSED_ROLES = frozenset({Role.NURSE, Role.PROVIDER, Role.MEDICAL_DIRECTOR})


class Perm(StrEnum):
    VIEW_PATIENTS = "view_patients"          # patient list, demographics, schedule
    REGISTER_PATIENTS = "register_patients"  # referrals, invitations
    VIEW_CLINICAL = "view_clinical"          # the clinical chart: history, vitals, scores
    CHART = "chart"                          # write clinical records (vitals, observations)
    PRESCRIBE = "prescribe"                  # eligibility decisions, dose orders, overrides
    EDIT_PROTOCOL = "edit_protocol"          # the clinic's protocol settings
    VIEW_AUDIT = "view_audit"
    MANAGE_STAFF = "manage_staff"
    VIEW_REPORTS = "view_reports"


ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.PATIENT: frozenset(),
    Role.FRONT_DESK: frozenset({Perm.VIEW_PATIENTS, Perm.REGISTER_PATIENTS}),
    Role.NURSE: frozenset({Perm.VIEW_PATIENTS, Perm.VIEW_CLINICAL, Perm.CHART}),
    Role.PROVIDER: frozenset({Perm.VIEW_PATIENTS, Perm.REGISTER_PATIENTS, Perm.VIEW_CLINICAL, Perm.CHART,
                              Perm.PRESCRIBE}),
    Role.MEDICAL_DIRECTOR: frozenset({Perm.VIEW_PATIENTS, Perm.REGISTER_PATIENTS, Perm.VIEW_CLINICAL, Perm.CHART,
                                      Perm.PRESCRIBE, Perm.EDIT_PROTOCOL, Perm.VIEW_AUDIT, Perm.VIEW_REPORTS}),
    Role.ADMIN: frozenset({Perm.MANAGE_STAFF, Perm.VIEW_AUDIT, Perm.VIEW_REPORTS}),
}


def roles_at(user: User | Any, clinic: Clinic | int) -> set[str]:
    """The active roles `user` holds at `clinic` (cached on the user object per request)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cache: dict[int, set[str]] = user.__dict__.setdefault("_roles_cache", {})
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    if clinic_id not in cache:
        cache[clinic_id] = set(
            user.memberships.filter(clinic_id=clinic_id, active=True).values_list("role", flat=True)
        )
    return cache[clinic_id]


def has_perm(user: User | Any, clinic: Clinic | int, perm: Perm) -> bool:
    return any(perm in ROLE_PERMS.get(role, frozenset()) for role in roles_at(user, clinic))


def require_perm(user: User | Any, clinic: Clinic | int, perm: Perm) -> None:
    if not has_perm(user, clinic, perm):
        raise PermissionDenied(f"Your role at this clinic does not allow this ({perm.value.replace('_', ' ')}).")


def is_staff_member(user: User | Any) -> bool:
    """True when the user holds any staff role at any clinic (2FA and idle timeout apply)."""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = user.__dict__.get("_is_staff_member")
    if cached is None:
        cached = user.memberships.filter(active=True, role__in=[r.value for r in STAFF_ROLES]).exists()
        user.__dict__["_is_staff_member"] = cached
    return bool(cached)


def staff_clinic_ids(user: User | Any, perm: Perm | None = None) -> list[int]:
    """Clinics where the user holds a staff role (granting `perm`, if given)."""
    if not getattr(user, "is_authenticated", False):
        return []
    rows = user.memberships.filter(active=True).values_list("clinic_id", "role")
    return sorted({cid for cid, role in rows
                   if role in STAFF_ROLES and (perm is None or perm in ROLE_PERMS.get(role, frozenset()))})
