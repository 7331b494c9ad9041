"""Symptom reports: triage from the protocol, the task it raises, triage decisions and visit links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from ketaclinic.audit.models import AuditEvent
from ketaclinic.clinics.actions import do_change_protocol_setting
from ketaclinic.messaging.actions import (
    MessagingError,
    do_link_report_to_visit,
    do_report_symptoms,
    do_triage_symptom_report,
)
from ketaclinic.messaging.models import SymptomReport, SymptomTriage
from ketaclinic.messaging.staff_views import inbox_queryset
from tests.messaging.conftest import answers

pytestmark = pytest.mark.django_db
INFUSION = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)       # Monday 10:00 in New York
SAME_EVENING = datetime(2026, 3, 9, 23, 0, tzinfo=UTC)   # Monday 19:00
NEXT_MORNING = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # Tuesday 08:00


def report(patient, now, **severities):
    return do_report_symptoms(patient.user, patient, answers=answers(**severities), now=now)


def test_a_routine_report_raises_a_routine_task(patient, infused_visit):
    visit = infused_visit(patient, INFUSION)
    r = report(patient, SAME_EVENING, nausea=(1, "infusion_day"), headache=(2, "infusion_day"))
    assert (r.level, r.crisis, r.followed_visit, r.days_since_infusion) == ("routine", False, visit, 0)
    conversation = r.conversation
    assert conversation.topic == "symptoms" and conversation.task_priority == "routine" and conversation.task_pending
    body = conversation.messages.get().body
    assert "Upset stomach or throwing up: mild, started on the day of my infusion" in body
    assert "Headache: moderate" in body and "Dizziness" not in body
    event = AuditEvent.objects.get(action="SYMPTOMS_REPORTED")
    assert event.details["level"] == "routine" and event.details["visit"] == visit.pk


def test_perceptual_changes_still_there_next_morning_are_urgent(patient, infused_visit):
    infused_visit(patient, INFUSION)
    evening = report(patient, SAME_EVENING, perceptual_changes=(1, "infusion_day"))
    morning = report(patient, NEXT_MORNING, perceptual_changes=(1, "infusion_day"))
    assert evening.level == "routine" and morning.level == "urgent" and morning.days_since_infusion == 1
    assert morning.conversation.task_priority == "urgent"


def test_any_self_harm_answer_is_urgent_with_crisis(patient):
    r = report(patient, NEXT_MORNING, self_harm_thoughts=1)
    assert r.level == "urgent" and r.crisis and r.followed_visit is None
    assert any("self-harm" in reason["reason"] for reason in r.reasons)


def test_urgent_tasks_sit_at_the_top_of_the_inbox_until_triaged(patient, other_patient, nurse, start):
    old_question = start(other_patient, now=NEXT_MORNING - timedelta(hours=5))
    routine = report(patient, NEXT_MORNING - timedelta(hours=1), nausea=(1, "infusion_day"))
    newest_question = start(other_patient, subject="Newest", now=NEXT_MORNING + timedelta(hours=2))
    urgent = report(patient, NEXT_MORNING, headache=(3, "next_day"))
    order = [c.pk for c in inbox_queryset(nurse, patient.clinic)]
    assert order == [urgent.conversation_id, routine.conversation_id, newest_question.pk, old_question.pk]
    do_triage_symptom_report(nurse, urgent, outcome="called", note="Called; resting, improving.")
    order = [c.pk for c in inbox_queryset(nurse, patient.clinic)]
    assert order[0] == routine.conversation_id and order[-1] == old_question.pk


def test_thresholds_follow_the_clinics_protocol(patient, medical_director):
    assert report(patient, NEXT_MORNING, headache=(2, "infusion_day")).level == "routine"
    do_change_protocol_setting(medical_director, patient.clinic, "outcomes.symptom_urgent_min_severity", 2,
                               "Be more careful in our first year")
    r = report(patient, NEXT_MORNING, headache=(2, "infusion_day"))
    assert r.level == "urgent" and r.protocol_version.number >= 1


def test_an_empty_report_or_a_missing_onset_is_refused(patient):
    with pytest.raises(MessagingError):
        report(patient, NEXT_MORNING)
    with pytest.raises(MessagingError):
        report(patient, NEXT_MORNING, nausea=1)  # severity without when it started
    assert not SymptomReport.objects.exists()


def test_a_note_alone_is_a_routine_report(patient):
    r = do_report_symptoms(patient.user, patient, answers=answers(), note="Just tired today.", now=NEXT_MORNING)
    assert r.level == "routine" and "None of the listed symptoms" in r.conversation.messages.get().body


def test_a_double_submitted_report_is_one_report(patient):
    a = do_report_symptoms(patient.user, patient, answers=answers(nausea=(1, "infusion_day")), client_token="t")
    b = do_report_symptoms(patient.user, patient, answers=answers(nausea=(1, "infusion_day")), client_token="t")
    assert a.pk == b.pk and SymptomReport.objects.count() == 1


@pytest.mark.parametrize("persona", ["nurse", "other_patient"])
def test_only_the_patient_reports_for_themself(request, patient, persona):
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        do_report_symptoms(getattr(user, "user", user), patient, answers=answers(nausea=(1, "infusion_day")))


def test_a_clinician_triages_and_a_later_note_amends(patient, nurse, provider):
    r = report(patient, NEXT_MORNING, headache=(3, "next_day"))
    first = do_triage_symptom_report(nurse, r, outcome="called", note="Called, headache easing.", now=NEXT_MORNING)
    r.conversation.refresh_from_db()
    assert r.conversation.task_done_at == NEXT_MORNING and not r.conversation.task_pending
    later = NEXT_MORNING + timedelta(hours=3)
    do_triage_symptom_report(provider, r, outcome="see_in_clinic", note="Review before next dose.",
                             is_adverse_event=True, now=later)
    assert SymptomTriage.objects.filter(report=r).count() == 2
    first.refresh_from_db()
    assert first.outcome == "called"  # the first decision is kept as it was
    r.conversation.refresh_from_db()
    assert r.conversation.task_done_at == NEXT_MORNING
    events = AuditEvent.objects.filter(action="SYMPTOMS_TRIAGED").order_by("id")
    assert [e.details["amends_earlier"] for e in events] == [False, True]


@pytest.mark.parametrize("persona", ["front_desk", "admin_user", "other_clinic_nurse"])
def test_only_clinicians_of_the_clinic_triage(request, patient, persona):
    r = report(patient, NEXT_MORNING, headache=(3, "next_day"))
    with pytest.raises(PermissionDenied):
        do_triage_symptom_report(request.getfixturevalue(persona), r, outcome="called", note="x")


def test_triage_needs_an_outcome_and_a_reason(patient, nurse):
    r = report(patient, NEXT_MORNING, headache=(3, "next_day"))
    with pytest.raises(MessagingError):
        do_triage_symptom_report(nurse, r, outcome="called", note=" ")
    with pytest.raises(MessagingError):
        do_triage_symptom_report(nurse, r, outcome="shrug", note="x")


def test_a_nurse_links_the_event_to_the_infusion_it_followed(patient, other_patient, nurse, infused_visit):
    visit = infused_visit(patient, INFUSION)
    other_visit = infused_visit(other_patient, INFUSION + timedelta(hours=3))
    r = report(patient, NEXT_MORNING, urinary_pain=(1, "next_day"))
    assert r.level == "urgent" and r.followed_visit == visit
    do_link_report_to_visit(nurse, r, visit, note="Urinary pain after visit 1")
    with pytest.raises(MessagingError):
        do_link_report_to_visit(nurse, r, other_visit)
    do_link_report_to_visit(nurse, r, None, note="Turned out to be an infection")
    links = list(r.visit_links.all())
    assert [link.visit for link in links] == [None, visit]  # newest first; the first link is kept
    assert AuditEvent.objects.filter(action="SYMPTOMS_LINKED_TO_VISIT").count() == 2
