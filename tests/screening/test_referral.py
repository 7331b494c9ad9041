"""Front-desk referral (the public self-referral is in test_self_referral.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ketaclinic.accounts.models import Invitation
from ketaclinic.audit.models import AuditEvent
from ketaclinic.patients.models import Patient, Stage
from ketaclinic.screening.models import CaseStatus, Referral, ScreeningDocument
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
