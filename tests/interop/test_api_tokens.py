"""API tokens: created and revoked by an admin, hashed at rest, scoped to a clinic and to read or write."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.interop.actions import TokenInvalid, authenticate_api_token, do_create_api_token, do_revoke_api_token
from ketaclinic.interop.models import ApiToken, hash_api_token
from tests.interop.conftest import bearer

pytestmark = pytest.mark.django_db


def test_it_stores_only_the_hash_and_shows_the_token_once(clinic, admin_user):
    token, raw = do_create_api_token(admin_user, clinic, name="Epic", scope="read")
    assert raw.startswith("kc_") and len(raw) > 40
    assert token.token_hash == hash_api_token(raw)
    assert raw not in str(ApiToken.objects.filter(pk=token.pk).values().first())
    assert AuditEvent.objects.filter(action="API_TOKEN_CREATED", object_id=str(token.pk)).exists()


def test_only_an_admin_creates_tokens(clinic, nurse, medical_director):
    for user in (nurse, medical_director):
        with pytest.raises(PermissionDenied):
            do_create_api_token(user, clinic, name="x", scope="read")


def test_it_refuses_a_second_active_token_with_the_same_name(clinic, admin_user):
    do_create_api_token(admin_user, clinic, name="Epic", scope="read")
    with pytest.raises(TokenInvalid):
        do_create_api_token(admin_user, clinic, name="epic ", scope="write")


def test_a_revoked_token_stops_working_at_once(api, clinic, admin_user, patient):
    token, raw = do_create_api_token(admin_user, clinic, name="Epic", scope="read")
    assert api.get("/api/patients", **bearer(raw)).status_code == 200
    do_revoke_api_token(admin_user, token)
    response = api.get("/api/patients", **bearer(raw))
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}
    assert not token.service_user.memberships.filter(active=True).exists()
    assert AuditEvent.objects.filter(action="API_TOKEN_REVOKED").count() == 1


def test_it_records_the_last_use(clinic, admin_user, time_machine):
    time_machine.move_to("2026-03-02 10:00:00Z", tick=False)
    token, raw = do_create_api_token(admin_user, clinic, name="Epic", scope="read")
    assert token.last_used_at is None
    authenticate_api_token(raw)
    token.refresh_from_db()
    assert token.last_used_at.isoformat() == "2026-03-02T10:00:00+00:00"


def test_garbage_tokens_are_refused(api):
    for value in ("Bearer nope", "Bearer kc_" + "a" * 43, "Basic abc", "Bearer "):
        response = api.get("/api/patients", HTTP_AUTHORIZATION=value)
        assert response.status_code == 401, value
        assert response["Content-Type"].startswith("application/json")


def test_a_read_token_cannot_write(api, read_token):
    response = api.post("/api/patients", {"first_name": "A", "last_name": "B", "date_of_birth": "1990-01-01",
                                          "sex_at_birth": "female"}, content_type="application/json",
                        **bearer(read_token))
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]


def test_a_write_token_registers_a_patient_once(api, write_token, clinic):
    body = {"first_name": "Ana", "last_name": "Lopez", "date_of_birth": "1990-01-01", "sex_at_birth": "female",
            "email": "ana@example.org"}
    first = api.post("/api/patients", body, content_type="application/json", **bearer(write_token))
    assert first.status_code == 201, first.content
    assert first.json()["clinic_id"] == clinic.pk
    again = api.post("/api/patients", body, content_type="application/json", **bearer(write_token))
    assert again.status_code == 409
    created = AuditEvent.objects.get(action="PATIENT_REGISTERED")
    assert created.actor_label.startswith("token-")


def test_tokens_never_cross_clinics(api, other_clinic_token, patient, visit_in_chair):
    assert api.get(f"/api/patients/{patient.pk}", **bearer(other_clinic_token)).status_code == 404
    assert api.get(f"/api/visits/{visit_in_chair.pk}", **bearer(other_clinic_token)).status_code == 404
    assert api.get("/api/patients", **bearer(other_clinic_token)).json()["count"] == 0
    assert api.get("/api/visits", **bearer(other_clinic_token)).json()["count"] == 0
    assert api.get(f"/fhir/Patient/{patient.pk}/$everything", **bearer(other_clinic_token)).status_code == 404


def test_token_requests_skip_the_session_two_step_check(api, read_token, patient):
    # no session at all: the 2FA middleware only acts on signed-in session users
    response = api.get(f"/api/patients/{patient.pk}", **bearer(read_token))
    assert response.status_code == 200
    assert response.json()["last_name"] == "Reyes"


# ---- the token page ----

def test_admin_creates_a_token_and_sees_it_once(login, admin_user, clinic):
    client = login(admin_user)
    url = reverse("interop:api_tokens")
    response = client.post(url, {"name": "Epic referrals", "scope": "write"})
    assert response.status_code == 200
    raw = response.context["raw_token"]
    assert raw and raw in response.content.decode()
    page = client.get(url).content.decode()
    assert "Epic referrals" in page and raw not in page


def test_the_token_form_keeps_what_was_typed_on_error(login, admin_user, clinic):
    client = login(admin_user)
    url = reverse("interop:api_tokens")
    client.post(url, {"name": "Epic", "scope": "read"})
    response = client.post(url, {"name": "Epic", "scope": "read"})
    assert response.status_code == 422
    assert "already has this name" in response.content.decode()
    assert 'value="Epic"' in response.content.decode()
    assert ApiToken.objects.count() == 1


def test_admin_revokes_a_token(login, admin_user, clinic):
    token, _ = do_create_api_token(admin_user, clinic, name="Epic", scope="read")
    response = login(admin_user).post(reverse("interop:revoke_api_token", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == admin_user


@pytest.mark.parametrize("persona", ["nurse", "medical_director", "front_desk", "other_clinic_nurse"])
def test_staff_who_are_not_admins_cannot_use_the_token_page(request, login, persona, clinic, admin_user):
    token, _ = do_create_api_token(admin_user, clinic, name="Epic", scope="read")
    client = login(request.getfixturevalue(persona))
    assert client.get(reverse("interop:api_tokens")).status_code == 403
    assert client.post(reverse("interop:revoke_api_token", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_patients_and_anonymous_cannot_use_the_token_page(login, patient, anon, clinic, admin_user):
    assert login(patient.user).get(reverse("interop:api_tokens")).status_code == 403
    assert anon.get(reverse("interop:api_tokens")).status_code == 302


def test_other_clinic_admin_cannot_revoke(login, clinic, other_clinic, admin_user):
    from ketaclinic.accounts.roles import Role
    from tests.factories import make_staff

    token, _ = do_create_api_token(admin_user, clinic, name="Epic", scope="read")
    other_admin = make_staff(other_clinic, Role.ADMIN)
    assert login(other_admin).post(reverse("interop:revoke_api_token", args=[token.pk])).status_code == 404


def test_the_token_list_has_a_bounded_query_count(login, admin_user, clinic, django_assert_max_num_queries):
    client = login(admin_user)
    url = reverse("interop:api_tokens")
    do_create_api_token(admin_user, clinic, name="T0", scope="read")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(1, 20):
        do_create_api_token(admin_user, clinic, name=f"T{n}", scope="read")
    with CaptureQueriesContext(connection) as twenty:
        client.get(url)
    assert len(one) == len(twenty)
