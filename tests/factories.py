"""Plain factory functions (djangoproject.com style). State that an action produces is built
by calling the action, so tests see what the application really writes."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.actions import do_grant_role
from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Role
from ketaclinic.clinics.actions import do_create_clinic
from ketaclinic.clinics.models import Clinic
from ketaclinic.patients.models import Patient

PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)


def make_clinic(**fields: Any) -> Clinic:
    n = next(_seq)
    fields.setdefault("name", f"Clinic {n}")
    fields.setdefault("slug", f"clinic-{n}")
    fields.setdefault("tz", "America/New_York")
    fields.setdefault("phone", "555-0100")
    return do_create_clinic(None, **fields)


def make_user(**fields: Any) -> User:
    n = next(_seq)
    fields.setdefault("email", f"user{n}@example.org")
    fields.setdefault("full_name", f"User {n}")
    return User.objects.create_user(password=PASSWORD, **fields)


def make_staff(clinic: Clinic, role: str, **fields: Any) -> User:
    user = make_user(**fields)
    do_grant_role(None, clinic, user, role)
    return user


def make_patient(clinic: Clinic, *, with_account: bool = True, **fields: Any) -> Patient:
    """A patient record (registered straight away; registration itself is tested through its action)."""
    from django.utils import timezone

    n = next(_seq)
    fields.setdefault("first_name", f"Pat{n}")
    fields.setdefault("last_name", f"Ient{n}")
    fields.setdefault("date_of_birth", date(1985, 4, 12))
    fields.setdefault("sex_at_birth", "female")
    fields.setdefault("email", f"patient{n}@example.org")
    fields.setdefault("created_at", timezone.now())
    patient = Patient.objects.create(clinic=clinic, **fields)
    if with_account:
        user = make_user(email=patient.email, full_name=patient.display_name)
        do_grant_role(None, clinic, user, Role.PATIENT)
        patient.user = user
        patient.save(update_fields=["user"])
    return patient


def verified_client(user: User) -> Client:
    """A test client signed in as `user` with two-step sign-in completed."""
    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
