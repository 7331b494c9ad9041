"""Personal API tokens: an admin creates one for a staff member; it acts with that person's own
roles at the token's clinic (read or write scope as a cap), and stops working with their role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ketaclinic.accounts.actions import do_grant_role, do_revoke_role
from ketaclinic.accounts.roles import Role
from ketaclinic.audit.models import AuditEvent
from ketaclinic.infusions.models import VitalSign
from ketaclinic.interop.actions import TokenInvalid, do_create_api_token, do_revoke_api_token
from ketaclinic.interop.models import ApiToken, hash_api_token
from tests.factories import make_patient
from tests.interop.conftest import bearer

pytestmark = pytest.mark.django_db

VITALS = {"systolic": 126, "diastolic": 80, "heart_rate": 74, "spo2": 98, "respiratory_rate": 14, "source": "manual"}


def personal(admin_user, clinic, person, scope="write", name=None) -> tuple[ApiToken, str]:
    return do_create_api_token(admin_user, clinic, name=name or f"{person.email} laptop", scope=scope, person=person)


def post_vitals(api, raw, visit):
    return api.post(f"/api/visits/{visit.pk}/vitals", VITALS, content_type="application/json", **bearer(raw))


def test_a_nurses_token_acts_as_the_nurse(api, clinic, admin_user, nurse, visit_in_chair):
    token, raw = personal(admin_user, clinic, nurse)
    assert token.token_hash == hash_api_token(raw) and token.service_user is None and token.person == nurse
    assert raw not in str(ApiToken.objects.filter(pk=token.pk).values().first())
    response = post_vitals(api, raw, visit_in_chair)
    assert response.status_code == 201, response.content
    vital = VitalSign.objects.get()
    assert vital.entered_by == nurse  # recorded under the person's own name
    assert AuditEvent.objects.filter(action="VITALS_RECORDED", actor=nurse).exists()
    created = AuditEvent.objects.get(action="API_TOKEN_CREATED")
    assert created.details["person"] == nurse.email and created.actor == admin_user
    assert api.get(f"/fhir/Patient/{visit_in_chair.patient_id}/$everything", **bearer(raw)).status_code == 200


def test_read_scope_caps_what_the_person_could_do(api, clinic, admin_user, nurse, visit_in_chair):
    _, raw = personal(admin_user, clinic, nurse, scope="read")
    assert api.get(f"/api/visits/{visit_in_chair.pk}/vitals", **bearer(raw)).status_code == 200
    response = post_vitals(api, raw, visit_in_chair)
    assert response.status_code == 403 and "read-only" in response.json()["detail"]
    assert not VitalSign.objects.exists()


def test_a_front_desk_token_cannot_record_or_read_vitals(api, clinic, admin_user, front_desk, visit_in_chair):
    _, raw = personal(admin_user, clinic, front_desk)
    assert post_vitals(api, raw, visit_in_chair).status_code in (403, 404)
    assert api.get(f"/api/visits/{visit_in_chair.pk}/vitals", **bearer(raw)).status_code in (403, 404)
    assert api.get(f"/fhir/Patient/{visit_in_chair.patient_id}/$everything", **bearer(raw)).status_code in (403, 404)
    assert not VitalSign.objects.exists()
    # what the front desk may do, the token may do: register a referral
    body = {"first_name": "Ana", "last_name": "Lopez", "date_of_birth": "1990-01-01", "sex_at_birth": "female"}
    created = api.post("/api/patients", body, content_type="application/json", **bearer(raw))
    assert created.status_code == 201 and created.json()["clinic_id"] == clinic.pk
    assert AuditEvent.objects.get(action="PATIENT_REGISTERED").actor == front_desk


def test_a_nurses_token_cannot_register_patients(api, clinic, admin_user, nurse):
    _, raw = personal(admin_user, clinic, nurse)
    body = {"first_name": "Ana", "last_name": "Lopez", "date_of_birth": "1990-01-01", "sex_at_birth": "female"}
    assert api.post("/api/patients", body, content_type="application/json", **bearer(raw)).status_code == 403


def test_a_token_sees_only_its_clinic_even_when_the_person_works_at_two(
        api, clinic, other_clinic, admin_user, nurse, patient, other_patient):
    do_grant_role(None, other_clinic, nurse, Role.NURSE)
    theirs = make_patient(other_clinic, with_account=False)
    _, raw = personal(admin_user, clinic, nurse, scope="read")
    ids = {p["id"] for p in api.get("/api/patients?limit=200", **bearer(raw)).json()["items"]}
    assert patient.pk in ids and theirs.pk not in ids
    assert api.get(f"/api/patients/{theirs.pk}", **bearer(raw)).status_code == 404
    assert api.get(f"/fhir/Patient/{theirs.pk}/$everything", **bearer(raw)).status_code == 404
    assert api.get("/api/me", **bearer(raw)).json()["clinic_ids"] == [clinic.pk]


def test_it_stops_working_when_the_persons_role_is_removed(api, clinic, admin_user, nurse, patient):
    _, raw = personal(admin_user, clinic, nurse, scope="read")
    assert api.get("/api/patients", **bearer(raw)).status_code == 200
    do_revoke_role(admin_user, nurse.memberships.get(clinic=clinic, role=Role.NURSE))
    assert api.get("/api/patients", **bearer(raw)).status_code == 401
    assert api.get(f"/fhir/Patient/{patient.pk}/$everything", **bearer(raw)).status_code == 401


def test_it_stops_working_when_the_account_is_deactivated(api, clinic, admin_user, nurse):
    _, raw = personal(admin_user, clinic, nurse, scope="read")
    nurse.is_active = False
    nurse.save(update_fields=["is_active"])
    assert api.get("/api/patients", **bearer(raw)).status_code == 401


def test_revoking_stops_it_and_leaves_the_persons_roles_alone(api, clinic, admin_user, nurse):
    token, raw = personal(admin_user, clinic, nurse, scope="read")
    do_revoke_api_token(admin_user, token)
    assert api.get("/api/patients", **bearer(raw)).status_code == 401
    assert nurse.memberships.filter(clinic=clinic, active=True).exists()


@pytest.mark.parametrize("who", ["other_clinic_nurse", "patient_user", "outsider"])
def test_a_personal_token_is_only_for_staff_of_the_clinic(request, clinic, admin_user, who):
    from tests.factories import make_user

    person = {"other_clinic_nurse": lambda: request.getfixturevalue("other_clinic_nurse"),
              "patient_user": lambda: request.getfixturevalue("patient").user,
              "outsider": make_user}[who]()
    with pytest.raises(TokenInvalid):
        personal(admin_user, clinic, person)
    assert not ApiToken.objects.exists()


def test_admin_creates_a_personal_token_on_the_page(login, admin_user, clinic, nurse, other_clinic_nurse):
    client = login(admin_user)
    url = reverse("interop:api_tokens")
    page = client.get(url).content.decode()
    assert nurse.email in page and other_clinic_nurse.email not in page
    response = client.post(url, {"name": "Night nurse scripts", "scope": "read", "person": nurse.pk})
    assert response.status_code == 200 and response.context["raw_token"]
    token = ApiToken.objects.get()
    assert token.person == nurse and token.service_user is None
    assert "(personal)" in client.get(url).content.decode()
    refused = client.post(url, {"name": "Sneaky", "scope": "write", "person": other_clinic_nurse.pk})
    assert refused.status_code == 422 and ApiToken.objects.count() == 1
    assert 'value="Sneaky"' in refused.content.decode()  # what was typed is kept
