"""Every screening URL as owner, permitted colleague, colleague without the role, other clinic,
other patient and anonymous."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.screening import actions

pytestmark = pytest.mark.django_db


def status_of(client: Any, url: str) -> int:
    return int(client.get(url).status_code)


def test_queue_ladder(login: Any, anon: Any, submitted_patient: Any, other_patient: Any, nurse: Any,
                      front_desk: Any, provider: Any, admin_user: Any, other_clinic_nurse: Any) -> None:
    url = reverse("screening:queue")
    assert "Reyes" in login(provider).get(url).content.decode()
    body = login(front_desk).get(url).content.decode()
    assert "Reyes" in body and "Ready for review" in body
    assert "Needs review" not in body and "Rules" not in body  # front desk: status only, no clinical result
    assert status_of(login(nurse), url) == 200
    assert "Reyes" not in login(other_clinic_nurse).get(url).content.decode()
    assert status_of(login(admin_user), url) == 404            # staff role without patient access
    assert status_of(login(submitted_patient.user), url) == 404
    assert status_of(login(other_patient.user), url) == 404
    assert anon.get(url).status_code == 302


def test_review_ladder(login: Any, anon: Any, submitted_patient: Any, other_patient: Any, nurse: Any,
                       front_desk: Any, provider: Any, admin_user: Any, other_clinic_nurse: Any) -> None:
    url = reverse("screening:review", args=[submitted_patient.pk])
    assert status_of(login(provider), url) == 200
    assert status_of(login(nurse), url) == 200                 # reads, cannot decide
    assert "Record decision" not in login(nurse).get(url).content.decode()
    assert "Record decision" in login(provider).get(url).content.decode()
    assert status_of(login(front_desk), url) == 403            # no clinical record
    assert status_of(login(admin_user), url) == 404
    assert status_of(login(other_clinic_nurse), url) == 404
    assert status_of(login(submitted_patient.user), url) == 404
    assert status_of(login(other_patient.user), url) == 404
    assert anon.get(url).status_code == 302
    assert AuditEvent.objects.filter(action="CHART_VIEWED", patient_ref=submitted_patient.pk,
                                     details__view="screening review").exists()


def test_intake_ladder(login: Any, anon: Any, patient: Any, other_patient: Any, nurse: Any, front_desk: Any,
                       admin_user: Any, other_clinic_nurse: Any) -> None:
    own = reverse("screening:intake")
    staff = reverse("screening:intake_for", args=[patient.pk])
    assert status_of(login(patient.user), own) == 200
    assert status_of(login(patient.user), staff) == 200        # same page by id is fine for the owner
    assert status_of(login(front_desk), staff) == 200          # on the patient's behalf
    assert status_of(login(nurse), staff) == 200
    assert status_of(login(admin_user), staff) == 404
    assert status_of(login(other_clinic_nurse), staff) == 404
    assert status_of(login(other_patient.user), staff) == 404
    assert anon.get(own).status_code == 302
    assert anon.get(staff).status_code == 302


def test_intake_writes_ladder(login: Any, anon: Any, patient: Any, other_patient: Any, admin_user: Any,
                              other_clinic_nurse: Any) -> None:
    url = reverse("screening:add_medication", args=[patient.pk])
    for client in (login(other_patient.user), login(other_clinic_nurse), login(admin_user)):
        assert client.post(url, {"name": "sertraline"}).status_code == 404
    assert anon.post(url, {"name": "sertraline"}).status_code == 302
    assert not patient.screening_medications.exists()


def test_document_download_ladder(login: Any, anon: Any, patient: Any, other_patient: Any, nurse: Any,
                                  front_desk: Any, admin_user: Any, other_clinic_nurse: Any, settings: Any,
                                  tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    doc = actions.do_upload_document(patient.user, patient, SimpleUploadedFile("letter.pdf", b"%PDF-1.4 hello"))
    url = reverse("screening:document", args=[doc.pk])
    response = login(patient.user).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 hello"  # type: ignore[attr-defined]
    assert response["Content-Disposition"].startswith("attachment")
    assert status_of(login(nurse), url) == 200
    assert status_of(login(front_desk), url) == 403
    assert status_of(login(admin_user), url) == 404
    assert status_of(login(other_clinic_nurse), url) == 404
    assert status_of(login(other_patient.user), url) == 404
    assert anon.get(url).status_code == 302
    assert AuditEvent.objects.filter(action="DOCUMENT_VIEWED").count() == 2


def test_clearance_letter_ladder(login: Any, anon: Any, submitted_patient: Any, other_patient: Any, nurse: Any,
                                 provider: Any, front_desk: Any, other_clinic_nurse: Any) -> None:
    clearance = actions.do_request_clearance(provider, submitted_patient, recipient_kind="cardiologist",
                                             recipient_name="Dr. Heart", question="Is the arrhythmia controlled?")
    url = reverse("screening:clearance_letter", args=[clearance.pk])
    assert "Is the arrhythmia controlled?" in login(provider).get(url).content.decode()
    assert status_of(login(nurse), url) == 200
    assert status_of(login(front_desk), url) == 403
    assert status_of(login(other_clinic_nurse), url) == 404
    assert status_of(login(submitted_patient.user), url) == 404
    assert status_of(login(other_patient.user), url) == 404
    assert anon.get(url).status_code == 302


def test_decide_and_resolve_need_a_prescriber(login: Any, submitted_patient: Any, nurse: Any,
                                              front_desk: Any) -> None:
    url = reverse("screening:decide", args=[submitted_patient.pk])
    data = {"decision": "approve", "reason": "ok"}
    assert login(front_desk).post(url, data).status_code == 403
    response = login(nurse).post(url, data)
    assert response.status_code == 403
    assert not submitted_patient.screening_decisions.exists()


def test_acknowledging_a_finding_ladder(login: Any, anon: Any, submitted_patient: Any, provider: Any, nurse: Any,
                                        front_desk: Any, other_clinic: Any, other_patient: Any) -> None:
    from ketaclinic.screening.models import FindingAcknowledgement
    from tests.factories import make_staff

    submitted_patient.eligibility_assessments.update(findings=[
        {"code": "glaucoma", "severity": "caution", "message": "Glaucoma", "source": "§2"}])
    latest = submitted_patient.eligibility_assessments.get()
    url = reverse("screening:acknowledge_finding", args=[submitted_patient.pk])
    data = {"assessment_version": latest.version, "finding_index": 0, "confirm": "on"}
    assert login(front_desk).post(url, data).status_code == 403
    assert login(nurse).post(url, data).status_code == 403
    assert login(make_staff(other_clinic, "provider")).post(url, data).status_code == 404
    assert login(submitted_patient.user).post(url, data).status_code == 404
    assert login(other_patient.user).post(url, data).status_code == 404
    assert anon.post(url, data).status_code == 302
    assert not FindingAcknowledgement.objects.exists()
    assert login(provider).post(url, data).status_code == 302
    assert FindingAcknowledgement.objects.get().acknowledged_by == provider


def test_public_self_referral_page_is_open_to_anyone(anon: Any, clinic: Any) -> None:
    assert anon.get(reverse("screening:self_refer", args=[clinic.slug])).status_code == 200
    assert anon.get(reverse("screening:self_refer", args=["no-such-clinic"])).status_code == 404
