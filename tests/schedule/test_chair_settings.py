"""Chair settings after creation: name, monitor id, in use (do_update_chair and its page)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.schedule.actions import ChairSettingsInvalid, do_create_chair, do_update_chair
from ketaclinic.schedule.models import Chair


@pytest.mark.django_db
def test_it_renames_sets_monitor_and_takes_out_of_use_with_audit(chairs: Any, front_desk: Any) -> None:
    chair = do_update_chair(front_desk, chairs[0], name="Window chair", monitor_device_id="MON-7", active=False)
    chair.refresh_from_db()
    assert (chair.name, chair.monitor_device_id, chair.active) == ("Window chair", "MON-7", False)
    event = AuditEvent.objects.filter(action="CHAIR_UPDATED").get()
    assert event.details["from"]["name"] == "Chair 1"
    assert event.details["to"] == {"name": "Window chair", "monitor_device_id": "MON-7", "active": False}


@pytest.mark.django_db
def test_the_same_change_twice_writes_one_audit_row(chairs: Any, front_desk: Any) -> None:
    for _ in range(2):
        do_update_chair(front_desk, chairs[0], name="Chair 1", monitor_device_id="MON-1", active=True)
    assert AuditEvent.objects.filter(action="CHAIR_UPDATED").count() == 1


@pytest.mark.django_db
def test_monitor_ids_are_unique_among_chairs_in_use(chairs: Any, front_desk: Any, clinic: Any) -> None:
    do_update_chair(front_desk, chairs[0], name="Chair 1", monitor_device_id="MON-1", active=True)
    with pytest.raises(ChairSettingsInvalid) as caught:
        do_update_chair(front_desk, chairs[1], name="Chair 2", monitor_device_id="MON-1", active=True)
    assert caught.value.field == "monitor_device_id" and "Chair 1" in str(caught.value)
    with pytest.raises(ChairSettingsInvalid):
        do_create_chair(front_desk, clinic, "Chair 3", monitor_device_id="MON-1")
    # a chair out of use may keep the old id (the monitor moved to another chair)
    do_update_chair(front_desk, chairs[0], name="Chair 1", monitor_device_id="MON-1", active=False)
    do_update_chair(front_desk, chairs[1], name="Chair 2", monitor_device_id="MON-1", active=True)
    with pytest.raises(ChairSettingsInvalid):
        do_update_chair(front_desk, chairs[0], name="Chair 1", monitor_device_id="MON-1", active=True)


@pytest.mark.django_db
def test_names_stay_unique_and_other_clinics_may_reuse_monitor_ids(chairs: Any, front_desk: Any,
                                                                   other_clinic: Any) -> None:
    with pytest.raises(ChairSettingsInvalid) as caught:
        do_update_chair(front_desk, chairs[0], name="Chair 2", monitor_device_id="", active=True)
    assert caught.value.field == "name"
    do_update_chair(front_desk, chairs[0], name="Chair 1", monitor_device_id="MON-1", active=True)
    do_create_chair(None, other_clinic, "Chair 1", monitor_device_id="MON-1")  # another clinic: fine


@pytest.mark.django_db
def test_nurses_may_not_change_chairs(chairs: Any, nurse: Any) -> None:
    with pytest.raises(PermissionDenied):
        do_update_chair(nurse, chairs[0], name="X", monitor_device_id="", active=True)


@pytest.mark.django_db
def test_chair_page_ladder(login: Any, anon: Any, chairs: Any, front_desk: Any, nurse: Any, admin_user: Any,
                           other_clinic_nurse: Any, patient: Any, other_patient: Any) -> None:
    url = reverse("schedule:chair_edit", args=[chairs[0].pk])
    data = {"name": "Chair A", "monitor_device_id": "MON-9", "active": "on"}
    before = AuditEvent.objects.count()
    assert login(nurse).get(url).status_code == 403             # sees the schedule, may not change set-up
    assert login(admin_user).get(url).status_code == 404        # no patient access
    assert login(other_clinic_nurse).get(url).status_code == 404
    assert login(patient.user).get(url).status_code == 404
    assert login(other_patient.user).get(url).status_code == 404
    assert anon.get(url).status_code == 302
    for client in (login(nurse), login(admin_user), login(other_clinic_nurse), login(patient.user)):
        assert client.post(url, data).status_code in (403, 404)
    assert AuditEvent.objects.count() == before
    owner = login(front_desk)
    assert owner.get(url).status_code == 200
    assert owner.post(url, data).status_code == 302
    chairs[0].refresh_from_db()
    assert (chairs[0].name, chairs[0].monitor_device_id, chairs[0].active) == ("Chair A", "MON-9", True)


@pytest.mark.django_db
def test_a_clash_keeps_what_was_typed_and_says_why(login: Any, chairs: Any, front_desk: Any) -> None:
    Chair.objects.filter(pk=chairs[1].pk).update(monitor_device_id="MON-2")
    response = login(front_desk).post(reverse("schedule:chair_edit", args=[chairs[0].pk]),
                                      {"name": "Renamed", "monitor_device_id": "MON-2", "active": "on"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "already set on Chair 2" in body and 'value="Renamed"' in body
    chairs[0].refresh_from_db()
    assert chairs[0].name == "Chair 1"
