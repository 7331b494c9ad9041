"""Agreed medication instructions (prescribers) and the home/chart panels."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.notifications.models import MessageStatus, OutboundMessage
from ketaclinic.preparation.models import MedicationInstructionRecord
from ketaclinic.preparation.sweep import sync_one_visit
from tests.preparation.conftest import BOOKED_AT


@pytest.mark.django_db
def test_medications_page_ladder(patient: Any, login: Any, anon: Any, provider: Any, nurse: Any,
                                 front_desk: Any, other_clinic_nurse: Any) -> None:
    url = reverse("preparation:medications", args=[patient.pk])
    assert login(provider).get(url).status_code == 200
    assert login(nurse).get(url).status_code == 200   # reads
    assert login(nurse).post(url, {"medication": "lorazepam", "instruction": "hold_evening_before"}).status_code == 403
    assert login(front_desk).get(url).status_code == 404
    assert login(other_clinic_nurse).get(url).status_code == 404
    assert login(patient.user).get(url).status_code == 404
    assert anon.get(url).status_code == 302


@pytest.mark.django_db
def test_an_agreed_hold_shows_on_the_plan_and_gets_a_reminder_without_its_name(
        visit: Any, patient: Any, login: Any, provider: Any) -> None:
    with time_machine.travel(BOOKED_AT, tick=False):
        sync_one_visit("w")
        client = login(provider)
        data = {"medication": "lorazepam", "instruction": "hold_evening_before", "agreed_by_name": "Dr Lee"}
        assert client.post(reverse("preparation:medications", args=[patient.pk]), data).status_code == 302
        assert client.post(reverse("preparation:medications", args=[patient.pk]), data).status_code == 302
        assert MedicationInstructionRecord.objects.count() == 1  # double submit: one record
        body = login(patient.user).get(reverse("preparation:visit", args=[visit.pk])).content.decode()
    assert "Do not take your evening dose of lorazepam on Monday, March 15. You agreed on this with Dr Lee." in body
    reminder = OutboundMessage.objects.get(kind="prep.medication", status=MessageStatus.PENDING)
    assert "lorazepam" not in reminder.body and "lorazepam" not in reminder.subject


@pytest.mark.django_db
def test_ending_an_instruction_keeps_it_on_record(visit: Any, patient: Any, login: Any, provider: Any) -> None:
    with time_machine.travel(BOOKED_AT, tick=False):
        client = login(provider)
        client.post(reverse("preparation:medications", args=[patient.pk]),
                    {"medication": "lorazepam", "instruction": "hold_evening_before"})
        record = MedicationInstructionRecord.objects.get()
        client.post(reverse("preparation:end_medication", args=[record.pk]), {"note": ""})
        record.refresh_from_db()
        assert record.ended_at is None  # a reason is required
        client.post(reverse("preparation:end_medication", args=[record.pk]), {"note": "Stopped lorazepam"})
    record.refresh_from_db()
    assert record.ended_at is not None and record.ended_by == provider and record.end_reason == "Stopped lorazepam"
    assert OutboundMessage.objects.filter(kind="prep.medication", status=MessageStatus.PENDING).count() == 0


@pytest.mark.django_db
def test_patient_home_shows_get_ready_panel(visit: Any, patient: Any, login: Any) -> None:
    with time_machine.travel(BOOKED_AT, tick=False):
        body = login(patient.user).get("/").content.decode()
    assert "Get ready for your visit on Tuesday, March 16" in body
    assert reverse("preparation:ride", args=[visit.pk]) in body


@pytest.mark.django_db
def test_staff_home_shows_readiness_counts(visit: Any, front_desk: Any, login: Any) -> None:
    body = login(front_desk).get("/").content.decode()
    assert "Visit readiness" in body and reverse("preparation:readiness") in body


@pytest.mark.django_db
def test_chart_panel_links_the_upcoming_plan_for_clinicians(visit: Any, patient: Any, nurse: Any,
                                                            front_desk: Any, login: Any) -> None:
    url = reverse("patients:chart", args=[patient.pk])
    body = login(nurse).get(url).content.decode()
    assert "Preparation for upcoming visits" in body and reverse("preparation:visit", args=[visit.pk]) in body
    assert "Preparation for upcoming visits" not in login(front_desk).get(url).content.decode()


@pytest.mark.django_db
def test_ending_one_hold_keeps_the_reminder_of_another(visit: Any, patient: Any, provider: Any) -> None:
    from ketaclinic.preparation.actions import do_add_medication_instruction, do_end_medication_instruction

    with time_machine.travel(BOOKED_AT, tick=False):
        sync_one_visit("w")
        lorazepam = do_add_medication_instruction(provider, patient, medication="lorazepam",
                                                  instruction="hold_evening_before")
        do_add_medication_instruction(provider, patient, medication="clonazepam", instruction="hold_morning_of")
        assert OutboundMessage.objects.filter(kind="prep.medication", status=MessageStatus.PENDING).count() == 2
        do_end_medication_instruction(provider, lorazepam, reason="stopped")
    pending = OutboundMessage.objects.filter(kind="prep.medication", status=MessageStatus.PENDING)
    assert [m.dedupe_key.split(":")[3] for m in pending] == ["clonazepam"]
