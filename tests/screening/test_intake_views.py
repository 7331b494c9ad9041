"""The portal intake: autosave per section, typed values kept on error, lists, questionnaires, sending."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.patients.models import Stage
from ketaclinic.screening import actions
from ketaclinic.screening.access import open_review_flags
from ketaclinic.screening.models import (
    BaselineVitals,
    CaseStatus,
    EligibilityAssessment,
    IntakeEntry,
    Medication,
    ScreeningMeasure,
)
from tests.screening.conftest import case_of, fill_intake

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_autosave_keeps_each_version_and_moves_the_patient_into_screening(login: Any, patient: Any) -> None:
    client = login(patient.user)
    url = reverse("screening:save_section", args=[patient.pk, "goals"])
    response = client.post(url, {"goals": "Get back to work"}, **HTMX)
    assert response.status_code == 200 and "Saved" in response.content.decode()
    client.post(url, {"goals": "Get back to work"}, **HTMX)  # autosave fires twice: nothing new
    client.post(url, {"goals": "Get back to work and sleep"}, **HTMX)
    versions = IntakeEntry.objects.filter(patient=patient, section="goals").order_by("saved_at", "id")
    assert [v.data["goals"] for v in versions] == ["Get back to work", "Get back to work and sleep"]
    assert not versions[0].on_behalf
    patient.refresh_from_db()
    assert patient.stage == Stage.SCREENING and case_of(patient).status == CaseStatus.INTAKE
    page = client.get(reverse("screening:intake")).content.decode()
    assert "Get back to work and sleep" in page


def test_a_bad_value_is_shown_as_typed_and_the_rest_is_saved(login: Any, patient: Any) -> None:
    client = login(patient.user)
    url = reverse("screening:save_section", args=[patient.pk, "body"])
    response = client.post(url, {"height_cm": "170", "weight_kg": "seventy"}, **HTMX)
    body = response.content.decode()
    assert response["HX-Retarget"] == "#section-body"
    assert 'value="seventy"' in body and "Please enter a number." in body
    saved = IntakeEntry.objects.get(patient=patient, section="body")
    assert saved.data == {"height_cm": 170.0, "weight_kg": ""}
    client.post(url, {"height_cm": "170", "weight_kg": "70"}, **HTMX)
    client.post(url, {"height_cm": "171", "weight_kg": "7o"}, **HTMX)  # a slip keeps the earlier 70
    latest = IntakeEntry.objects.filter(patient=patient, section="body").latest("saved_at")
    assert latest.data == {"height_cm": 171.0, "weight_kg": 70.0}
    # Without JavaScript: the whole page comes back with the typed value and the message.
    response = client.post(url, {"height_cm": "170", "weight_kg": "700"})
    assert response.status_code == 400
    assert 'value="700"' in response.content.decode() and "between 30 and 300" in response.content.decode()


def test_staff_entries_are_recorded_as_on_behalf(login: Any, patient: Any, front_desk: Any) -> None:
    login(front_desk).post(reverse("screening:save_section", args=[patient.pk, "emergency"]),
                           {"name": "Sam", "relationship": "brother", "phone": "555 010 1234"})
    entry = IntakeEntry.objects.get(patient=patient, section="emergency")
    assert entry.on_behalf and entry.saved_by == front_desk
    assert AuditEvent.objects.filter(action="INTAKE_SECTION_SAVED", actor=front_desk,
                                     details__on_behalf=True).exists()


def test_medications_add_and_stop_keep_the_row(login: Any, patient: Any) -> None:
    client = login(patient.user)
    response = client.post(reverse("screening:add_medication", args=[patient.pk]),
                           {"name": "Xanax", "dose": "1 mg twice a day"}, **HTMX)
    assert "Xanax" in response.content.decode()
    client.post(reverse("screening:add_medication", args=[patient.pk]), {"name": "Xanax", "dose": "1 mg twice a day"},
                **HTMX)
    med = Medication.objects.get(patient=patient)
    response = client.post(reverse("screening:add_medication", args=[patient.pk]), {"name": " ", "dose": "5 mg"},
                           **HTMX)
    assert response.status_code == 400 and "Enter the name" in response.content.decode()
    assert 'value="5 mg"' in response.content.decode()
    client.post(reverse("screening:stop_medication", args=[patient.pk, med.pk]), **HTMX)
    med.refresh_from_db()
    assert med.stopped_at is not None


def test_blood_pressure_errors_name_the_number(login: Any, patient: Any) -> None:
    client = login(patient.user)
    url = reverse("screening:add_vitals", args=[patient.pk])
    response = client.post(url, {"systolic": "120", "diastolic": "130"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 400 and "Bottom number: must be lower than the top number." in body
    assert 'value="130"' in response.content.decode()
    assert client.post(url, {"systolic": "12o", "diastolic": "80"}, **HTMX).status_code == 400
    client.post(url, {"systolic": "128", "diastolic": "82", "heart_rate": "70"}, **HTMX)
    reading = BaselineVitals.objects.get(patient=patient)
    assert (reading.systolic, reading.diastolic, reading.source) == (128, 82, "home")


def test_phq9_item9_shows_the_crisis_line(login: Any, patient: Any) -> None:
    client = login(patient.user)
    url = reverse("screening:measure", args=[patient.pk, "phq9"])
    answers = {f"item{i}": "1" for i in range(9)}
    response = client.post(url, {**answers, "item8": ""})
    assert response.status_code == 400 and "Question 9" in response.content.decode()
    assert 'value="1" checked' in response.content.decode()  # answers kept
    response = client.post(url, {**answers, "item8": "2"})
    assert "988" in response.content.decode()
    measure = ScreeningMeasure.objects.get(patient=patient)
    assert measure.total == 10 and "suicidal_ideation" in measure.flags
    # §11: a clinician sees it the same day, before anything else happens.
    flag = open_review_flags(patient).get()
    assert flag.finding_code == "phq9_item9_positive" and flag.visit is None


def test_a_positive_item9_is_a_hold_finding_for_the_provider(login: Any, patient: Any, provider: Any) -> None:
    fill_intake(patient.user, patient)
    actions.do_record_measure(patient.user, patient, "phq9", [1, 1, 1, 1, 1, 1, 1, 1, 1])
    actions.do_submit_intake(patient.user, patient)
    assessment = EligibilityAssessment.objects.get(patient=patient)
    assert assessment.status == "needs_review"
    assert "phq9_item9_positive" in {f["code"] for f in assessment.findings}
    body = login(provider).get(reverse("screening:review", args=[patient.pk])).content.decode()
    assert "thoughts of death or self-harm" in body and "Resolve flag" in body


def test_an_approved_patient_updating_the_history_raises_a_flag(login: Any, approved_patient: Any) -> None:
    client = login(approved_patient.user)
    page = client.get(reverse("web:home")).content.decode()
    assert "Good news: you can start treatment." in page
    client.post(reverse("screening:save_section", args=[approved_patient.pk, "history"]),
                {"conditions": ["recent_myocardial_infarction"]}, **HTMX)
    flag = open_review_flags(approved_patient).get()
    assert flag.finding_code == "recent_myocardial_infarction"
    assert case_of(approved_patient).status == CaseStatus.APPROVED  # the decision stands until a provider acts


def test_sending_needs_the_required_parts_and_runs_the_rules(login: Any, patient: Any) -> None:
    client = login(patient.user)
    url = reverse("screening:submit", args=[patient.pk])
    response = client.post(url)
    assert response.status_code == 400 and "Your health history" in response.content.decode()
    fill_intake(patient.user, patient)
    assert client.post(url).status_code == 302
    assert case_of(patient).status == CaseStatus.READY
    assessment = EligibilityAssessment.objects.get(patient=patient)
    assert assessment.treatment_resistant is True and assessment.inputs["indications"] == ["F33.9"]
    assert client.post(url).status_code == 400  # double submit: already sent
    assert EligibilityAssessment.objects.filter(patient=patient).count() == 1


def test_an_update_after_sending_reruns_the_rules_only_when_they_read_it(login: Any, submitted_patient: Any) -> None:
    client = login(submitted_patient.user)
    client.post(reverse("screening:save_section", args=[submitted_patient.pk, "goals"]), {"goals": "Sleep"}, **HTMX)
    assert EligibilityAssessment.objects.filter(patient=submitted_patient).count() == 1
    client.post(reverse("screening:save_section", args=[submitted_patient.pk, "pregnancy"]),
                {"pregnant": "not_sure", "breastfeeding": "no"}, **HTMX)
    latest = EligibilityAssessment.objects.filter(patient=submitted_patient).latest("version")
    assert latest.version == 2 and "pregnancy_status_unknown" in {f["code"] for f in latest.findings}


def test_after_approval_new_free_text_goes_to_a_provider(login: Any, approved_patient: Any) -> None:
    client = login(approved_patient.user)
    client.post(reverse("screening:save_section", args=[approved_patient.pk, "about"]),
                {"address": "1 New Street"}, **HTMX)
    assert not open_review_flags(approved_patient).exists()  # an address is not clinical
    client.post(reverse("screening:save_section", args=[approved_patient.pk, "history"]),
                {"no_conditions": "yes", "surgeries": "Knee surgery last week"}, **HTMX)
    flag = open_review_flags(approved_patient).get()
    assert flag.finding_code == "history_update_surgeries" and "Knee surgery last week" in flag.message


def test_only_safe_document_types_are_accepted(login: Any, patient: Any, settings: Any, tmp_path: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ketaclinic.screening.models import ScreeningDocument

    settings.MEDIA_ROOT = tmp_path
    client = login(patient.user)
    url = reverse("screening:upload_document", args=[patient.pk])
    response = client.post(url, {"file": SimpleUploadedFile("run.html", b"<script>x</script>")}, follow=True)
    assert "Please upload a PDF, JPEG, PNG or text file." in response.content.decode()
    response = client.post(url, {"file": SimpleUploadedFile("empty.pdf", b"")}, follow=True)
    assert not ScreeningDocument.objects.exists()
    client.post(url, {"file": SimpleUploadedFile("scan.PNG", b"\x89PNG...."), "kind": "records"})
    doc = ScreeningDocument.objects.get()
    assert doc.content_type == "image/png" and doc.original_name == "scan.PNG" and "scan" not in doc.file.name


def test_a_nurse_records_clinic_vitals_on_the_patients_behalf(login: Any, patient: Any, nurse: Any) -> None:
    client = login(nurse)
    page = client.get(reverse("screening:intake_for", args=[patient.pk])).content.decode()
    assert "You are filling this in for Maya" in page and "Oxygen %" in page
    client.post(reverse("screening:add_vitals", args=[patient.pk]),
                {"systolic": "134", "diastolic": "86", "heart_rate": "80", "spo2": "97"}, **HTMX)
    reading = BaselineVitals.objects.get(patient=patient)
    assert (reading.source, reading.spo2, reading.entered_by) == ("clinic", 97, nurse)
    assert AuditEvent.objects.filter(action="CHART_VIEWED", actor=nurse, details__view="screening intake").exists()
