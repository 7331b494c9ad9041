"""Provider review: approve / decline / defer with a reason, clearance requests, the portal status."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.courses.models import CourseStatus, TreatmentCourse
from ketaclinic.patients.models import Stage
from ketaclinic.screening import actions
from ketaclinic.screening.models import CaseStatus, ClearanceStatus, FindingAcknowledgement, ScreeningDecision
from tests.screening.conftest import case_of, submitted

pytestmark = pytest.mark.django_db


def _decide(client: Any, patient: Any, **data: Any) -> Any:
    latest = patient.eligibility_assessments.order_by("-version").first()
    payload = {"assessment_version": latest.version if latest else "", **data}
    return client.post(reverse("screening:decide", args=[patient.pk]), payload)


def _unacknowledged(patient: Any) -> list[str]:
    """The positions of the latest run's hold/caution findings nobody acknowledged yet (the form's boxes)."""
    latest = patient.eligibility_assessments.order_by("-version").first()
    done = set(FindingAcknowledgement.objects.filter(assessment=latest).values_list("finding_index", flat=True))
    return [str(i) for i, _ in latest.findings_to_acknowledge() if i not in done]


def test_approval_creates_the_course_waiting_for_scheduling(login: Any, submitted_patient: Any,
                                                            provider: Any) -> None:
    response = _decide(login(provider), submitted_patient, decision="approve", reason="TRD, no contraindication",
                       acknowledge=_unacknowledged(submitted_patient))
    assert response.status_code == 302
    course = TreatmentCourse.objects.get(patient=submitted_patient)
    assert course.status == CourseStatus.REQUESTED and course.indication_code == "F33.9"
    submitted_patient.refresh_from_db()
    assert submitted_patient.stage == Stage.APPROVED and case_of(submitted_patient).status == CaseStatus.APPROVED
    decision = ScreeningDecision.objects.get()
    assert decision.decided_by == provider and decision.course == course and decision.assessment is not None
    event = AuditEvent.objects.get(action="SCREENING_DECIDED")
    assert event.details["reason"] == "TRD, no contraindication" and event.actor == provider
    # A second click changes nothing.
    assert _decide(login(provider), submitted_patient, decision="approve", reason="again").status_code == 400
    assert TreatmentCourse.objects.count() == 1


def test_a_reason_is_required_and_typed_text_is_kept(login: Any, submitted_patient: Any, provider: Any) -> None:
    response = _decide(login(provider), submitted_patient, decision="decline", reason="",
                       patient_message="Please see your doctor")
    assert response.status_code == 400 and "Please see your doctor" in response.content.decode()
    assert not ScreeningDecision.objects.exists()


def test_a_contraindication_blocks_approval(login: Any, patient: Any, provider: Any) -> None:
    submitted(patient, conditions=["aneurysmal_vascular_disease"])
    response = _decide(login(provider), patient, decision="approve", reason="x", acknowledge=_unacknowledged(patient))
    assert response.status_code == 400 and "blocked by a contraindication" in response.content.decode()
    assert not TreatmentCourse.objects.exists()


def test_each_hold_and_caution_finding_is_acknowledged_one_by_one(login: Any, patient: Any, provider: Any) -> None:
    submitted(patient, conditions=["heart_failure", "glaucoma"])
    latest = patient.eligibility_assessments.get()
    waiting = latest.findings_to_acknowledge()
    assert len(waiting) >= 2 and {f["severity"] for _, f in waiting} <= {"hold", "caution"}
    client = login(provider)
    page = client.get(reverse("screening:review", args=[patient.pk])).content.decode()
    assert page.count("I have looked at this finding") == len(waiting)
    response = _decide(client, patient, decision="approve", reason="ok")
    assert response.status_code == 400 and "Acknowledge each hold and caution finding" in response.content.decode()
    first_index, first = waiting[0]
    url = reverse("screening:acknowledge_finding", args=[patient.pk])
    response = client.post(url, {"assessment_version": latest.version, "finding_index": first_index,
                                 "confirm": "on", "note": "Echo last month: EF 55%"})
    assert response.status_code == 302
    ack = FindingAcknowledgement.objects.get()
    assert ack.acknowledged_by == provider and ack.finding_code == first["code"] and ack.note.startswith("Echo")
    event = AuditEvent.objects.get(action="FINDING_ACKNOWLEDGED")
    assert event.actor == provider and event.details["code"] == first["code"]
    page = client.get(reverse("screening:review", args=[patient.pk])).content.decode()
    assert f"Yes: {provider}" in page and page.count("I have looked at this finding") == len(waiting) - 1
    # Still refused, and the message names what is left, not what was acknowledged.
    response = _decide(client, patient, decision="approve", reason="ok")
    body = response.content.decode()
    assert response.status_code == 400 and waiting[1][1]["message"] in body.split("Not yet acknowledged:")[1]
    # The rest ticked on the decision form: each recorded on its own, then the approval goes through.
    assert _decide(client, patient, decision="approve", reason="Cardiology OK",
                   acknowledge=_unacknowledged(patient)).status_code == 302
    assert FindingAcknowledgement.objects.filter(assessment=latest).count() == len(waiting)
    assert AuditEvent.objects.filter(action="FINDING_ACKNOWLEDGED", actor=provider).count() == len(waiting)


def test_an_acknowledgement_needs_the_tick_a_current_run_and_a_hold_or_caution(login: Any, patient: Any,
                                                                               provider: Any) -> None:
    submitted(patient, conditions=["heart_failure"])
    latest = patient.eligibility_assessments.get()
    index = latest.findings_to_acknowledge()[0][0]
    client = login(provider)
    url = reverse("screening:acknowledge_finding", args=[patient.pk])
    client.post(url, {"assessment_version": latest.version, "finding_index": index})  # box not ticked
    assert not FindingAcknowledgement.objects.exists()
    info = [i for i, f in enumerate(latest.findings) if f["severity"] == "info"]
    for bad_index in [*info[:1], len(latest.findings) + 3]:
        client.post(url, {"assessment_version": latest.version, "finding_index": bad_index, "confirm": "on"})
    client.post(url, {"assessment_version": "x", "finding_index": index, "confirm": "on"})
    assert not FindingAcknowledgement.objects.exists()
    client.post(url, {"assessment_version": latest.version, "finding_index": index, "confirm": "on"})
    client.post(url, {"assessment_version": latest.version, "finding_index": index, "confirm": "on"})  # twice
    assert FindingAcknowledgement.objects.count() == 1
    # The history changes: the new run's findings need acknowledging again, and the old page is refused.
    actions.do_rerun_eligibility(patient.user, patient, reason="new symptom", changes={"conditions": ["glaucoma"]})
    client.post(url, {"assessment_version": latest.version, "finding_index": index, "confirm": "on"})
    assert FindingAcknowledgement.objects.count() == 1
    assert _decide(client, patient, decision="approve", reason="ok").status_code == 400


def test_a_stale_review_is_refused(login: Any, submitted_patient: Any, provider: Any) -> None:
    version = submitted_patient.eligibility_assessments.get().version
    actions.do_rerun_eligibility(submitted_patient.user, submitted_patient, reason="new symptom",
                                 changes={"conditions": ["glaucoma"]})
    response = login(provider).post(reverse("screening:decide", args=[submitted_patient.pk]), {
        "assessment_version": version, "decision": "approve", "reason": "ok"})
    assert response.status_code == 400 and "changed while you were reviewing" in response.content.decode()
    # The page now shows the newer run, and deciding from it works.
    assert f'name="assessment_version" value="{version + 1}"' in response.content.decode()


def test_decline_is_explained_kindly_in_the_portal(login: Any, submitted_patient: Any, provider: Any) -> None:
    _decide(login(provider), submitted_patient, decision="decline", reason="Active psychosis",
            patient_message="Dr. Park can talk with you about other treatments.")
    submitted_patient.refresh_from_db()
    assert submitted_patient.stage == Stage.DECLINED
    home = login(submitted_patient.user).get(reverse("web:home")).content.decode()
    assert "not the right fit for you right now" in home
    assert "Dr. Park can talk with you" in home and "555-0100" in home
    assert "Active psychosis" not in home  # the clinical reason stays in the chart


def test_defer_keeps_the_case_open(login: Any, submitted_patient: Any, provider: Any) -> None:
    _decide(login(provider), submitted_patient, decision="defer", reason="Need a clinic BP reading")
    assert case_of(submitted_patient).status == CaseStatus.DEFERRED
    home = login(submitted_patient.user).get(reverse("web:home")).content.decode()
    assert "We need a little more before we decide" in home


def test_clearance_is_emailed_after_commit_then_replied_and_accepted(login: Any, submitted_patient: Any,
                                                                     provider: Any, nurse: Any, smtp_server: Any,
                                                                     settings: Any, tmp_path: Any,
                                                                     django_capture_on_commit_callbacks: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    client = login(provider)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("screening:request_clearance", args=[submitted_patient.pk]), {
            "recipient_kind": "cardiologist", "recipient_name": "Dr. Heart", "recipient_email": "heart@example.org",
            "question": "Is her atrial fibrillation rate-controlled enough for a 40-minute infusion?"})
    assert response.status_code == 302
    clearance = submitted_patient.clearance_requests.get()
    assert case_of(submitted_patient).status == CaseStatus.CLEARANCE
    [mail] = smtp_server.to("heart@example.org")
    assert "Maya Reyes" in mail.get_payload() and "rate-controlled" in mail.get_payload()
    clearance.refresh_from_db()
    assert clearance.emailed_at is not None
    # Approval waits for the reply.
    assert _decide(client, submitted_patient, decision="approve", reason="x",
                   acknowledge=_unacknowledged(submitted_patient)).status_code == 400
    reply = SimpleUploadedFile("reply.pdf", b"%PDF-1.4 cleared")
    login(nurse).post(reverse("screening:clearance_reply", args=[clearance.pk]), {"file": reply, "note": "Faxed"})
    clearance.refresh_from_db()
    assert clearance.status == ClearanceStatus.RECEIVED and clearance.reply_document is not None
    client.post(reverse("screening:clearance_accept", args=[clearance.pk]), {"note": "Rate controlled"})
    clearance.refresh_from_db()
    assert clearance.status == ClearanceStatus.ACCEPTED and clearance.accepted_by == provider
    assert case_of(submitted_patient).status == CaseStatus.READY
    assert _decide(client, submitted_patient, decision="approve", reason="Cleared by cardiology",
                   acknowledge=_unacknowledged(submitted_patient)).status_code == 302


def test_without_an_email_the_letter_is_for_printing(login: Any, submitted_patient: Any, provider: Any,
                                                     django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = login(provider).post(reverse("screening:request_clearance", args=[submitted_patient.pk]), {
            "recipient_kind": "pcp", "recipient_name": "Dr. Home", "question": "Any history of seizures?"})
    assert not callbacks
    page = login(provider).get(response["Location"]).content.decode()
    assert "Dr. Home" in page and "Any history of seizures?" in page and "Print" in page


def test_the_review_page_shows_everything(login: Any, patient: Any, provider: Any) -> None:
    submitted(patient, medications=("Xanax 1 mg three times a day", "metformin 500 mg"))
    body = login(provider).get(reverse("screening:review", args=[patient.pk])).content.decode()
    for text in ("Eligibility findings", "Benzodiazepines", "metformin", "not recognised", "Sam Reyes",
                 "sertraline", "122/78", "Decision"):
        assert text in body, text


def test_a_mail_server_failure_keeps_the_request_and_it_can_be_sent_again(
        login: Any, submitted_patient: Any, provider: Any, settings: Any, smtp_server: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    from tests.conftest import free_port

    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    client = login(provider)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("screening:request_clearance", args=[submitted_patient.pk]), {
            "recipient_kind": "pcp", "recipient_name": "Dr. Home", "recipient_email": "home@example.org",
            "question": "Any seizures?"})
    assert response.status_code == 302 and len(callbacks) == 1  # the send ran, failed, and was contained
    clearance = submitted_patient.clearance_requests.get()
    assert clearance.emailed_at is None
    page = client.get(reverse("screening:review", args=[submitted_patient.pk])).content.decode()
    assert "Not emailed yet to home@example.org" in page
    settings.EMAIL_PORT = working_port
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("screening:clearance_resend", args=[clearance.pk]))
    clearance.refresh_from_db()
    assert clearance.emailed_at is not None and len(smtp_server.to("home@example.org")) == 1


def test_a_deferred_patient_updates_and_sends_again(login: Any, patient: Any, provider: Any) -> None:
    submitted(patient, bp=(168, 98))
    _decide(login(provider), patient, decision="defer", reason="Recheck BP at the clinic")
    client = login(patient.user)
    page = client.get(reverse("screening:intake")).content.decode()
    assert "Send my health history" in page
    client.post(reverse("screening:add_vitals", args=[patient.pk]), {"systolic": "132", "diastolic": "84"})
    assert client.post(reverse("screening:submit", args=[patient.pk])).status_code == 302
    assert case_of(patient).status == CaseStatus.READY
    latest = patient.eligibility_assessments.order_by("-version").first()
    assert latest.inputs["blood_pressure"] == {"systolic": 132, "diastolic": 84}
    assert "blood_pressure_hold" not in {f["code"] for f in latest.findings}
