"""Invitations and password reset go out through a real SMTP server."""

from __future__ import annotations

import re
from datetime import date
from email.header import decode_header, make_header
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketaclinic.accounts.models import Membership, User
from ketaclinic.patients.models import Patient


def link_in(message: Any) -> str:
    body = message.get_payload(decode=True).decode()
    match = re.search(r"http://testserver(/\S+)", body)
    assert match, body
    return match.group(1)


@pytest.mark.django_db
def test_admin_invites_a_nurse_who_sets_a_password_then_two_step(
    login: Any, admin_user: Any, clinic: Any, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = login(admin_user).post(reverse("accounts:team"), {
            "full_name": "Rita Newhire", "email": "rita@example.org", "role": "nurse"})
    assert response.status_code == 302
    [message] = smtp_server.to("rita@example.org")
    path = link_in(message)
    client = Client()
    weak = client.post(path, {"password": "short", "password_again": "short"})
    assert "too short" in weak.content.decode()
    done = client.post(path, {"password": "a-long-enough-passphrase", "password_again": "a-long-enough-passphrase"})
    assert done["Location"] == reverse("accounts:two_factor_setup")
    user = User.objects.get(email="rita@example.org")
    assert Membership.objects.filter(user=user, clinic=clinic, role="nurse", active=True).exists()
    assert Client().get(path).status_code == 410  # single use


@pytest.mark.django_db
def test_front_desk_registers_and_invites_a_patient_once(
    login: Any, front_desk: Any, clinic: Any, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = {"first_name": "Lena", "last_name": "Frost", "date_of_birth": "1979-02-03", "sex_at_birth": "female",
            "email": "lena@example.org", "phone": "555-0101", "preferred_language": "en", "send_invitation": "on"}
    client = login(front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(reverse("patients:register"), data)
    assert first.status_code == 302
    second = client.post(reverse("patients:register"), data)  # double submit
    assert second.status_code == 200 and "already registered" in second.content.decode()
    assert 'value="Frost"' in second.content.decode()  # what was typed is kept
    assert Patient.objects.filter(last_name="Frost").count() == 1
    [message] = smtp_server.to("lena@example.org")
    path = link_in(message)
    portal = Client()
    portal.post(path, {"password": "lena-portal-passphrase", "password_again": "lena-portal-passphrase"})
    assert "Hello, Lena" in portal.get("/").content.decode()
    assert Patient.objects.get(last_name="Frost").user is not None


@pytest.mark.django_db
def test_register_form_shows_clear_errors(login: Any, front_desk: Any) -> None:
    response = login(front_desk).post(reverse("patients:register"),
                                      {"first_name": "Ann", "date_of_birth": "31/31/1990"})
    body = response.content.decode()
    assert response.status_code == 200 and "This field is required" in body and "Enter a valid date" in body
    assert 'value="Ann"' in body


@pytest.mark.django_db
def test_password_reset_email_arrives_and_works(patient: Any, smtp_server: Any) -> None:
    client = Client()
    client.post(reverse("accounts:password_reset"), {"email": patient.email})
    [message] = smtp_server.to(patient.email)
    path = link_in(message)
    form_page = client.get(path, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": "a-brand-new-passphrase",
                                                          "new_password2": "a-brand-new-passphrase"})
    assert done.status_code == 302
    patient.user.refresh_from_db()
    assert patient.user.check_password("a-brand-new-passphrase")


@pytest.mark.django_db
def test_patients_of_two_clinics_never_mix(login: Any, clinic: Any, other_clinic: Any, nurse: Any) -> None:
    from tests.factories import make_patient

    make_patient(other_clinic, first_name="Far", last_name="Away", date_of_birth=date(1990, 1, 1))
    body = login(nurse).get(reverse("patients:list")).content.decode()
    assert "Away" not in body


@pytest.mark.django_db
def test_a_mail_server_failure_keeps_the_registration(
    login: Any, front_desk: Any, clinic: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from tests.conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    data = {"first_name": "Ned", "last_name": "Offline", "date_of_birth": "1970-05-06", "sex_at_birth": "male",
            "email": "ned@example.org", "preferred_language": "en", "send_invitation": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        response = login(front_desk).post(reverse("patients:register"), data)
    assert response.status_code == 302
    assert Patient.objects.filter(last_name="Offline").exists()


@pytest.mark.django_db
def test_a_spanish_speaking_patient_gets_the_invitation_and_the_set_up_page_in_spanish(
    login: Any, front_desk: Any, clinic: Any, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = {"first_name": "Rosa", "last_name": "Ibarra", "date_of_birth": "1975-06-07", "sex_at_birth": "female",
            "email": "rosa@example.org", "preferred_language": "es", "send_invitation": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        assert login(front_desk).post(reverse("patients:register"), data).status_code == 302
    [message] = smtp_server.to("rosa@example.org")
    body = message.get_payload(decode=True).decode()
    assert str(make_header(decode_header(message["Subject"]))) == f"Su portal de paciente de {clinic.name}"
    assert "Use este enlace" in body and "Use this link" not in body
    page = Client().get(link_in(message))
    html = page.content.decode()
    assert page.status_code == 200 and '<html lang="es">' in html
    assert "Elija una contraseña" in html and "Crear mi cuenta" in html and "Choose a password" not in html
    mismatch = Client().post(link_in(message), {"password": "a-long-enough-passphrase", "password_again": "other"})
    assert "Las dos contraseñas no son iguales." in mismatch.content.decode()


@pytest.mark.django_db
def test_an_english_speaking_patient_gets_the_invitation_in_english(
    login: Any, front_desk: Any, clinic: Any, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = {"first_name": "Ann", "last_name": "Lee", "date_of_birth": "1975-06-07", "sex_at_birth": "female",
            "email": "ann@example.org", "preferred_language": "en", "send_invitation": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        login(front_desk).post(reverse("patients:register"), data)
    [message] = smtp_server.to("ann@example.org")
    assert "Use this link" in message.get_payload(decode=True).decode()
    assert "Choose a password" in Client().get(link_in(message)).content.decode()
