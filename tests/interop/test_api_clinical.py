"""API reads and writes of clinical records: access as the UI, scope, clinic isolation, query counts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketaclinic.infusions.actions import do_record_vitals
from ketaclinic.infusions.models import VitalAlert, VitalSign
from ketaclinic.outcomes.actions import do_submit_questionnaire
from tests.interop.conftest import bearer

pytestmark = pytest.mark.django_db


def vitals_url(visit: Any) -> str:
    return f"/api/visits/{visit.pk}/vitals"


def test_a_write_token_records_vitals_through_the_alert_rules(api, write_token, visit_in_chair):
    body = {"systolic": 182, "diastolic": 95, "heart_rate": 88, "spo2": 97, "device_id": "GW-1"}
    response = api.post(vitals_url(visit_in_chair), json.dumps(body), content_type="application/json",
                        **bearer(write_token))
    assert response.status_code == 201, response.content
    vital = VitalSign.objects.get()
    assert (vital.source, vital.device_id, vital.confirmed_at) == ("monitor", "GW-1", None)
    assert VitalAlert.objects.filter(vital_sign=vital).exists()  # 182 systolic during infusion


def test_refused_vitals_are_a_422_with_the_reason(api, write_token, visit_in_chair):
    response = api.post(vitals_url(visit_in_chair), "{}", content_type="application/json", **bearer(write_token))
    assert response.status_code == 422
    assert "at least one value" in response.json()["detail"]


def test_a_read_token_reads_vitals_but_cannot_record(api, read_token, visit_in_chair):
    do_record_vitals(None, visit_in_chair, heart_rate=70, source="monitor", device_id="M")
    assert api.get(vitals_url(visit_in_chair), **bearer(read_token)).json()["count"] == 1
    response = api.post(vitals_url(visit_in_chair), '{"heart_rate": 70}', content_type="application/json",
                        **bearer(read_token))
    assert response.status_code == 403
    assert VitalSign.objects.count() == 1


def test_vitals_for_people(api, login, visit_in_chair, nurse, front_desk, patient, other_patient,
                           other_clinic_nurse, other_clinic_token, anon):
    url = vitals_url(visit_in_chair)
    assert login(nurse).get(url).status_code == 200
    for who in (front_desk, patient.user, other_patient.user, other_clinic_nurse):
        assert login(who).get(url).status_code == 404, who
    assert api.get(url, **bearer(other_clinic_token)).status_code == 404
    assert anon.get(url).status_code == 401


def test_an_unverified_staff_session_is_refused(visit_in_chair, nurse):
    from django.test import Client

    client = Client()
    client.force_login(nurse)  # password only, no second step
    assert client.get(vitals_url(visit_in_chair)).status_code == 403


def test_the_vitals_list_has_a_bounded_query_count(api, read_token, visit_in_chair):
    do_record_vitals(None, visit_in_chair, heart_rate=60, source="monitor", device_id="M")
    api.get("/api/me", **bearer(read_token))  # the token's last-used stamp is written once a minute
    with CaptureQueriesContext(connection) as one:
        assert api.get(vitals_url(visit_in_chair), **bearer(read_token)).json()["count"] == 1
    for n in range(1, 20):
        do_record_vitals(None, visit_in_chair, heart_rate=60 + n, source="monitor", device_id="M")
    with CaptureQueriesContext(connection) as twenty:
        assert api.get(vitals_url(visit_in_chair), **bearer(read_token)).json()["count"] == 20
    assert len(one) == len(twenty)


def test_observations_list(api, read_token, visit_in_chair, nurse):
    from ketaclinic.infusions.actions.care import do_record_observation

    do_record_observation(nurse, visit_in_chair, "nausea", value=1)
    items = api.get(f"/api/visits/{visit_in_chair.pk}/observations", **bearer(read_token)).json()["items"]
    assert [(i["kind"], i["value"]) for i in items] == [("nausea", 1)]


def test_questionnaires_follow_the_outcomes_access_rules(api, login, read_token, other_clinic_token, patient,
                                                        other_patient, front_desk):
    do_submit_questionnaire(patient.user, patient, "phq9", [1] * 9, submission_key="k1")
    do_submit_questionnaire(other_patient.user, other_patient, "gad7", [0] * 7, submission_key="k2")
    body = api.get("/api/questionnaire-responses", {"instrument": "phq9"}, **bearer(read_token)).json()
    assert [(i["patient_id"], i["total"]) for i in body["items"]] == [(patient.pk, 9)]
    assert api.get("/api/questionnaire-responses", **bearer(other_clinic_token)).json()["count"] == 0
    own = login(patient.user).get("/api/questionnaire-responses").json()
    assert [i["patient_id"] for i in own["items"]] == [patient.pk]
    assert login(front_desk).get("/api/questionnaire-responses").json()["count"] == 0


def test_list_endpoints_have_bounded_query_counts(api, read_token, clinic, provider, front_desk):
    from ketaclinic.schedule.actions import do_create_chair
    from tests.factories import make_patient
    from tests.interop.conftest import book_visit

    chair = do_create_chair(None, clinic, "Chair X")

    def counts() -> list[int]:
        out = []
        for url in ("/api/patients", "/api/visits", "/api/courses", "/api/chairs"):
            with CaptureQueriesContext(connection) as ctx:
                assert api.get(url, **bearer(read_token)).status_code == 200
            out.append(len(ctx))
        return out

    from datetime import timedelta

    from django.utils import timezone

    api.get("/api/me", **bearer(read_token))  # the token's last-used stamp is written once a minute
    base = timezone.now() + timedelta(days=3)
    book_visit(make_patient(clinic), chair, provider, front_desk, status="booked", starts_at=base)
    one = counts()
    for n in range(1, 20):
        book_visit(make_patient(clinic), chair, provider, front_desk, status="booked",
                   starts_at=base + timedelta(hours=5 * n))
    assert counts() == one


def test_patients_and_visits_for_people(login, anon, patient, other_patient, nurse, front_desk, admin_user,
                                        other_clinic_nurse, visit_in_chair):
    def names(client: Any) -> set[str]:
        return {p["last_name"] for p in client.get("/api/patients").json()["items"]}

    assert names(login(nurse)) == names(login(front_desk)) == {"Reyes", "Blake"}
    assert names(login(patient.user)) == {"Reyes"}
    assert names(login(other_clinic_nurse)) == names(login(admin_user)) == set()
    assert login(other_patient.user).get(f"/api/patients/{patient.pk}").status_code == 404
    assert login(other_patient.user).get(f"/api/visits/{visit_in_chair.pk}").status_code == 404
    assert login(patient.user).get(f"/api/visits/{visit_in_chair.pk}").status_code == 200
    assert login(other_clinic_nurse).get(f"/api/visits/{visit_in_chair.pk}").status_code == 404
    response = anon.get("/api/patients")
    assert response.status_code == 401 and response.json() == {"detail": "Unauthorized"}


def test_a_patient_session_cannot_register_patients(login, patient):
    body = {"first_name": "A", "last_name": "B", "date_of_birth": "1990-01-01", "sex_at_birth": "female"}
    response = login(patient.user).post("/api/patients", json.dumps(body), content_type="application/json")
    assert response.status_code == 403
    assert "registering patients" in response.json()["detail"]
