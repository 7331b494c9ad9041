"""Two-step sign-in: required for staff, optional for patients; lockout; idle timeout."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.audit.models import AuditEvent
from tests.factories import PASSWORD


def sign_in(client: Client, email: str, password: str = PASSWORD) -> Any:
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


@pytest.mark.django_db
def test_staff_must_set_up_two_step_sign_in_before_any_page(nurse: Any, patient: Any) -> None:
    client = Client()
    assert sign_in(client, nurse.email).status_code == 302
    response = client.get(reverse("patients:chart", args=[patient.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_setup"))


@pytest.mark.django_db
def test_enrolling_an_app_gives_backup_codes_and_unlocks_staff_pages(nurse: Any, patient: Any) -> None:
    client = Client()
    sign_in(client, nurse.email)
    page = client.get(reverse("accounts:two_factor_setup"))
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=nurse, confirmed=False)
    wrong = client.post(reverse("accounts:two_factor_setup"), {"code": "000000"})
    assert "did not match" in wrong.content.decode()
    code = f"{totp(device.bin_key):06d}"
    done = client.post(reverse("accounts:two_factor_setup"), {"code": code})
    assert "Your backup codes" in done.content.decode()
    assert client.get(reverse("patients:chart", args=[patient.pk])).status_code == 200
    assert AuditEvent.objects.filter(action="TWO_FACTOR_ENABLED", actor=nurse).exists()


@pytest.mark.django_db
def test_returning_staff_must_enter_a_code_and_a_backup_code_works_once(nurse: Any) -> None:
    from ketaclinic.accounts.actions import do_confirm_totp, start_totp_setup

    device = start_totp_setup(nurse)
    codes = do_confirm_totp(nurse, device, f"{totp(device.bin_key):06d}")
    client = Client()
    sign_in(client, nurse.email)
    assert client.get("/patients/")["Location"].startswith(reverse("accounts:two_factor_verify"))
    bad = client.post(reverse("accounts:two_factor_verify"), {"code": "123456"})
    assert "did not work" in bad.content.decode()
    # django-otp slows down guessing: after a failure the next try must wait a moment.
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        ok = client.post(reverse("accounts:two_factor_verify"), {"code": codes[0], "next": "/patients/"})
    assert ok["Location"] == "/patients/"
    again = Client()
    sign_in(again, nurse.email)
    reused = again.post(reverse("accounts:two_factor_verify"), {"code": codes[0]})
    assert "did not work" in reused.content.decode()


@pytest.mark.django_db
def test_patients_do_not_need_two_step_sign_in(patient: Any) -> None:
    client = Client()
    sign_in(client, patient.email)
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_account(settings: Any, nurse: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        sign_in(client, nurse.email.upper(), "wrong-password")
    locked = sign_in(client, nurse.email)  # even the right password is refused now
    assert locked.status_code == 429
    assert "Sign-in is paused" in locked.content.decode()


@pytest.mark.django_db
def test_staff_are_signed_out_after_the_clinic_idle_timeout(login: Any, nurse: Any, clinic: Any) -> None:
    client = login(nurse)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert client.get("/patients/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert client.get("/patients/").status_code == 200  # activity resets the clock
    with time_machine.travel(start + timedelta(minutes=14 + 16), tick=False):
        response = client.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_idle_timeout_is_per_clinic(login: Any, nurse: Any, clinic: Any) -> None:
    clinic.staff_idle_timeout_minutes = 5
    clinic.save()
    client = login(nurse)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get("/patients/")
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert client.get("/patients/").status_code == 302


@pytest.mark.django_db
def test_patients_are_not_timed_out_like_staff(login: Any, patient: Any) -> None:
    client = login(patient.user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get("/")
    with time_machine.travel(start + timedelta(minutes=60), tick=False):
        assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2(settings: Any) -> None:
    from tests.factories import make_user

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = make_user()
    assert user.password.startswith("argon2")


@pytest.mark.django_db
def test_a_patient_can_turn_on_two_step_sign_in_and_then_needs_it(patient: Any) -> None:
    client = Client()
    sign_in(client, patient.email)
    assert reverse("accounts:two_factor_setup") in client.get("/").content.decode()
    client.get(reverse("accounts:two_factor_setup"))
    device = TOTPDevice.objects.get(user=patient.user, confirmed=False)
    client.post(reverse("accounts:two_factor_setup"), {"code": f"{totp(device.bin_key):06d}"})
    later = Client()
    sign_in(later, patient.email)
    assert later.get("/")["Location"].startswith(reverse("accounts:two_factor_verify"))
