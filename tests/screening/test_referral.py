"""Front-desk referral and the public self-referral (honeypot, rate limit, front-desk check)."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ketaclinic.accounts.models import Invitation
from ketaclinic.audit.models import AuditEvent
from ketaclinic.patients.models import Patient, Stage
from ketaclinic.screening import actions
from ketaclinic.screening.actions.referral import SELF_REFERRALS_PER_HOUR
from ketaclinic.screening.models import CaseStatus, Referral, ScreeningDocument, SelfReferral
from tests.screening.conftest import case_of

pytestmark = pytest.mark.django_db

REFERRAL = {
    "first_name": "Lena", "last_name": "Ortiz", "date_of_birth": "1979-06-02", "sex_at_birth": "female",
    "email": "lena@example.org", "phone": "555-0199", "preferred_language": "en", "send_invitation": "on",
    "referring_clinician": "Dr. Anne Park", "referring_practice": "Park Psychiatry", "referring_phone": "555-0123",
    "referring_email": "", "indication_code": "f332", "reason": "TRD, 3 failed SSRIs",
}


def test_front_desk_enters_a_referral_with_documents_and_an_invitation(login: Any, front_desk: Any, settings: Any,
                                                                       tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("referral.pdf", b"%PDF-1.4 referral", content_type="application/pdf")
    response = login(front_desk).post(reverse("screening:refer"), {**REFERRAL, "documents": [upload]})
    assert response.status_code == 302
    patient = Patient.objects.get(last_name="Ortiz")
    referral = Referral.objects.get(patient=patient)
    assert referral.indication_code == "F33.2" and referral.referring_clinician == "Dr. Anne Park"
    assert patient.stage == Stage.REFERRED and case_of(patient).status == CaseStatus.REFERRED
    assert Invitation.objects.filter(patient=patient, email="lena@example.org").exists()
    doc = ScreeningDocument.objects.get(patient=patient)
    assert doc.kind == "referral" and doc.original_name == "referral.pdf"
    assert AuditEvent.objects.filter(action="REFERRAL_RECORDED", actor=front_desk).exists()


def test_a_bad_referral_keeps_what_was_typed(login: Any, front_desk: Any) -> None:
    response = login(front_desk).post(reverse("screening:refer"), {**REFERRAL, "indication_code": "depression"})
    body = response.content.decode()
    assert response.status_code == 400 and "is not an ICD-10-CM code" in body
    assert 'value="Dr. Anne Park"' in body and 'value="Ortiz"' in body
    assert not Patient.objects.filter(last_name="Ortiz").exists()


def test_a_double_submitted_referral_makes_one_patient(login: Any, front_desk: Any) -> None:
    client = login(front_desk)
    client.post(reverse("screening:refer"), REFERRAL)
    response = client.post(reverse("screening:refer"), REFERRAL)
    assert response.status_code == 400 and "already registered" in response.content.decode()
    assert Patient.objects.filter(last_name="Ortiz").count() == 1
    assert Referral.objects.count() == 1


def test_a_nurse_cannot_enter_referrals(login: Any, nurse: Any) -> None:
    assert login(nurse).get(reverse("screening:refer")).status_code == 403


SELF = {"first_name": "Kim", "last_name": "Lee", "date_of_birth": "1990-01-15", "sex_at_birth": "male",
        "email": "Kim@Example.org", "phone": "", "reason": "Depression for years", "website": ""}


def test_self_referral_waits_for_the_front_desk_then_invites(anon: Any, login: Any, clinic: Any,
                                                             front_desk: Any) -> None:
    url = reverse("screening:self_refer", args=[clinic.slug])
    response = anon.post(url, SELF)
    assert response.status_code == 200 and "We got your request" in response.content.decode()
    anon.post(url, SELF)  # sent twice: still one request
    request = SelfReferral.objects.get()
    assert request.email == "kim@example.org" and request.ip == "127.0.0.1"
    assert not Patient.objects.exists()
    client = login(front_desk)
    assert "Kim" in client.get(reverse("screening:queue")).content.decode()
    client.post(reverse("screening:accept_self_referral", args=[request.pk]))
    patient = Patient.objects.get(last_name="Lee")
    assert Referral.objects.get(patient=patient).source == "self"
    assert Invitation.objects.filter(patient=patient).exists()
    client.post(reverse("screening:accept_self_referral", args=[request.pk]))  # double click
    assert Patient.objects.filter(last_name="Lee").count() == 1


def test_the_honeypot_keeps_nothing(anon: Any, clinic: Any) -> None:
    response = anon.post(reverse("screening:self_refer", args=[clinic.slug]), {**SELF, "website": "http://spam"})
    assert response.status_code == 200 and "We got your request" in response.content.decode()
    assert not SelfReferral.objects.exists()


def test_one_address_is_rate_limited_per_hour(anon: Any, clinic: Any) -> None:
    url = reverse("screening:self_refer", args=[clinic.slug])
    with time_machine.travel("2027-01-04 15:00Z", tick=False):
        for n in range(SELF_REFERRALS_PER_HOUR):
            assert anon.post(url, {**SELF, "email": f"p{n}@example.org"}).status_code == 200
        response = anon.post(url, {**SELF, "email": "late@example.org"})
        assert response.status_code == 429 and "try again in an hour" in response.content.decode()
        assert 'value="Kim"' in response.content.decode()
    with time_machine.travel("2027-01-04 16:01Z", tick=False):
        assert anon.post(url, {**SELF, "email": "late@example.org"}).status_code == 200
    assert SelfReferral.objects.count() == SELF_REFERRALS_PER_HOUR + 1


def test_bad_self_referral_input_is_explained(anon: Any, clinic: Any) -> None:
    response = anon.post(reverse("screening:self_refer", args=[clinic.slug]),
                         {**SELF, "email": "not-an-email", "date_of_birth": "2999-01-01"})
    body = response.content.decode()
    assert response.status_code == 400 and "valid email" in body and "check your date of birth" in body
    assert 'value="Kim"' in body


def test_dismissing_needs_a_reason(login: Any, clinic: Any, front_desk: Any) -> None:
    request = actions.do_submit_self_referral(clinic, first_name="A", last_name="B", date_of_birth="1990-01-01",  # type: ignore[arg-type]
                                              sex_at_birth="male", email="ab@example.org")
    client = login(front_desk)
    client.post(reverse("screening:dismiss_self_referral", args=[request.pk]), {"note": ""})
    request.refresh_from_db()
    assert request.status == "new"
    client.post(reverse("screening:dismiss_self_referral", args=[request.pk]), {"note": "spam"})
    request.refresh_from_db()
    assert request.status == "dismissed" and request.handled_by == front_desk and request.handled_note == "spam"


def test_an_existing_patient_gets_the_referral_added_to_their_chart(login: Any, patient: Any, front_desk: Any,
                                                                    settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    data = {**REFERRAL, "first_name": "maya", "last_name": "Reyes", "date_of_birth": "1985-04-12",
            "email": patient.email}
    client = login(front_desk)
    response = client.post(reverse("screening:refer"), data)
    body = response.content.decode()
    assert response.status_code == 400 and "is already registered" in body and "Add this referral" in body
    upload = SimpleUploadedFile("letter.pdf", b"%PDF-1.4 x")
    response = client.post(reverse("screening:refer"), {**data, "existing_patient_id": patient.pk,
                                                        "documents": [upload]})
    assert response.status_code == 302
    referral = Referral.objects.get(patient=patient)
    assert referral.referring_clinician == "Dr. Anne Park" and case_of(patient).status == CaseStatus.REFERRED
    assert ScreeningDocument.objects.filter(patient=patient, kind="referral").exists()
    assert Patient.objects.filter(last_name="Reyes").count() == 1


def test_the_existing_patient_shortcut_is_limited_to_visible_patients(login: Any, front_desk: Any,
                                                                      other_clinic: Any) -> None:
    from tests.factories import make_patient

    stranger = make_patient(other_clinic)
    response = login(front_desk).post(reverse("screening:refer"), {**REFERRAL, "existing_patient_id": stranger.pk})
    assert response.status_code == 404
    assert not Referral.objects.exists()
