"""Staff entry, corrections and clinic questions through the pages; the journal prompt after an infusion;
the outcomes panel on the patient chart."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.outcomes.models import CustomQuestion, QuestionnaireResponse, SafetyTask
from tests.outcomes.conftest import START, local, phq9

NOW = datetime.fromisoformat("2027-01-05T15:00:00+00:00")


@pytest.mark.django_db
def test_nurse_enters_a_paper_phq9_with_item9_and_the_task_appears(login: Any, patient: Any, nurse: Any) -> None:
    url = reverse("outcomes:staff_entry", args=[patient.pk, "phq9"])
    data = {f"q{i}": str(a) for i, a in enumerate(phq9(11, item9=2), start=1)}
    data.update({"submission_key": "s1", "source": "paper", "answered_at": "2027-01-05T09:30"})
    with time_machine.travel(NOW, tick=False):
        page = login(nurse).post(url, data, follow=True)
    assert "a same-day safety task was created" in page.content.decode()
    response = QuestionnaireResponse.objects.get()
    assert response.source == "paper" and response.entered_by == nurse
    assert response.answered_at == datetime.fromisoformat("2027-01-05T14:30:00+00:00")
    assert SafetyTask.objects.get().response == response


@pytest.mark.django_db
def test_front_desk_cannot_enter_scores(login: Any, patient: Any, front_desk: Any) -> None:
    url = reverse("outcomes:staff_entry", args=[patient.pk, "gad7"])
    assert login(front_desk).post(url, {"submission_key": "x", "source": "staff"}).status_code == 403
    assert not QuestionnaireResponse.objects.exists()


@pytest.mark.django_db
def test_correction_page_keeps_the_original(login: Any, patient: Any, nurse: Any, submit: Any) -> None:
    response = submit(patient.user, patient, "gad7", [2] * 7, NOW)
    url = reverse("outcomes:amend", args=[response.pk])
    data = {f"q{i}": "1" for i in range(1, 8)}
    no_reason = login(nurse).post(url, {**data, "submission_key": "a", "reason": ""})
    assert no_reason.status_code == 200 and "This field is required" in no_reason.content.decode()
    assert login(nurse).post(url, {**data, "submission_key": "a", "reason": "Entered from wrong sheet"}
                             ).status_code == 302
    response.refresh_from_db()
    assert (response.total, response.original_total) == (7, 14)
    assert "amended" in login(nurse).get(reverse("outcomes:patient", args=[patient.pk])).content.decode()


@pytest.mark.django_db
def test_medical_director_adds_a_clinic_question(login: Any, patient: Any, medical_director: Any,
                                                 nurse: Any) -> None:
    url = reverse("outcomes:custom_questions")
    assert login(nurse).post(url, {"text": "x", "kind": "scale"}).status_code == 403
    bad = login(medical_director).post(url, {"text": "Any thoughts of harming others?", "kind": "yes_no",
                                             "risk_values": "yes"})
    assert "Use whole numbers" in bad.content.decode() and "harming others" in bad.content.decode()
    login(medical_director).post(url, {"text": "Any thoughts of harming others?", "kind": "yes_no",
                                       "risk_values": "1"})
    question = CustomQuestion.objects.get()
    assert question.risk_values == [1]
    progress = login(patient.user).get(reverse("outcomes:my_progress")).content.decode()
    assert "harming others" in progress
    login(medical_director).post(reverse("outcomes:retire_custom_question", args=[question.pk]))
    question.refresh_from_db()
    assert not question.active


@pytest.mark.django_db
def test_journal_prompt_after_an_infusion(login: Any, patient: Any, make_course: Any) -> None:
    _, visits = make_course(patient, done=1)
    with time_machine.travel(local(patient.clinic, START + timedelta(days=1), "08:00"), tick=False):
        home = login(patient.user).get(reverse("web:home")).content.decode()
        assert f"?visit={visits[0].pk}" in home and "How was your visit?" in home
        page = login(patient.user).get(reverse("outcomes:journal"), {"visit": visits[0].pk}).content.decode()
        assert "Write it down while it is fresh" in page and f'value="{visits[0].pk}" selected' in page


@pytest.mark.django_db
def test_patient_chart_shows_the_outcomes_panel(login: Any, patient: Any, nurse: Any, front_desk: Any,
                                                submit: Any) -> None:
    submit(patient.user, patient, "phq9", phq9(12, item9=1), NOW)
    chart = reverse("patients:chart", args=[patient.pk])
    body = login(nurse).get(chart).content.decode()
    assert "Open safety follow-up" in body and reverse("outcomes:patient", args=[patient.pk]) in body
    assert "Open safety follow-up" not in login(front_desk).get(chart).content.decode()
