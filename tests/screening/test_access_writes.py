"""The write endpoints: who may post, and that a refused post changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.screening import actions
from ketaclinic.screening.access import open_review_flags
from ketaclinic.screening.models import ClearanceRequest, EligibilityAssessment, Medication
from tests.factories import make_patient, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_clinic_provider(other_clinic: Any) -> Any:
    return make_staff(other_clinic, "provider", full_name="Olga Elsewhere", credentials="MD")


def test_run_rules_ladder(login: Any, anon: Any, submitted_patient: Any, nurse: Any, front_desk: Any,
                          other_clinic_provider: Any, other_patient: Any) -> None:
    url = reverse("screening:run_rules", args=[submitted_patient.pk])
    assert login(front_desk).post(url).status_code == 403
    assert login(other_clinic_provider).post(url).status_code == 404
    assert login(other_patient.user).post(url).status_code == 404
    assert login(submitted_patient.user).post(url).status_code == 404  # staff page
    assert anon.post(url).status_code == 302
    assert EligibilityAssessment.objects.filter(patient=submitted_patient).count() == 1
    assert login(nurse).post(url).status_code == 302
    assert EligibilityAssessment.objects.filter(patient=submitted_patient).count() == 2


def test_clearance_request_ladder_and_typed_text_kept(login: Any, submitted_patient: Any, provider: Any,
                                                      nurse: Any, other_clinic_provider: Any) -> None:
    url = reverse("screening:request_clearance", args=[submitted_patient.pk])
    data = {"recipient_kind": "pcp", "recipient_name": "Dr. Home", "question": "Seizure history?"}
    assert login(nurse).post(url, data).status_code == 403
    assert login(other_clinic_provider).post(url, data).status_code == 404
    response = login(provider).post(url, {**data, "recipient_name": "", "recipient_email": "nope"})
    body = response.content.decode()
    assert response.status_code == 400 and "Seizure history?" in body and "valid email" in body
    assert not ClearanceRequest.objects.exists()
    login(provider).post(url, data)
    login(provider).post(url, data)  # double submit
    assert ClearanceRequest.objects.count() == 1


def test_clearance_reply_and_accept_ladder(login: Any, submitted_patient: Any, provider: Any, nurse: Any,
                                           front_desk: Any, other_clinic_provider: Any) -> None:
    clearance = actions.do_request_clearance(provider, submitted_patient, recipient_kind="pcp",
                                             recipient_name="Dr. Home", question="OK?")
    reply = reverse("screening:clearance_reply", args=[clearance.pk])
    accept = reverse("screening:clearance_accept", args=[clearance.pk])
    assert login(front_desk).post(reply, {"note": "x"}).status_code == 403
    assert login(other_clinic_provider).post(reply, {"note": "x"}).status_code == 404
    login(provider).post(accept)  # nothing received yet: refused with a message
    clearance.refresh_from_db()
    assert clearance.status == "requested"
    login(nurse).post(reply, {"note": "Phoned: cleared"})
    assert login(nurse).post(accept).status_code == 403  # a nurse records, a provider accepts
    login(provider).post(accept)
    clearance.refresh_from_db()
    assert clearance.status == "accepted"


def test_resolve_flag_ladder(login: Any, approved_patient: Any, provider: Any, nurse: Any,
                             other_clinic_provider: Any) -> None:
    actions.do_rerun_eligibility(approved_patient.user, approved_patient, reason="update",
                                 changes={"conditions": ["heart_failure"]})
    flag = open_review_flags(approved_patient).get()
    url = reverse("screening:resolve_flag", args=[flag.pk])
    assert login(other_clinic_provider).post(url, {"note": "x"}).status_code == 404
    assert login(approved_patient.user).post(url, {"note": "x"}).status_code == 404
    assert login(nurse).post(url, {"note": "x"}).status_code == 403
    assert open_review_flags(approved_patient).exists()
    login(provider).post(url, {"note": "Echo normal; proceed"})
    assert not open_review_flags(approved_patient).exists()


def test_a_medication_of_another_patient_cannot_be_stopped(login: Any, patient: Any, other_patient: Any) -> None:
    med = actions.do_add_medication(other_patient.user, other_patient, name="sertraline")
    url = reverse("screening:stop_medication", args=[patient.pk, med.pk])
    assert login(patient.user).post(url).status_code == 404
    assert Medication.objects.get(pk=med.pk).stopped_at is None


def test_refer_ladder(login: Any, anon: Any, front_desk: Any, nurse: Any, patient: Any, admin_user: Any) -> None:
    url = reverse("screening:refer")
    assert login(front_desk).get(url).status_code == 200
    assert login(nurse).get(url).status_code == 403
    assert login(admin_user).get(url).status_code == 404
    assert login(patient.user).get(url).status_code == 404
    assert anon.get(url).status_code == 302


def test_measure_and_submit_ladder(login: Any, anon: Any, patient: Any, other_patient: Any,
                                   other_clinic: Any) -> None:
    stranger = make_patient(other_clinic)
    for url in (reverse("screening:measure", args=[patient.pk, "phq9"]),
                reverse("screening:submit", args=[patient.pk])):
        assert login(other_patient.user).post(url).status_code == 404
        assert login(stranger.user).post(url).status_code == 404
        assert anon.post(url).status_code == 302
    assert login(patient.user).get(reverse("screening:measure", args=[patient.pk, "gad7"])).status_code == 200
    assert login(patient.user).get(reverse("screening:measure", args=[patient.pk, "madrs"])).status_code == 404
