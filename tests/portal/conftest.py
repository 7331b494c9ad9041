"""A patient with something on every portal page: an induction course (two infusions done, the
rest booked), PHQ-9 scores, a sleep diary night, a journal entry and a conversation with a reply.
Everything is built through the real actions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.outcomes.conftest import course_days, local, phq9


@pytest.fixture
def portal_patient(patient: Any, provider: Any, front_desk: Any, nurse: Any) -> Any:
    from ketaclinic.courses.actions import do_create_course
    from ketaclinic.messaging.actions import do_send_message, do_start_conversation
    from ketaclinic.outcomes.actions import do_add_journal_entry, do_add_sleep_diary_entry, do_submit_questionnaire
    from ketaclinic.patients.actions import do_set_patient_stage
    from ketaclinic.schedule.actions import do_book_visit, do_create_chair, do_set_opening_hours, do_set_visit_status
    from ketaclinic.schedule.models import VisitStatus

    clinic = patient.clinic
    chair = do_create_chair(None, clinic, "Chair 1")
    for weekday in range(7):
        do_set_opening_hours(None, clinic, weekday, time(7), time(20))
    today = timezone.localdate(timezone=clinic.zone)
    start = today - timedelta(days=5)
    booked_at = local(clinic, start) - timedelta(days=9)
    course = do_create_course(provider, patient, indication_code="F33.2", earliest_on=start, now=booked_at)
    visits = []
    for n, day in enumerate(course_days(start, course.planned_visits), start=1):
        visit = do_book_visit(front_desk, course, chair, local(clinic, day), number=n, now=booked_at)
        if visit.ends_at < timezone.now() and n <= 2:
            do_set_visit_status(nurse, visit, VisitStatus.DISCHARGED, now=visit.ends_at, historical=True)
        visits.append(visit)
    do_set_patient_stage(None, patient, "induction")
    for k, total in enumerate((18, 14, 11)):
        at = local(clinic, start) - timedelta(days=1) + timedelta(days=2 * k)
        do_submit_questionnaire(patient.user, patient, "phq9", phq9(total), submission_key=f"portal-{k}",
                                answered_at=min(at, timezone.now()), now=timezone.now())
    night: date = today - timedelta(days=2)

    def at(day: date, hhmm: str) -> datetime:
        return datetime.combine(day, time(*map(int, hhmm.split(":"))), tzinfo=clinic.zone)

    do_add_sleep_diary_entry(patient.user, patient, night_of=night, in_bed=at(night, "22:30"),
                             tried_to_sleep=at(night, "23:00"), sleep_onset_minutes=30, awakenings=2,
                             wake_after_sleep_onset_minutes=40, final_wake=at(night + timedelta(days=1), "06:30"),
                             out_of_bed=at(night + timedelta(days=1), "07:00"), quality=3)
    do_add_journal_entry(patient.user, patient, text="Felt light and calm after the visit.", mood=6,
                         tags=["after_effects"], visit=visits[0], shared=False, submission_key="portal-journal")
    conversation = do_start_conversation(patient.user, patient, topic="question", subject="Parking",
                                         body="Where do I park on Friday?", client_token="portal-conv")
    do_send_message(nurse, conversation, body="Use the lot behind the clinic. It is free.", client_token="r1")
    patient.upcoming_visit = next(v for v in visits if v.starts_at > timezone.now())  # type: ignore[attr-defined]
    return patient


def portal_pages(patient: Any) -> dict[str, str]:
    """The key portal pages, by name → path."""
    return {
        "home": "/",
        "intake": "/screening/intake/",
        "visits": "/schedule/my/",
        "progress": "/outcomes/my-progress/",
        "questionnaire": "/outcomes/answer/phq9/",
        "sleep diary": "/outcomes/sleep/new/",
        "journal": "/outcomes/journal/",
        "messages": "/messages/",
        "compose": "/messages/new/",
        "conversation": f"/messages/mine/{patient.conversations.first().pk}/",
        "how I feel": "/messages/how-i-feel/",
        "guide": "/guide/",
        "preparation": f"/preparation/visit/{patient.upcoming_visit.pk}/",
    }
