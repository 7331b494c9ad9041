"""Questionnaires: scoring through protocol.scoring, double submits, staff entry, amendments,
and the same-day safety pathway end to end (portal answer → crisis page → staff task → close)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.outcomes.actions import (
    OutcomeError,
    do_amend_questionnaire,
    do_close_safety_task,
    do_create_custom_question,
    do_submit_questionnaire,
)
from ketaclinic.outcomes.models import QuestionnaireResponse, SafetyTask, Source
from tests.outcomes.conftest import phq9

NOW = datetime.fromisoformat("2027-01-05T15:00:00+00:00")  # Tuesday 10:00 in New York


def form_data(answers: list[int], key: str = "form-1", **extra: Any) -> dict[str, Any]:
    data = {f"q{i}": str(a) for i, a in enumerate(answers, start=1)}
    data["submission_key"] = key
    data.update(extra)
    return data


@pytest.mark.django_db
def test_a_patient_answer_is_scored_with_the_published_bands(patient: Any, submit: Any) -> None:
    response = submit(patient.user, patient, "phq9", phq9(12), NOW)
    assert (response.total, response.severity, response.flags) == (12, "moderate", [])
    assert response.entered_by == patient.user and response.source == Source.PORTAL
    assert AuditEvent.objects.filter(action="QUESTIONNAIRE_SUBMITTED", patient_ref=patient.pk).count() == 1


@pytest.mark.django_db
def test_a_double_submit_keeps_one_record(patient: Any) -> None:
    first = do_submit_questionnaire(patient.user, patient, "gad7", [1] * 7, submission_key="same", now=NOW)
    again = do_submit_questionnaire(patient.user, patient, "gad7", [3] * 7, submission_key="same", now=NOW)
    assert again.pk == first.pk and QuestionnaireResponse.objects.count() == 1 and again.total == 7


@pytest.mark.django_db
def test_out_of_range_answers_name_the_question(patient: Any) -> None:
    with pytest.raises(OutcomeError) as err:
        do_submit_questionnaire(patient.user, patient, "phq9", [0, 0, 4, 0, 0, 0, 0, 0, 0], submission_key="x",
                                now=NOW)
    assert err.value.field == "q3" and "Question 3" in str(err.value)
    assert not QuestionnaireResponse.objects.exists()


@pytest.mark.django_db
def test_staff_entry_needs_the_chart_permission(patient: Any, nurse: Any, front_desk: Any,
                                                other_clinic_nurse: Any, other_patient: Any) -> None:
    staff = do_submit_questionnaire(nurse, patient, "gad7", [1] * 7, submission_key="n", source=Source.PAPER, now=NOW)
    assert staff.source == Source.PAPER and staff.entered_by == nurse
    for outsider in (front_desk, other_clinic_nurse, other_patient.user):
        with pytest.raises(PermissionDenied):
            do_submit_questionnaire(outsider, patient, "gad7", [1] * 7, submission_key="o", now=NOW)


@pytest.mark.django_db
def test_staff_may_store_an_incomplete_paper_form_without_a_total(patient: Any, nurse: Any) -> None:
    response = do_submit_questionnaire(nurse, patient, "phq9", [1, 1, 1, 1, None, 1, 1, 1, 0], submission_key="p",
                                       source=Source.PAPER, now=NOW)
    assert response.total is None and response.severity == ""


@pytest.mark.django_db
def test_an_amendment_keeps_the_original_answers(patient: Any, nurse: Any, submit: Any) -> None:
    response = submit(patient.user, patient, "phq9", phq9(10), NOW)
    with pytest.raises(OutcomeError):
        do_amend_questionnaire(nurse, response, phq9(8), reason="  ", now=NOW)
    do_amend_questionnaire(nurse, response, phq9(8), reason="Patient misread item 1", now=NOW)
    response.refresh_from_db()
    assert (response.total, response.original_total, response.original_answers) == (8, 10, phq9(10))
    amendment = response.amendments.get()
    assert amendment.total_before == 10 and amendment.amended_by == nurse
    event = AuditEvent.objects.get(action="QUESTIONNAIRE_AMENDED")
    assert event.details["reason"] == "Patient misread item 1"


@pytest.mark.django_db
def test_item9_above_zero_raises_a_same_day_task(patient: Any, submit: Any) -> None:
    response = submit(patient.user, patient, "phq9", phq9(14, item9=1), NOW)
    task = SafetyTask.objects.get()
    assert task.response == response and task.is_open and "item 9 answered 1" in task.detail
    # Due at the end of the clinic's day (midnight New York = 05:00 UTC next day).
    assert task.due_at == datetime.fromisoformat("2027-01-06T05:00:00+00:00")
    assert AuditEvent.objects.filter(action="SAFETY_TASK_RAISED", patient_ref=patient.pk).exists()


@pytest.mark.django_db
def test_item9_zero_raises_no_task(patient: Any, submit: Any) -> None:
    submit(patient.user, patient, "phq9", phq9(20, item9=0), NOW)
    assert not SafetyTask.objects.exists()


@pytest.mark.django_db
def test_the_configured_item9_score_is_used(patient: Any, medical_director: Any, submit: Any) -> None:
    from ketaclinic.clinics.actions import do_change_protocol_setting

    do_change_protocol_setting(medical_director, patient.clinic, "outcomes.phq9_item9_review_min_score", 2,
                               reason="Clinic policy")
    submit(patient.user, patient, "phq9", phq9(10, item9=1), NOW)
    assert not SafetyTask.objects.exists()
    submit(patient.user, patient, "phq9", phq9(10, item9=2), NOW + timedelta(hours=1))
    assert SafetyTask.objects.count() == 1


@pytest.mark.django_db
def test_a_custom_risk_answer_raises_a_task(patient: Any, medical_director: Any, submit: Any) -> None:
    question = do_create_custom_question(medical_director, patient.clinic, text="Do you feel unsafe at home?",
                                         kind="yes_no", risk_values=[1], now=NOW)
    submit(patient.user, patient, "custom", [0], NOW, custom_question=question)
    assert not SafetyTask.objects.exists()
    submit(patient.user, patient, "custom", [1], NOW, custom_question=question)
    assert SafetyTask.objects.get().trigger == "custom_risk"


@pytest.mark.django_db
def test_closing_needs_a_documented_follow_up(patient: Any, nurse: Any, front_desk: Any, submit: Any) -> None:
    submit(patient.user, patient, "phq9", phq9(14, item9=2), NOW)
    task = SafetyTask.objects.get()
    later = NOW + timedelta(hours=1)
    good = {"contacted_by_name": "Nina Nurse RN", "contacted_at": later, "action_taken": "Called; safety plan",
            "outcome": "safe_plan"}
    for field in ("contacted_by_name", "action_taken", "outcome"):
        with pytest.raises(OutcomeError) as err:
            do_close_safety_task(nurse, task, **{**good, field: ""}, now=later)
        assert err.value.field == field
    with pytest.raises(OutcomeError):
        do_close_safety_task(nurse, task, **{**good, "contacted_at": later + timedelta(hours=2)}, now=later)
    with pytest.raises(PermissionDenied):
        do_close_safety_task(front_desk, task, **good, now=later)
    do_close_safety_task(nurse, task, **good, now=later)
    task.refresh_from_db()
    assert task.closed_by == nurse and task.outcome == "safe_plan" and task.action_taken == "Called; safety plan"
    with pytest.raises(OutcomeError):
        do_close_safety_task(nurse, task, **good, now=later)
    event = AuditEvent.objects.get(action="SAFETY_TASK_CLOSED")
    assert event.details["contacted_by"] == "Nina Nurse RN"


@pytest.mark.django_db
def test_safety_pathway_end_to_end_through_the_pages(login: Any, patient: Any, nurse: Any) -> None:
    """Patient answers item 9 = 1 in the portal → sees crisis numbers → the nurse sees the task at the
    top of the staff home and the worklist → closes it with a follow-up → it leaves both lists."""
    clinic = patient.clinic
    clinic.on_call_phone = "555-0199"
    clinic.save(update_fields=["on_call_phone"])
    with time_machine.travel(NOW, tick=False):
        page = login(patient.user).post(reverse("outcomes:answer", args=["phq9"]), form_data(phq9(12, item9=1)),
                                        follow=True)
        body = page.content.decode()
        assert "Please reach out now" in body and 'href="tel:988"' in body and "911" in body
        assert "555-0100" in body and "555-0199" in body
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        staff = login(nurse)
        home = staff.get(reverse("web:home")).content.decode()
        assert "Safety follow-up today (1)" in home and home.index("Safety follow-up") < home.index("Patients by stage")
        task = SafetyTask.objects.get()
        assert "Maya Reyes" in staff.get(reverse("outcomes:worklist")).content.decode()
        url = reverse("outcomes:safety_task", args=[task.pk])
        missing = staff.post(url, {"contacted_by_name": "Nina", "contacted_at": "2027-01-05T10:30",
                                   "action_taken": "", "outcome": "safe_plan"})
        assert missing.status_code == 200 and "This field is required" in missing.content.decode()
        assert 'value="Nina"' in missing.content.decode()  # the form keeps what was typed
        done = staff.post(url, {"contacted_by_name": "Nina", "contacted_at": "2027-01-05T10:30",
                                "action_taken": "Called; safe; plan reviewed", "outcome": "safe_plan"})
        assert done.status_code == 302
        task.refresh_from_db()
        assert not task.is_open and task.contacted_at == datetime.fromisoformat("2027-01-05T15:30:00+00:00")
        assert "Safety follow-up today" not in staff.get(reverse("web:home")).content.decode()


@pytest.mark.django_db
def test_the_portal_form_keeps_answers_when_one_is_missing(login: Any, patient: Any) -> None:
    data = form_data([1, 2, 1, 0, 0, 0, 0, 0, 0])
    del data["q5"]
    page = login(patient.user).post(reverse("outcomes:answer", args=["phq9"]), data)
    body = page.content.decode()
    assert page.status_code == 200 and "Please choose an answer." in body
    assert 'name="q2" value="2" required id="id_q2_2" checked' in body or ('value="2"' in body and "checked" in body)
    assert not QuestionnaireResponse.objects.exists()


@pytest.mark.django_db
def test_a_double_post_from_the_portal_makes_one_record(login: Any, patient: Any) -> None:
    client = login(patient.user)
    url = reverse("outcomes:answer", args=["gad7"])
    client.post(url, form_data([1] * 7, key="abc"))
    client.post(url, form_data([1] * 7, key="abc"))
    assert QuestionnaireResponse.objects.count() == 1


@pytest.mark.django_db
def test_clinic_zone_times_keep_the_audit_chain_intact(patient: Any, nurse: Any, submit: Any) -> None:
    from zoneinfo import ZoneInfo

    from ketaclinic.audit.log import first_chain_break

    local_now = NOW.astimezone(ZoneInfo("America/New_York"))
    submit(patient.user, patient, "phq9", phq9(12, item9=1), local_now)
    do_close_safety_task(nurse, SafetyTask.objects.get(), contacted_by_name="N", contacted_at=local_now,
                         action_taken="Called", outcome="safe_plan", now=local_now + timedelta(minutes=30))
    assert first_chain_break() is None
