"""The medical director changes a protocol value with a reason; every version is kept."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.clinics.actions import ReasonRequired, do_change_protocol_setting
from ketaclinic.clinics.models import ProtocolVersion

URL = reverse("clinics:protocol_settings")
KEY = "preparation.fast_solids_h"


@pytest.mark.django_db
def test_a_change_creates_a_version_with_who_when_why(login: Any, medical_director: Any, clinic: Any) -> None:
    response = login(medical_director).post(URL, {"key": KEY, "value": "8", "reason": "Our anaesthetist asked"})
    assert response.status_code == 302
    version = ProtocolVersion.objects.get(clinic=clinic)
    assert (version.number, version.changed_key, version.old_value, version.new_value) == (1, KEY, 6, 8.0)
    assert version.created_by == medical_director and version.reason == "Our anaesthetist asked"
    assert clinic.protocol().preparation.fast_solids_h == 8
    event = AuditEvent.objects.get(action="PROTOCOL_CHANGED")
    assert event.details["key"] == KEY and event.details["reason"] == "Our anaesthetist asked"


@pytest.mark.django_db
def test_history_keeps_every_version_and_reset_returns_to_default(medical_director: Any, clinic: Any) -> None:
    do_change_protocol_setting(medical_director, clinic, KEY, 8, "first")
    do_change_protocol_setting(medical_director, clinic, "course.induction_infusions", 8, "second")
    do_change_protocol_setting(medical_director, clinic, KEY, None, "back to ASA default")
    versions = list(ProtocolVersion.objects.filter(clinic=clinic).order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3]
    assert versions[1].overrides == {KEY: 8, "course.induction_infusions": 8}
    assert versions[2].overrides == {"course.induction_infusions": 8}
    assert clinic.protocol().preparation.fast_solids_h == 6


@pytest.mark.django_db
def test_overrides_are_per_clinic(medical_director: Any, clinic: Any, other_clinic: Any) -> None:
    do_change_protocol_setting(medical_director, clinic, KEY, 8, "ours only")
    assert other_clinic.protocol().preparation.fast_solids_h == 6


@pytest.mark.django_db
def test_a_bad_value_keeps_what_was_typed_and_saves_nothing(login: Any, medical_director: Any, clinic: Any) -> None:
    response = login(medical_director).post(URL, {"key": KEY, "value": "eight", "reason": "typo test"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "must be a number" in body and 'value="eight"' in body and 'value="typo test"' in body
    assert not ProtocolVersion.objects.exists()


@pytest.mark.django_db
def test_a_reason_is_required(login: Any, medical_director: Any, clinic: Any) -> None:
    response = login(medical_director).post(URL, {"key": KEY, "value": "8", "reason": "  "})
    assert response.status_code == 400 and "Say why" in response.content.decode()
    with pytest.raises(ReasonRequired):
        do_change_protocol_setting(medical_director, clinic, KEY, 8, "")


@pytest.mark.django_db
def test_only_the_medical_director_may_change_values(provider: Any, clinic: Any, other_clinic: Any,
                                                     medical_director: Any) -> None:
    with pytest.raises(PermissionDenied):
        do_change_protocol_setting(provider, clinic, KEY, 8, "not mine to change")
    with pytest.raises(PermissionDenied):  # a director of clinic A cannot change clinic B
        do_change_protocol_setting(medical_director, other_clinic, KEY, 8, "wrong clinic")


@pytest.mark.django_db
def test_the_page_shows_sources_and_history(login: Any, medical_director: Any, clinic: Any) -> None:
    do_change_protocol_setting(medical_director, clinic, KEY, 8, "Our anaesthetist asked")
    body = login(medical_director).get(URL).content.decode()
    assert "ASA 2017" in body and "Our anaesthetist asked" in body and "changed" in body
