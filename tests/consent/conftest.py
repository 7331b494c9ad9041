"""Consent test helpers: sign through the real actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone


@pytest.fixture
def sign() -> Any:
    """sign(patient, now=None, language="en") -> ConsentSignature via the portal action."""
    from ketaclinic.consent.access import current_or_default_template
    from ketaclinic.consent.actions import do_sign_consent

    def do(patient: Any, *, now: datetime | None = None, language: str = "en") -> Any:
        now = now or timezone.now()
        return do_sign_consent(patient.user, patient,
                               template_version=current_or_default_template(patient.clinic).version,
                               language=language, typed_name=patient.display_name,
                               signed_on=timezone.localtime(now, patient.clinic.zone).date(), agreed=True,
                               ip="203.0.113.9", user_agent="pytest", now=now)

    return do


@pytest.fixture
def publish() -> Any:
    """publish(director, clinic, requires_reconsent=False, now=None) -> new ConsentTemplate version."""
    from ketaclinic.consent.access import current_or_default_template
    from ketaclinic.consent.actions import do_publish_consent_template

    def do(director: Any, clinic: Any, *, requires_reconsent: bool = False, now: datetime | None = None) -> Any:
        current = current_or_default_template(clinic)
        return do_publish_consent_template(
            director, clinic, based_on_version=current.version, title_en=current.title_en,
            body_en=current.body_en + f"\nChanged in v{current.version + 1}.\n", title_es=current.title_es,
            body_es=current.body_es, requires_reconsent=requires_reconsent, change_note="Clearer risks section",
            now=now)

    return do
