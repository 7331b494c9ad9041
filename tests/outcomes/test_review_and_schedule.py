"""Due questionnaires from the course schedule, course review with maintenance booking, and
reminders through the notification queue."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from ketaclinic.courses.models import CourseKind, TreatmentCourse
from ketaclinic.outcomes.actions import OutcomeError, do_record_course_review
from ketaclinic.outcomes.due import due_for_patient
from ketaclinic.outcomes.models import CourseReview
from ketaclinic.outcomes.review import primary_instrument, summarise_course
from tests.outcomes.conftest import START, local, phq9


def codes(due: list[Any]) -> list[tuple[str, str]]:
    return [(d.instrument, d.slot) for d in due]


@pytest.mark.django_db
def test_baseline_is_due_in_the_week_before_infusion_1(patient: Any, make_course: Any, submit: Any) -> None:
    make_course(patient, done=0)
    clinic = patient.clinic
    assert due_for_patient(patient, local(clinic, START - timedelta(days=8))) == []
    week_before = local(clinic, START - timedelta(days=3))
    assert codes(due_for_patient(patient, week_before)) == [("phq9", "baseline"), ("gad7", "baseline")]
    submit(patient.user, patient, "phq9", phq9(18), week_before)
    assert codes(due_for_patient(patient, week_before + timedelta(hours=1))) == [("gad7", "baseline")]


@pytest.mark.django_db
def test_before_each_infusion_and_the_day_after(patient: Any, make_course: Any, submit: Any) -> None:
    _course, visits = make_course(patient, done=1)
    clinic = patient.clinic
    day_after = local(clinic, START + timedelta(days=1), "08:00")
    due = due_for_patient(patient, day_after)
    assert ("phq9", "after") in codes(due)
    before_visit2 = visits[1].starts_at - timedelta(hours=2)
    assert ("phq9", "pre") in codes(due_for_patient(patient, before_visit2))
    submit(patient.user, patient, "phq9", phq9(15), before_visit2)
    assert ("phq9", "pre") not in codes(due_for_patient(patient, before_visit2 + timedelta(minutes=5)))


@pytest.mark.django_db
def test_weekly_check_in_during_induction(patient: Any, make_course: Any, submit: Any) -> None:
    make_course(patient, done=3)
    clinic = patient.clinic
    saturday = local(clinic, START + timedelta(days=7, hours=0), "12:00")
    assert ("gad7", "weekly") in codes(due_for_patient(patient, saturday))


@pytest.mark.django_db
def test_patient_home_lists_questionnaires_to_answer(login: Any, patient: Any, make_course: Any) -> None:
    make_course(patient, done=0)
    with time_machine.travel(local(patient.clinic, START - timedelta(days=2)), tick=False):
        body = login(patient.user).get(reverse("web:home")).content.decode()
    assert "Questionnaires to answer" in body and reverse("outcomes:answer", args=["phq9"]) in body


@pytest.mark.django_db
def test_reminders_are_queued_once_per_slot(patient: Any, make_course: Any) -> None:
    from ketaclinic.notifications.models import OutboundMessage
    from ketaclinic.outcomes.reminders import sweep_questionnaire_reminders

    make_course(patient, done=0)
    now = local(patient.clinic, START - timedelta(days=2), "10:00")
    assert sweep_questionnaire_reminders("w1", now=now) is True
    assert sweep_questionnaire_reminders("w1", now=now) is False  # next sweep in an hour
    assert sweep_questionnaire_reminders("w1", now=now + timedelta(hours=1, minutes=1)) is True
    kinds = set(OutboundMessage.objects.values_list("dedupe_key", flat=True))
    assert len(kinds) == 2 and all(k.startswith(f"outcomes.due:{patient.pk}:") for k in kinds)
    body = OutboundMessage.objects.first().body  # type: ignore[union-attr]
    assert "988" in body and "PHQ" not in body  # no health details in the message


def _scored_course(patient: Any, make_course: Any, submit: Any, scores: list[int]) -> Any:
    course, visits = make_course(patient)
    submit(patient.user, patient, "phq9", phq9(20), visits[0].starts_at - timedelta(days=2))
    for visit, total in zip(visits, scores, strict=False):
        submit(patient.user, patient, "phq9", phq9(total), visit.ends_at + timedelta(hours=20))
    return course, visits


@pytest.mark.django_db
def test_course_summary_uses_the_pure_rules(patient: Any, make_course: Any, submit: Any) -> None:
    course, _ = _scored_course(patient, make_course, submit, [17, 14, 11, 8, 6, 4])
    summary = summarise_course(course, patient.clinic.protocol())
    assert summary.baseline is not None and summary.baseline.total == 20
    assert summary.response is not None and summary.response.category == "remission"
    assert summary.suggestion is not None and summary.suggestion.kind == "taper"
    assert summary.suggestion.visit_dates[0] == date(2027, 1, 22)  # last infusion Fri Jan 15 + 7 days


@pytest.mark.django_db
def test_provider_books_maintenance_from_the_review(login: Any, patient: Any, provider: Any, nurse: Any,
                                                    make_course: Any, submit: Any) -> None:
    course, _ = _scored_course(patient, make_course, submit, [17, 14, 11, 8, 6, 4])
    url = reverse("outcomes:course_review", args=[course.pk])
    with time_machine.travel(datetime.fromisoformat("2027-01-21T15:00:00+00:00"), tick=False):
        page = login(provider).get(url).content.decode()
        assert "Taper" in page and "Remission" in page and "Record your decision" in page
        assert "Record your decision" not in login(nurse).get(url).content.decode()
        assert login(nurse).post(url, {"decision": "maintenance", "reason": "x", "submission_key": "a",
                                       "maintenance_start_on": "2027-01-25"}).status_code == 403
        bad = login(provider).post(url, {"decision": "maintenance", "reason": "", "submission_key": "k1",
                                         "maintenance_start_on": "2027-01-25"})
        assert bad.status_code == 200 and not CourseReview.objects.exists()
        data = {"decision": "maintenance", "reason": "Remission; taper per protocol", "submission_key": "k1",
                "maintenance_start_on": "2027-01-25"}
        assert login(provider).post(url, data).status_code == 302
        assert login(provider).post(url, data).status_code == 302  # double submit
    review = CourseReview.objects.get()
    assert review.decided_by == provider and review.category == "remission" and review.suggestion_kind == "taper"
    maintenance = TreatmentCourse.objects.get(kind=CourseKind.MAINTENANCE)
    assert review.maintenance_course == maintenance and maintenance.earliest_on == date(2027, 1, 25)
    assert "Taper plan" in maintenance.notes


@pytest.mark.django_db
def test_review_refuses_a_past_booster_and_non_prescribers(patient: Any, provider: Any, nurse: Any,
                                                           make_course: Any, submit: Any) -> None:
    course, _ = _scored_course(patient, make_course, submit, [17, 14, 11, 8, 6, 4])
    now = datetime.fromisoformat("2027-01-21T15:00:00+00:00")
    with pytest.raises(PermissionDenied):
        do_record_course_review(nurse, course, decision="stop", reason="r", submission_key="n", now=now)
    with pytest.raises(OutcomeError):
        do_record_course_review(provider, course, decision="maintenance", reason="r", submission_key="p",
                                maintenance_start_on=date(2027, 1, 20), now=now)
    review = do_record_course_review(provider, course, decision="titrate", reason="Partial", submission_key="t",
                                     now=now)
    assert review.maintenance_course is None


def test_primary_instrument_by_indication() -> None:
    assert primary_instrument("F33.2") == "phq9"
    assert primary_instrument("F43.10") == "pcl5"
    assert primary_instrument("G90.511") == "pain_nrs"
    assert primary_instrument("F41.1") == "phq9"


@pytest.mark.django_db
def test_worklist_lists_a_course_behind_at_the_midcourse_point(login: Any, patient: Any, nurse: Any,
                                                               make_course: Any, submit: Any) -> None:
    _, visits = make_course(patient, done=4)
    submit(patient.user, patient, "phq9", phq9(20), visits[0].starts_at - timedelta(days=1))
    for visit, total in zip(visits[:4], [20, 19, 18, 17], strict=True):  # 15% better by infusion 4
        submit(patient.user, patient, "phq9", phq9(total), visit.ends_at + timedelta(hours=20))
    with time_machine.travel(visits[3].ends_at + timedelta(days=1, hours=1), tick=False):
        body = login(nurse).get(reverse("outcomes:worklist")).content.decode()
    assert "Mid-course review (1)" in body and "-15.0% by infusion 4" in body
