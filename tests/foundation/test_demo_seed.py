"""The demo clinic: every stage present, built through actions, and idempotent."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from ketaclinic.accounts.models import User
from ketaclinic.audit.log import first_chain_break
from ketaclinic.patients.models import Patient, Stage
from ketaclinic.schedule.models import Visit


@pytest.mark.django_db(transaction=True)
def test_seed_demo_twice_creates_everything_once(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = StringIO()
    call_command("seed_demo", stdout=out)
    counts = (Patient.objects.count(), User.objects.count(), Visit.objects.count())
    assert counts[0] >= 40
    assert set(Patient.objects.values_list("stage", flat=True)) == set(Stage.values)
    assert Visit.objects.filter(status="discharged").exists() and Visit.objects.filter(status="booked").exists()
    assert "nurse@demo.ketaclinic.org" in out.getvalue()
    call_command("seed_demo", stdout=StringIO())
    assert (Patient.objects.count(), User.objects.count(), Visit.objects.count()) == counts
    assert first_chain_break() is None
