"""The pre-visit health update: answers that matter re-run screening and flag the visit."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.notifications.models import MessageStatus, OutboundMessage
from ketaclinic.preparation.actions import (
    HealthAnswers,
    PreparationError,
    do_clear_review_flag,
    do_submit_health_update,
)
from ketaclinic.preparation.models import HealthUpdate, PreparationPlan
from ketaclinic.preparation.sweep import sync_one_visit
from ketaclinic.screening.models import EligibilityAssessment
from tests.preparation.conftest import BOOKED_AT

NOTHING_NEW = {"new_illness": "no", "surgery": "no", "new_symptoms": "no", "new_medications": "no",
               "pregnant": "na", "bp_systolic": "", "bp_diastolic": ""}


@pytest.mark.django_db
def test_nothing_new_is_recorded_without_a_flag_and_stops_the_reminder(visit: Any, login: Any, patient: Any) -> None:
    sync_one_visit("w", now=BOOKED_AT)
    client = login(patient.user)
    url = reverse("preparation:health_update", args=[visit.pk])
    assert client.post(url, NOTHING_NEW).status_code == 302
    assert client.post(url, NOTHING_NEW).status_code == 302  # double submit: one row
    update = HealthUpdate.objects.get()
    assert update.flags == []
    assert not PreparationPlan.objects.get(visit=visit).is_flagged
    assert not EligibilityAssessment.objects.exists()
    reminder = OutboundMessage.objects.get(visit=visit, kind="prep.health_update")
    assert reminder.status == MessageStatus.CANCELLED


@pytest.mark.django_db
def test_answers_that_matter_rerun_screening_and_flag_the_visit(visit: Any, login: Any, patient: Any) -> None:
    data = dict(NOTHING_NEW, new_medications="yes", new_medications_details="tramadol\nmelatonin",
                bp_systolic="168", bp_diastolic="96")
    assert login(patient.user).post(reverse("preparation:health_update", args=[visit.pk]), data).status_code == 302
    update = HealthUpdate.objects.get()
    assert update.flags == ["new_medications", "blood_pressure"]
    plan = PreparationPlan.objects.get(visit=visit)
    assert plan.is_flagged and plan.review_reasons == ["new_medications", "blood_pressure"]
    assessment = EligibilityAssessment.objects.get(patient=patient)
    assert assessment.reason == "pre-visit health update"
    assert AuditEvent.objects.filter(action="VISIT_FLAGGED_FOR_REVIEW").exists()


@pytest.mark.django_db
def test_a_yes_needs_details_and_the_form_keeps_the_answers(visit: Any, login: Any, patient: Any) -> None:
    data = dict(NOTHING_NEW, surgery="yes", surgery_details="")
    response = login(patient.user).post(reverse("preparation:health_update", args=[visit.pk]), data)
    body = response.content.decode()
    assert response.status_code == 200 and "Please tell us a little more." in body
    assert 'value="yes" required id="id_surgery_1" checked' in body or "checked" in body
    assert not HealthUpdate.objects.exists()


@pytest.mark.django_db
def test_only_a_prescriber_clears_the_flag_with_a_note(visit: Any, patient: Any, nurse: Any, provider: Any) -> None:
    answers = HealthAnswers(new_illness=True, new_illness_details="a cold last week", surgery=False,
                            new_symptoms=False, new_medications=False, pregnant="no")
    do_submit_health_update(patient.user, visit, answers)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        do_clear_review_flag(nurse, visit, note="fine")
    with pytest.raises(PreparationError):
        do_clear_review_flag(provider, visit, note=" ")
    plan = do_clear_review_flag(provider, visit, note="Cold resolved; proceed.")
    assert not plan.is_flagged and plan.review_cleared_by == provider


@pytest.mark.django_db
def test_clear_review_page_ladder(visit: Any, login: Any, anon: Any, patient: Any, nurse: Any, provider: Any,
                                  front_desk: Any, other_clinic_nurse: Any) -> None:
    url = reverse("preparation:clear_review", args=[visit.pk])
    assert login(provider).get(url).status_code == 200
    assert login(nurse).get(url).status_code == 403
    assert login(front_desk).get(url).status_code == 404
    assert login(other_clinic_nurse).get(url).status_code == 404
    assert login(patient.user).get(url).status_code == 404
    assert anon.get(url).status_code == 302
