"""The public self-referral: registers the patient, opens screening and invites, in one go.

Also: duplicates reveal nothing, the honeypot and rate limit (REMOTE_ADDR, or X-Forwarded-For
behind a trusted proxy), the front desk's check, the public clinic pages and the Spanish form.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from ketaclinic.accounts.models import Invitation
from ketaclinic.audit.models import AuditEvent
from ketaclinic.patients.actions import SELF_REFERRAL_VIA, do_register_self_referred_patient
from ketaclinic.patients.models import Patient, Stage
from ketaclinic.screening import actions
from ketaclinic.screening.actions.referral import SELF_REFERRALS_PER_HOUR
from ketaclinic.screening.models import CaseStatus, Referral, SelfReferral
from tests.factories import make_patient, make_staff
from tests.screening.conftest import case_of

pytestmark = pytest.mark.django_db

SELF = {"first_name": "Kim", "last_name": "Lee", "date_of_birth": "1990-01-15", "sex_at_birth": "male",
        "email": "Kim@Example.org", "phone": "", "reason": "Depression for years", "website": ""}


def _url(clinic: Any) -> str:
    return reverse("screening:self_refer", args=[clinic.slug])


def test_a_self_referral_registers_the_patient_opens_screening_and_emails_the_invitation(
        anon: Any, clinic: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = anon.post(_url(clinic), SELF)
    assert response.status_code == 200 and "check your email" in response.content.decode()
    patient = Patient.objects.get(last_name="Lee")
    assert patient.email == "kim@example.org" and patient.stage == Stage.REFERRED
    assert patient.preferred_language == "en" and patient.created_by is None
    assert case_of(patient).status == CaseStatus.REFERRED
    referral = Referral.objects.get(patient=patient)
    assert referral.source == "self" and referral.reason == "Depression for years" and referral.created_by is None
    invitation = Invitation.objects.get(patient=patient)
    assert invitation.email == "kim@example.org" and invitation.invited_by is None
    assert [m.to for m in mail.outbox] == [["kim@example.org"]]
    assert "/accounts/" in mail.outbox[0].body or "http" in mail.outbox[0].body
    request = SelfReferral.objects.get()
    assert request.patient == patient and request.status == "new" and not request.matched_existing
    assert request.ip == "127.0.0.1"
    # Every write is audited with no actor, saying it came from the public form.
    for action in ("PATIENT_REGISTERED", "PATIENT_INVITED", "REFERRAL_RECORDED", "SELF_REFERRAL_RECEIVED"):
        event = AuditEvent.objects.get(action=action, patient_ref=patient.pk)
        assert event.actor is None and event.actor_label == "anonymous", action
        assert event.details.get("via") == SELF_REFERRAL_VIA, action
    assert AuditEvent.objects.filter(action="SCREENING_OPENED", patient_ref=patient.pk, actor=None).exists()


def test_a_double_submit_makes_one_chart_and_one_invitation(anon: Any, clinic: Any) -> None:
    anon.post(_url(clinic), SELF)
    response = anon.post(_url(clinic), SELF)
    assert response.status_code == 200 and "check your email" in response.content.decode()
    assert Patient.objects.filter(last_name="Lee").count() == 1
    assert Invitation.objects.count() == 1 and SelfReferral.objects.count() == 1


def test_a_registered_person_gets_the_same_page_but_no_chart_or_email(
        anon: Any, clinic: Any, patient: Any, django_capture_on_commit_callbacks: Any) -> None:
    fresh = anon.post(_url(clinic), {**SELF, "email": "someone.new@example.org"}).content.decode()
    data = {**SELF, "first_name": patient.first_name.upper(), "last_name": patient.last_name,
            "date_of_birth": patient.date_of_birth.isoformat(), "email": patient.email}
    charts_before, invitations_before = Patient.objects.count(), Invitation.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = anon.post(_url(clinic), data)
    assert response.status_code == 200
    # Nothing on the page tells a stranger that this person is a patient here.
    strip = (lambda html: html.split("<main", 1)[-1].split("</main>", 1)[0])  # noqa: E731
    assert strip(response.content.decode()) == strip(fresh)
    assert Patient.objects.count() == charts_before and Invitation.objects.count() == invitations_before
    assert mail.outbox == []
    request = SelfReferral.objects.get(email=patient.email)
    assert request.matched_existing and request.patient == patient and request.status == "new"


def test_the_front_desk_sees_new_self_referrals_and_marks_them_checked(anon: Any, login: Any, clinic: Any,
                                                                       front_desk: Any, patient: Any) -> None:
    anon.post(_url(clinic), SELF)
    anon.post(_url(clinic), {**SELF, "first_name": patient.first_name, "last_name": patient.last_name,
                             "date_of_birth": patient.date_of_birth.isoformat(), "email": patient.email})
    client = login(front_desk)
    body = client.get(reverse("screening:queue")).content.decode()
    assert "New self-referrals: check details (2)" in body
    assert "Registered as" in body and "Matches a patient already registered" in body
    new = SelfReferral.objects.get(email="kim@example.org")
    response = client.post(reverse("screening:check_self_referral", args=[new.pk]))
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.status == "checked" and new.handled_by == front_desk
    assert AuditEvent.objects.filter(action="SELF_REFERRAL_CHECKED", actor=front_desk).count() == 1
    client.post(reverse("screening:check_self_referral", args=[new.pk]))  # double click: nothing more
    assert AuditEvent.objects.filter(action="SELF_REFERRAL_CHECKED").count() == 1
    assert "New self-referrals: check details (1)" in client.get(reverse("screening:queue")).content.decode()


def test_dismissing_needs_a_reason_and_keeps_the_chart(login: Any, clinic: Any, front_desk: Any) -> None:
    request = actions.do_submit_self_referral(clinic, first_name="A", last_name="B",
                                              date_of_birth="1990-01-01",  # type: ignore[arg-type]
                                              sex_at_birth="male", email="ab@example.org")
    client = login(front_desk)
    client.post(reverse("screening:dismiss_self_referral", args=[request.pk]), {"note": ""})
    request.refresh_from_db()
    assert request.status == "new"
    client.post(reverse("screening:dismiss_self_referral", args=[request.pk]), {"note": "spam"})
    request.refresh_from_db()
    assert request.status == "dismissed" and request.handled_by == front_desk and request.handled_note == "spam"
    assert Patient.objects.filter(pk=request.patient_id).exists()


def test_the_staff_entry_points_still_check_permission(clinic: Any, nurse: Any, patient: Any) -> None:
    from django.core.exceptions import PermissionDenied

    from ketaclinic.patients.actions import do_invite_patient, do_register_patient

    with pytest.raises(PermissionDenied):
        do_register_patient(nurse, clinic, first_name="X", last_name="Y", date_of_birth="1990-01-01",  # type: ignore[arg-type]
                            sex_at_birth="male", email="xy@example.org")
    with pytest.raises(PermissionDenied):
        do_invite_patient(nurse, patient)
    with pytest.raises(ValueError, match="needs an email"):
        do_register_self_referred_patient(clinic, first_name="X", last_name="Y",
                                          date_of_birth="1990-01-01",  # type: ignore[arg-type]
                                          sex_at_birth="male", email=" ")
    assert not Patient.objects.filter(last_name="Y").exists()


def test_the_honeypot_keeps_nothing(anon: Any, clinic: Any) -> None:
    response = anon.post(_url(clinic), {**SELF, "website": "http://spam"})
    assert response.status_code == 200 and "We got your request" in response.content.decode()
    assert not SelfReferral.objects.exists() and not Patient.objects.exists()


def test_one_address_is_rate_limited_per_hour(anon: Any, clinic: Any) -> None:
    url = _url(clinic)
    with time_machine.travel("2027-01-04 15:00Z", tick=False):
        for n in range(SELF_REFERRALS_PER_HOUR):
            assert anon.post(url, {**SELF, "email": f"p{n}@example.org", "last_name": f"Lee{n}"}).status_code == 200
        response = anon.post(url, {**SELF, "email": "late@example.org"})
        assert response.status_code == 429 and "try again in an hour" in response.content.decode()
        assert 'value="Kim"' in response.content.decode()
        assert Patient.objects.count() == SELF_REFERRALS_PER_HOUR
    with time_machine.travel("2027-01-04 16:01Z", tick=False):
        assert anon.post(url, {**SELF, "email": "late@example.org"}).status_code == 200
    assert SelfReferral.objects.count() == SELF_REFERRALS_PER_HOUR + 1


def _fill_bucket(anon: Any, url: str, **meta: str) -> None:
    for n in range(SELF_REFERRALS_PER_HOUR):
        assert anon.post(url, {**SELF, "email": f"b{n}@example.org", "last_name": f"B{n}"}, **meta).status_code == 200


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(anon: Any, clinic: Any, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    url = _url(clinic)
    with time_machine.travel("2027-01-04 15:00Z", tick=False):
        _fill_bucket(anon, url, HTTP_X_FORWARDED_FOR="198.51.100.1")
        # A client cannot dodge the limit by sending a different header each time.
        response = anon.post(url, {**SELF, "email": "x@example.org"}, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert response.status_code == 429
    assert set(SelfReferral.objects.values_list("ip", flat=True)) == {"127.0.0.1"}


def test_behind_a_trusted_proxy_each_client_address_has_its_own_limit(anon: Any, clinic: Any,
                                                                      settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    url = _url(clinic)
    with time_machine.travel("2027-01-04 15:00Z", tick=False):
        # The client put a fake address first; our proxy appended the real one last.
        _fill_bucket(anon, url, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7")
        limited = anon.post(url, {**SELF, "email": "y@example.org"}, HTTP_X_FORWARDED_FOR="10.9.9.8, 203.0.113.7")
        other = anon.post(url, {**SELF, "email": "z@example.org"}, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert limited.status_code == 429 and other.status_code == 200
    assert set(SelfReferral.objects.values_list("ip", flat=True)) == {"203.0.113.7", "203.0.113.8"}


def test_a_missing_or_bad_forwarded_header_falls_back_to_the_connection(rf: Any, settings: Any) -> None:
    from ketaclinic.screening.client_address import rate_limit_address

    settings.TRUSTED_PROXY_COUNT = 2
    assert rate_limit_address(rf.get("/", REMOTE_ADDR="192.0.2.5")) == "192.0.2.5"
    assert rate_limit_address(rf.get("/", REMOTE_ADDR="192.0.2.5", HTTP_X_FORWARDED_FOR="203.0.113.1")) \
        == "192.0.2.5"
    assert rate_limit_address(rf.get("/", REMOTE_ADDR="192.0.2.5",
                                     HTTP_X_FORWARDED_FOR="1.2.3.4, not-an-ip, 10.0.0.2")) == "192.0.2.5"
    assert rate_limit_address(rf.get("/", REMOTE_ADDR="192.0.2.5",
                                     HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9, 10.0.0.2")) == "203.0.113.9"


def test_bad_self_referral_input_is_explained_and_kept(anon: Any, clinic: Any) -> None:
    response = anon.post(_url(clinic), {**SELF, "email": "not-an-email", "date_of_birth": "2999-01-01"})
    body = response.content.decode()
    assert response.status_code == 400 and "valid email" in body and "check your date of birth" in body
    assert 'value="Kim"' in body and not Patient.objects.exists()


def test_the_spanish_form_registers_a_spanish_speaking_patient(anon: Any, clinic: Any) -> None:
    page = anon.get(_url(clinic) + "?lang=es")
    body = page.content.decode()
    assert page["Content-Language"] == "es" and '<html lang="es">' in body
    assert "Pregunte por el tratamiento" in body and "Fecha de nacimiento" in body and "Enviar mi solicitud" in body
    bad = anon.post(_url(clinic), {**SELF, "lang": "es", "date_of_birth": "2999-01-01"}).content.decode()
    assert "Por favor, revise su fecha de nacimiento." in bad
    done = anon.post(_url(clinic), {**SELF, "lang": "es"}).content.decode()
    assert "Gracias. Recibimos su solicitud." in done
    assert Patient.objects.get(last_name="Lee").preferred_language == "es"
    assert SelfReferral.objects.get().preferred_language == "es"


def test_the_sign_in_page_links_to_the_public_clinic_pages(anon: Any, clinic: Any) -> None:
    body = anon.get(reverse("accounts:login")).content.decode()
    assert reverse("screening:clinics") in body and "Ask about treatment" in body
    listing = anon.get(reverse("screening:clinics")).content.decode()
    assert clinic.name in listing and reverse("screening:clinic_page", args=[clinic.slug]) in listing
    assert reverse("screening:self_refer", args=[clinic.slug]) in listing
    page = anon.get(reverse("screening:clinic_page", args=[clinic.slug]))
    assert page.status_code == 200 and reverse("screening:self_refer", args=[clinic.slug]) in page.content.decode()
    assert anon.get(reverse("screening:clinic_page", args=["no-such-clinic"])).status_code == 404
    spanish = anon.get(reverse("screening:clinic_page", args=[clinic.slug]) + "?lang=es").content.decode()
    assert "Cómo empezar" in spanish


def test_checking_a_self_referral_ladder(login: Any, anon: Any, clinic: Any, front_desk: Any, nurse: Any,
                                         other_clinic: Any, patient: Any, other_patient: Any) -> None:
    request = actions.do_submit_self_referral(clinic, first_name="A", last_name="B",
                                              date_of_birth="1990-01-01",  # type: ignore[arg-type]
                                              sex_at_birth="male", email="ab@example.org")
    for name in ("check_self_referral", "dismiss_self_referral"):
        url = reverse(f"screening:{name}", args=[request.pk])
        assert login(make_staff(other_clinic, "front_desk")).post(url, {"note": "x"}).status_code == 404
        assert login(nurse).post(url, {"note": "x"}).status_code == 403
        assert login(patient.user).post(url, {"note": "x"}).status_code == 404
        assert login(other_patient.user).post(url, {"note": "x"}).status_code == 404
        assert anon.post(url, {"note": "x"}).status_code == 302
        assert SelfReferral.objects.get().status == "new"
    assert login(front_desk).post(reverse("screening:check_self_referral", args=[request.pk])).status_code == 302
    assert SelfReferral.objects.get().status == "checked"


def test_setting_a_request_aside_withdraws_its_portal_link_but_not_an_existing_patients(
        anon: Any, login: Any, clinic: Any, front_desk: Any, patient: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    import re

    from django.test import Client

    with django_capture_on_commit_callbacks(execute=True):
        anon.post(_url(clinic), SELF)
    link = re.search(r"http://testserver(/\S+)", mail.outbox[-1].body)
    assert link is not None
    request = SelfReferral.objects.get(email="kim@example.org")
    login(front_desk).post(reverse("screening:dismiss_self_referral", args=[request.pk]), {"note": "spam"})
    invitation = Invitation.objects.get(patient=request.patient)
    assert invitation.withdrawn_at is not None and not invitation.is_open()
    assert Client().get(link.group(1)).status_code == 410
    assert AuditEvent.objects.filter(action="PATIENT_INVITATION_WITHDRAWN", actor=front_desk).count() == 1
    # A request matching a registered patient leaves that patient's own invitation alone.
    from ketaclinic.patients.actions import do_invite_patient

    other = make_patient(clinic, with_account=False, first_name="Reg", last_name="Istered",
                         date_of_birth=date(1980, 2, 2), email="reg@example.org")
    own, _ = do_invite_patient(front_desk, other)
    anon.post(_url(clinic), {**SELF, "first_name": "Reg", "last_name": "Istered", "date_of_birth": "1980-02-02",
                             "email": "reg@example.org"})
    matched = SelfReferral.objects.get(email="reg@example.org")
    assert matched.matched_existing
    login(front_desk).post(reverse("screening:dismiss_self_referral", args=[matched.pk]), {"note": "already ours"})
    own.refresh_from_db()
    assert own.withdrawn_at is None and own.is_open()
