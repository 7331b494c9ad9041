"""Helpers shared by the infusion views."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404, HttpRequest

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, Role, staff_clinic_ids
from ketaclinic.infusions.actions import InfusionError


def require_clinical_staff(request: HttpRequest) -> None:
    """Clinical pages: anyone without view-clinical anywhere gets the same 404 as a missing page."""
    if not staff_clinic_ids(request.user, Perm.VIEW_CLINICAL):
        raise Http404


def attach_error(form: forms.Form, exc: InfusionError) -> None:
    """Put the action's refusal on the field it names (or the whole form), keeping what was typed."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def clinic_users(clinic: Any, roles: tuple[str, ...]) -> list[User]:
    return list(User.objects.filter(memberships__clinic=clinic, memberships__active=True,
                                    memberships__role__in=roles, is_active=True).distinct().order_by("full_name"))


def providers_of(clinic: Any) -> list[User]:
    return clinic_users(clinic, (Role.PROVIDER, Role.MEDICAL_DIRECTOR))


def user_by_email(clinic: Any, email: str) -> User | None:
    """A licensed clinician of `clinic` by email (co-signer, witness), else None."""
    if not email:
        return None
    return User.objects.filter(email__iexact=email.strip(), memberships__clinic=clinic, memberships__active=True,
                               memberships__role__in=(Role.NURSE, Role.PROVIDER, Role.MEDICAL_DIRECTOR)).first()
