"""Each URL tried as owner, permitted colleague, colleague without the role, other clinic,
other patient and anonymous (ARCHITECTURE.md: persona tests)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent


def status_of(client: Any, url: str) -> int:
    return int(client.get(url).status_code)


@pytest.mark.django_db
def test_patient_chart_ladder(login: Any, anon: Any, patient: Any, other_patient: Any, nurse: Any,
                              front_desk: Any, admin_user: Any, other_clinic_nurse: Any) -> None:
    url = reverse("patients:chart", args=[patient.pk])
    assert status_of(login(nurse), url) == 200               # permitted colleague
    assert status_of(login(front_desk), url) == 200          # sees demographics only
    assert status_of(login(admin_user), url) == 404          # staff role without patient access
    assert status_of(login(other_clinic_nurse), url) == 404  # other clinic: same as missing
    assert status_of(login(patient.user), url) == 404        # staff page; the owner uses the portal
    assert status_of(login(other_patient.user), url) == 404  # another patient
    assert anon.get(url).status_code == 302                  # anonymous → sign in


@pytest.mark.django_db
def test_front_desk_sees_no_clinical_section(login: Any, patient: Any, front_desk: Any, nurse: Any) -> None:
    url = reverse("patients:chart", args=[patient.pk])
    assert "does not include the clinical record" in login(front_desk).get(url).content.decode()
    assert "does not include the clinical record" not in login(nurse).get(url).content.decode()


@pytest.mark.django_db
def test_viewing_a_chart_is_audited(login: Any, patient: Any, nurse: Any) -> None:
    login(nurse).get(reverse("patients:chart", args=[patient.pk]))
    event = AuditEvent.objects.filter(action="CHART_VIEWED").get()
    assert event.patient_ref == patient.pk and event.actor_id == nurse.pk and event.ip == "127.0.0.1"


@pytest.mark.django_db
def test_patient_list_ladder(login: Any, anon: Any, patient: Any, nurse: Any, admin_user: Any,
                             other_clinic_nurse: Any) -> None:
    url = reverse("patients:list")
    body = login(nurse).get(url).content.decode()
    assert "Reyes" in body
    assert "Reyes" not in login(other_clinic_nurse).get(url).content.decode()
    assert status_of(login(admin_user), url) == 404
    assert status_of(login(patient.user), url) == 404
    assert anon.get(url).status_code == 302


@pytest.mark.django_db
def test_register_patient_ladder(login: Any, anon: Any, patient: Any, front_desk: Any, nurse: Any,
                                 other_clinic_nurse: Any) -> None:
    url = reverse("patients:register")
    assert status_of(login(front_desk), url) == 200
    assert status_of(login(nurse), url) == 403               # colleague without the role
    assert status_of(login(patient.user), url) == 404
    assert anon.get(url).status_code == 302


@pytest.mark.django_db
def test_protocol_settings_ladder(login: Any, anon: Any, patient: Any, medical_director: Any, nurse: Any,
                                  front_desk: Any, other_clinic_nurse: Any) -> None:
    url = reverse("clinics:protocol_settings")
    assert status_of(login(medical_director), url) == 200
    assert status_of(login(nurse), url) == 200               # clinicians may read it
    assert "Reason" not in login(nurse).get(url).content.decode()  # but not edit
    assert status_of(login(front_desk), url) == 403
    assert status_of(login(patient.user), url) == 403
    assert anon.get(url).status_code == 302
    assert login(nurse).post(url, {"key": "dose.mood_dose_mg_per_kg_soft_max", "value": "0.8",
                                   "reason": "x"}).status_code == 403


@pytest.mark.django_db
def test_audit_log_ladder(login: Any, anon: Any, patient: Any, medical_director: Any, admin_user: Any,
                          nurse: Any, other_clinic_nurse: Any) -> None:
    url = reverse("audit:log")
    assert status_of(login(medical_director), url) == 200
    assert status_of(login(admin_user), url) == 200
    assert status_of(login(nurse), url) == 403
    assert status_of(login(patient.user), url) == 403
    assert anon.get(url).status_code == 302
    # the other clinic's staff see only their own clinic's events
    body = login(other_clinic_nurse).get(url)
    assert body.status_code == 403


@pytest.mark.django_db
def test_team_page_ladder(login: Any, anon: Any, patient: Any, admin_user: Any, medical_director: Any) -> None:
    url = reverse("accounts:team")
    assert status_of(login(admin_user), url) == 200
    assert status_of(login(medical_director), url) == 403
    assert status_of(login(patient.user), url) == 403
    assert anon.get(url).status_code == 302


@pytest.mark.django_db
def test_home_screens(login: Any, anon: Any, patient: Any, nurse: Any) -> None:
    assert "Hello, Maya" in login(patient.user).get("/").content.decode()
    assert "Harbor Ketamine Clinic" in login(nurse).get("/").content.decode()
    assert anon.get("/").status_code == 302


@pytest.mark.django_db
def test_healthz(anon: Any) -> None:
    response = anon.get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == "ok"
