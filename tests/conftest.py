"""Personas shared by every test file (healthchecks' hc/test.py, as fixtures).

Each persona's comment says what it may do. Clients come signed in with two-step sign-in done.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from django.test import Client

    from ketaclinic.accounts.models import User
    from ketaclinic.clinics.models import Clinic
    from ketaclinic.patients.models import Patient

# Django-dependent imports live inside the fixtures so that the pure rule tests
# (tests/protocol, tests/scheduling) also run with `-p no:django`.


@pytest.fixture
def clinic(db: None) -> Clinic:
    from tests.factories import make_clinic

    return make_clinic(name="Harbor Ketamine Clinic", slug="harbor")


@pytest.fixture
def other_clinic(db: None) -> Clinic:
    from tests.factories import make_clinic

    return make_clinic(name="Other Town Clinic", slug="other-town", tz="America/Los_Angeles")


@pytest.fixture
def patient(clinic: Clinic) -> Patient:
    """Owns their own record; sees only their portal."""
    from tests.factories import make_patient

    return make_patient(clinic, first_name="Maya", last_name="Reyes")


@pytest.fixture
def other_patient(clinic: Clinic) -> Patient:
    """Another patient of the same clinic: must never see `patient`'s data."""
    from tests.factories import make_patient

    return make_patient(clinic, first_name="Omar", last_name="Blake")


@pytest.fixture
def front_desk(clinic: Clinic) -> User:
    """Registers patients and books visits; no clinical chart."""
    from ketaclinic.accounts.roles import Role
    from tests.factories import make_staff

    return make_staff(clinic, Role.FRONT_DESK, full_name="Fran Desk")


@pytest.fixture
def nurse(clinic: Clinic) -> User:
    """Reads the clinical chart and charts vitals; cannot prescribe or change the protocol."""
    from ketaclinic.accounts.roles import Role
    from tests.factories import make_staff

    return make_staff(clinic, Role.NURSE, full_name="Nina Nurse", credentials="RN")


@pytest.fixture
def provider(clinic: Clinic) -> User:
    """Decides eligibility, orders doses, co-signs overrides."""
    from ketaclinic.accounts.roles import Role
    from tests.factories import make_staff

    return make_staff(clinic, Role.PROVIDER, full_name="Paul Provider", credentials="MD")


@pytest.fixture
def medical_director(clinic: Clinic) -> User:
    """Everything a provider does, plus protocol settings, audit log and reports."""
    from ketaclinic.accounts.roles import Role
    from tests.factories import make_staff

    return make_staff(clinic, Role.MEDICAL_DIRECTOR, full_name="Mira Director", credentials="MD")


@pytest.fixture
def admin_user(clinic: Clinic) -> User:
    """Manages staff and sees the audit log; no patient records."""
    from ketaclinic.accounts.roles import Role
    from tests.factories import make_staff

    return make_staff(clinic, Role.ADMIN, full_name="Ada Admin")


@pytest.fixture
def other_clinic_nurse(other_clinic: Clinic) -> User:
    """A nurse at another clinic: must see nothing of `clinic`."""
    from ketaclinic.accounts.roles import Role
    from tests.factories import make_staff

    return make_staff(other_clinic, Role.NURSE, full_name="Otto Elsewhere", credentials="RN")


@pytest.fixture
def login() -> Any:
    """login(user) -> a client signed in with two-step sign-in completed."""
    from tests.factories import verified_client

    return verified_client


@pytest.fixture
def anon() -> Client:
    from django.test import Client

    return Client()


@pytest.fixture(autouse=True)
def _fast_password_hashing(request: pytest.FixtureRequest) -> None:
    # Argon2 is deliberately slow; tests that check hashing itself override this.
    if not request.config.pluginmanager.hasplugin("django"):
        return
    settings = request.getfixturevalue("settings")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                                 "django.contrib.auth.hashers.Argon2PasswordHasher"]


@dataclass
class SentMail:
    messages: list[Message] = field(default_factory=list)

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in (m.get("To") or "")]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SentMail]:
    """A real SMTP server on a free local port; Django's SMTP backend delivers to it."""
    from aiosmtpd.controller import Controller

    sent = SentMail()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            sent.messages.append(message_from_bytes(envelope.original_content or envelope.content))
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    try:
        yield sent
    finally:
        controller.stop()


# ---- Browser journeys (Playwright driving Debian's chromium; never a downloaded browser) ----

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh browser page; `page.base_url` is the live server's address."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    new_page = context.new_page()
    new_page.set_default_timeout(10_000)
    new_page.base_url = live_server.url  # type: ignore[attr-defined]
    yield new_page
    context.close()


@pytest.fixture
def browser_login() -> Any:
    """browser_login(page, user): sign in through the real form, with the two-step code when needed."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketaclinic.accounts.roles import is_staff_member
    from tests.factories import PASSWORD

    def do_login(page: Any, user: Any, password: str = PASSWORD) -> None:
        key = "3132333435363738393031323334353637383930"
        if is_staff_member(user):
            TOTPDevice.objects.filter(user=user).delete()
            TOTPDevice.objects.create(user=user, name="browser", key=key, confirmed=True)
        page.goto(page.base_url + "/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        if is_staff_member(user):
            page.get_by_label("Code").fill(f"{totp(bytes.fromhex(key)):06d}")
            page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()

    return do_login
