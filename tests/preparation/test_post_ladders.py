"""POST-only staff endpoints, tried as every persona."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.notifications.actions import queue_message
from ketaclinic.notifications.models import MessageStatus, OutboundMessage
from ketaclinic.preparation.actions import do_add_medication_instruction
from ketaclinic.preparation.models import MedicationInstructionRecord, PreparationTask
from ketaclinic.preparation.sweep import open_one_ride_task, sync_one_visit
from tests.preparation.conftest import BOOKED_AT, VISIT_START


@pytest.mark.django_db
def test_post_endpoints_ladder(visit: Any, patient: Any, other_patient: Any, front_desk: Any, nurse: Any,
                               provider: Any, admin_user: Any, other_clinic_nurse: Any, login: Any,
                               anon: Any) -> None:
    sync_one_visit("w", now=BOOKED_AT)
    open_one_ride_task("w", now=VISIT_START - timedelta(hours=17))
    task = PreparationTask.objects.get()
    record = do_add_medication_instruction(provider, patient, medication="lorazepam",
                                           instruction="hold_evening_before")
    message = queue_message(patient=patient, kind="t", due_at=datetime(2027, 3, 10, 15, tzinfo=UTC), subject="s",
                            body="b", dedupe_key="ladder")
    OutboundMessage.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED)
    urls = {
        "close_task": (reverse("preparation:close_task", args=[task.pk]), {"note": "called"}),
        "end_medication": (reverse("preparation:end_medication", args=[record.pk]), {"note": "stopped"}),
        "retry": (reverse("notifications:retry", args=[message.pk]), {}),
        "dismiss": (reverse("notifications:dismiss", args=[message.pk]), {"reason": "called"}),
    }
    for name, (url, data) in urls.items():
        assert anon.post(url, data).status_code == 302, name                     # anonymous → sign in
        assert login(patient.user).post(url, data).status_code == 404, name      # the patient: staff only
        assert login(other_patient.user).post(url, data).status_code == 404, name
        assert login(admin_user).post(url, data).status_code == 404, name        # staff without patients
        assert login(other_clinic_nurse).post(url, data).status_code == 404, name
    assert login(front_desk).post(*urls["end_medication"]).status_code == 404    # no clinical access
    assert login(nurse).post(*urls["end_medication"]).status_code == 403         # reads, may not change
    assert MedicationInstructionRecord.objects.get().ended_at is None
    assert login(provider).post(*urls["end_medication"]).status_code == 302
    assert login(front_desk).post(*urls["close_task"]).status_code == 302
    assert login(front_desk).post(*urls["dismiss"]).status_code == 302
    assert MedicationInstructionRecord.objects.get().ended_at is not None
    assert PreparationTask.objects.get().done_at is not None
    assert OutboundMessage.objects.get(pk=message.pk).status == MessageStatus.CANCELLED
