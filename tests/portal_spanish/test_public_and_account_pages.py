"""The pages a patient meets before signing in (sign-in, password reset, a broken invitation,
a paused sign-in) speak Spanish once Español is chosen, and the reset email follows the
patient's own language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.factories import PASSWORD
from tests.portal_spanish.crawl import english_words, read_page

pytestmark = pytest.mark.django_db


def _spanish(response: Any) -> str:
    """The page's visible text, after checking it is a Spanish page with no English words."""
    page = read_page(response.content.decode())
    text = " ".join(page.text)
    assert page.html_lang == "es", page.html_lang
    assert english_words(text, ["ketaclinic"]) == [], text
    return text


def _choose_spanish(client: Client, on: str) -> Any:
    return client.post(reverse("guide:set_language"), {"language": "es", "next": on}, follow=True)


def test_the_sign_in_page_offers_espanol_and_then_speaks_spanish(patient: Any) -> None:
    client = Client()
    english = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="en">' in english and "Forgot your password?" in english
    assert 'value="es" lang="es">Español</button>' in english
    page = _choose_spanish(client, reverse("accounts:login"))
    assert page.redirect_chain[-1][0] == reverse("accounts:login")
    text = _spanish(page)
    assert "Iniciar sesión" in text and "¿Olvidó su contraseña?" in text and "Correo electrónico" in text
    assert 'lang="en">English</button>' in page.content.decode()  # and back
    wrong = client.post(reverse("accounts:login"), {"username": patient.email, "password": "nope"})
    assert "correcto" in _spanish(wrong)  # Django's own error message, in Spanish
    patient.refresh_from_db()
    assert patient.preferred_language == "en"  # a visitor's choice changes nobody's record


def test_an_anonymous_language_choice_is_checked_and_goes_nowhere_else() -> None:
    client = Client()
    bad = client.post(reverse("guide:set_language"), {"language": "fr", "next": "/accounts/login/"})
    assert bad.status_code == 302 and client.session.get("lang") is None
    away = client.post(reverse("guide:set_language"), {"language": "es", "next": "https://evil.example/"})
    assert away["Location"] == "/"
    assert client.get(reverse("guide:set_language")).status_code == 405


def test_the_password_reset_flow_in_spanish(patient: Any) -> None:
    client = Client()
    _choose_spanish(client, reverse("accounts:password_reset"))
    assert "Enviar el enlace" in _spanish(client.get(reverse("accounts:password_reset")))
    sent = client.post(reverse("accounts:password_reset"), {"email": patient.email}, follow=True)
    assert "Revise su correo electrónico" in _spanish(sent)
    uid = urlsafe_base64_encode(force_bytes(patient.user.pk))
    token = default_token_generator.make_token(patient.user)
    broken = client.get(reverse("accounts:password_reset_confirm", args=[uid, "wrong-token"]))
    assert "Este enlace no funciona" in _spanish(broken)
    form = client.get(reverse("accounts:password_reset_confirm", args=[uid, token]), follow=True)
    assert "Elija una contraseña nueva" in _spanish(form)
    new = "a-new-long-passphrase-42"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True)
    assert "Contraseña guardada" in _spanish(done)
    patient.user.refresh_from_db()
    assert patient.user.check_password(new)


@pytest.mark.parametrize(("language", "expected", "not_expected"), [
    ("es", "Alguien pidió cambiar la contraseña", "Someone asked"),
    ("en", "Someone asked to reset the password", "Alguien"),
])
def test_the_reset_email_is_in_the_patients_language_whatever_the_page(patient: Any, language: str, expected: str,
                                                                        not_expected: str) -> None:
    patient.preferred_language = language
    patient.save(update_fields=["preferred_language"])
    client = Client()  # the page itself in the other language
    if language == "en":
        _choose_spanish(client, "/")
    client.post(reverse("accounts:password_reset"), {"email": patient.email})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert expected in message.body and not_expected not in message.body
    assert ("Cambie su contraseña" in message.subject) == (language == "es")
    link = re.search(r"https?://\S+/reset/\S+/", message.body)
    assert link is not None  # the link itself is unchanged


def test_a_staff_members_reset_email_follows_the_page(nurse: Any) -> None:
    client = Client()
    _choose_spanish(client, "/")
    client.post(reverse("accounts:password_reset"), {"email": nurse.email})
    assert "Alguien pidió" in mail.outbox[0].body


def test_a_broken_invitation_link_in_spanish() -> None:
    client = Client()
    _choose_spanish(client, "/")
    page = client.get(reverse("accounts:accept_invitation", args=["not-a-real-token"]))
    assert page.status_code == 410
    text = _spanish(page)
    assert "Este enlace no funciona" in text and "Pídale uno nuevo a la clínica" in text


def test_a_paused_sign_in_in_spanish(settings: Any, patient: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    _choose_spanish(client, reverse("accounts:login"))
    for _ in range(3):
        client.post(reverse("accounts:login"), {"username": patient.email, "password": "wrong-password"})
    locked = client.post(reverse("accounts:login"), {"username": patient.email, "password": PASSWORD})
    assert locked.status_code == 429
    text = _spanish(locked)
    assert "El inicio de sesión está en pausa" in text and "¿Olvidó su contraseña?" in text


def test_a_patient_without_a_clinic_link_reads_spanish(login: Any, patient: Any) -> None:
    from tests.factories import make_user

    orphan = make_user(email="sin-clinica@example.com", full_name="Lucía Sin Clínica")
    client = login(orphan)
    _choose_spanish(client, "/")
    page = client.get("/")
    assert page.status_code == 403
    assert "Ya casi está" in _spanish(page)


def test_two_step_sign_in_for_a_spanish_speaking_patient(login: Any, patient: Any) -> None:
    patient.preferred_language = "es"
    patient.save(update_fields=["preferred_language"])
    client = Client()
    client.force_login(patient.user)
    text = _spanish(client.get(reverse("accounts:two_factor_setup")))
    assert "Active el inicio de sesión en dos pasos" in text and "Código" in text
    wrong = client.post(reverse("accounts:two_factor_setup"), {"code": "000000"})
    assert "Ese código no coincide" in _spanish(wrong)
