"""visit_preparation_summary (for the infusion stage), day-of attestations and ride tasks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.preparation.access import EMPTY_SUMMARY, visit_preparation_summary
from ketaclinic.preparation.actions import HealthAnswers, do_record_attestation, do_record_ride, do_submit_health_update
from ketaclinic.preparation.models import DayOfAttestation, PreparationTask
from ketaclinic.preparation.sweep import open_one_ride_task, sync_one_visit
from tests.preparation.conftest import BOOKED_AT, VISIT_START

MORNING = datetime(2027, 3, 16, 11, 0, tzinfo=UTC)  # 07:00 EDT on the visit day


@pytest.mark.django_db
def test_the_summary_is_empty_before_anything_and_full_after(visit: Any, patient: Any) -> None:
    assert visit_preparation_summary(visit) == EMPTY_SUMMARY
    do_record_ride(patient.user, visit, kind="adult", escort_name="Sam Reyes", escort_phone="207-555-0188",
                   relationship="brother", confirm=True, now=BOOKED_AT)
    do_submit_health_update(patient.user, visit, HealthAnswers(
        new_illness=False, surgery=False, new_symptoms=False, new_medications=True,
        new_medications_details="sertraline", pregnant="no"), now=BOOKED_AT)
    do_record_attestation(patient.user, visit, last_solid_food_at=MORNING - timedelta(hours=8),
                          last_clear_liquids_at=MORNING - timedelta(hours=1), no_alcohol_or_drugs=True,
                          medications_taken="sertraline 7:00", now=MORNING)
    summary = visit_preparation_summary(visit)
    assert (summary.ride_name, summary.ride_phone, summary.ride_relationship) == ("Sam Reyes", "207-555-0188",
                                                                                 "brother")
    assert summary.ride_is_car_service is False and summary.ride_confirmed_at == BOOKED_AT
    assert summary.last_solid_food_at == MORNING - timedelta(hours=8)
    assert summary.no_alcohol_or_drugs is True and summary.medications_taken == "sertraline 7:00"
    assert summary.health_update_submitted_at == BOOKED_AT and summary.health_update_flags == ("new_medications",)


@pytest.mark.django_db
def test_attestation_refuses_a_future_time_and_keeps_the_form(visit: Any, login: Any, patient: Any) -> None:
    with time_machine.travel(MORNING, tick=False):
        response = login(patient.user).post(reverse("preparation:attest", args=[visit.pk]), {
            "last_solid_food_at": "2027-03-16T09:30", "last_clear_liquids_at": "2027-03-16T06:00",
            "no_alcohol_or_drugs": "yes", "medications_taken": "none"})
    body = response.content.decode()
    assert response.status_code == 200 and "This time is in the future" in body
    assert 'value="2027-03-16T06:00"' in body
    assert not DayOfAttestation.objects.exists()


@pytest.mark.django_db
def test_front_desk_confirming_by_phone_closes_the_ride_task(visit: Any, front_desk: Any, login: Any) -> None:
    sync_one_visit("w", now=BOOKED_AT)
    open_one_ride_task("w", now=VISIT_START - timedelta(hours=17))
    task = PreparationTask.objects.get()
    with time_machine.travel(VISIT_START - timedelta(hours=16), tick=False):
        response = login(front_desk).post(reverse("preparation:ride", args=[visit.pk]), {
            "kind": "adult", "escort_name": "Sam Reyes", "escort_phone": "207-555-0188", "confirm": "on"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.done_at is not None and task.done_by == front_desk


@pytest.mark.django_db
def test_close_task_needs_a_note_and_the_right_clinic(visit: Any, front_desk: Any, other_clinic_nurse: Any,
                                                      login: Any) -> None:
    sync_one_visit("w", now=BOOKED_AT)
    open_one_ride_task("w", now=VISIT_START - timedelta(hours=17))
    task = PreparationTask.objects.get()
    url = reverse("preparation:close_task", args=[task.pk])
    assert login(other_clinic_nurse).post(url, {"note": "x"}).status_code == 404
    login(front_desk).post(url, {"note": ""})
    task.refresh_from_db()
    assert task.done_at is None
    login(front_desk).post(url, {"note": "Called; her son drives her."})
    task.refresh_from_db()
    assert task.done_at is not None and task.note == "Called; her son drives her."
