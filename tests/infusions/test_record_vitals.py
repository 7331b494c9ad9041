"""do_record_vitals: the alert rules run on every reading, from staff or the bedside monitor."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from ketaclinic.audit.models import AuditEvent
from ketaclinic.infusions.actions import InfusionError, do_acknowledge_alert, do_amend_vitals, do_record_vitals
from ketaclinic.infusions.actions.vitals import do_confirm_vitals
from ketaclinic.infusions.models import VitalAlert, VitalSign
from tests.infusions.conftest import at

pytestmark = pytest.mark.django_db


def test_it_records_normal_baseline_vitals_without_alerts(nurse: Any, visit: Any) -> None:
    vital = do_record_vitals(nurse, visit, systolic=122, diastolic=78, heart_rate=72, spo2=98, respiratory_rate=14,
                             now=at(9, 10))
    assert vital.phase == "baseline"
    assert vital.source == "manual" and vital.entered_by == nurse and vital.confirmed_by == nurse
    assert not VitalAlert.objects.exists()
    assert AuditEvent.objects.filter(action="VITALS_RECORDED", object_id=str(vital.pk)).exists()


def test_it_raises_a_blood_pressure_band_alert_at_baseline(nurse: Any, visit: Any) -> None:
    do_record_vitals(nurse, visit, systolic=165, diastolic=95, now=at(9, 10))
    alert = VitalAlert.objects.get()
    assert alert.code == "bp_preinfusion_hold" and alert.severity == "warning" and alert.status == "open"
    assert "rest" in alert.suggested_action.lower()


def test_a_repeat_bp_still_high_is_critical(nurse: Any, visit: Any) -> None:
    do_record_vitals(nurse, visit, systolic=165, diastolic=95, repeat=True, now=at(9, 20))
    assert VitalAlert.objects.get().severity == "critical"


def test_the_monitor_feed_records_as_the_device_and_waits_for_confirmation(nurse: Any, visit: Any) -> None:
    vital = do_record_vitals(None, visit, spo2=89, heart_rate=80, source="monitor", device_id="MON-01",
                             now=at(9, 15))
    assert vital.entered_by is None and vital.device_id == "MON-01" and vital.confirmed_at is None
    assert VitalAlert.objects.get().code == "spo2_stop"
    event = AuditEvent.objects.get(action="VITALS_RECORDED")
    assert event.actor is None and event.details["device"] == "MON-01"
    do_confirm_vitals(nurse, vital, now=at(9, 16))
    vital.refresh_from_db()
    assert vital.confirmed_by == nurse


def test_without_a_user_only_a_monitor_with_a_device_may_record(visit: Any) -> None:
    with pytest.raises(InfusionError):
        do_record_vitals(None, visit, spo2=97)
    with pytest.raises(InfusionError):
        do_record_vitals(None, visit, spo2=97, source="monitor")


def test_front_desk_and_other_clinic_cannot_chart(front_desk: Any, other_clinic_nurse: Any, visit: Any) -> None:
    for user in (front_desk, other_clinic_nurse):
        with pytest.raises(PermissionDenied):
            do_record_vitals(user, visit, spo2=97)
    assert not VitalSign.objects.exists()


def test_implausible_values_name_the_field(nurse: Any, visit: Any) -> None:
    with pytest.raises(InfusionError) as exc:
        do_record_vitals(nurse, visit, systolic=80, diastolic=120)
    assert exc.value.field == "systolic"
    with pytest.raises(InfusionError) as exc:
        do_record_vitals(nurse, visit, spo2=140)
    assert exc.value.field == "spo2"
    with pytest.raises(InfusionError):
        do_record_vitals(nurse, visit)
    with pytest.raises(InfusionError) as exc:
        do_record_vitals(nurse, visit, temperature_c="52")
    assert exc.value.field == "temperature_c"


def test_a_double_submit_makes_one_reading(nurse: Any, visit: Any) -> None:
    first = do_record_vitals(nurse, visit, systolic=120, diastolic=80, now=at(9, 10))
    second = do_record_vitals(nurse, visit, systolic=120, diastolic=80, now=at(9, 10, ))
    assert first.pk == second.pk and VitalSign.objects.count() == 1


def test_an_amendment_keeps_the_original(nurse: Any, visit: Any) -> None:
    original = do_record_vitals(nurse, visit, systolic=210, diastolic=80, now=at(9, 10))
    with pytest.raises(InfusionError):
        do_amend_vitals(nurse, original, reason="  ", systolic=120)
    amended = do_amend_vitals(nurse, original, reason="typo: 120 not 210", systolic=120, now=at(9, 12))
    assert amended.amends == original and amended.systolic == 120
    assert list(VitalSign.objects.current()) == [amended]
    original.refresh_from_db()
    assert original.systolic == 210
    with pytest.raises(InfusionError):
        do_amend_vitals(nurse, original, reason="again", systolic=118)


def test_an_alert_must_be_acknowledged_with_what_was_done(nurse: Any, visit: Any) -> None:
    do_record_vitals(nurse, visit, heart_rate=130, now=at(9, 10))
    alert = VitalAlert.objects.get()
    with pytest.raises(InfusionError):
        do_acknowledge_alert(nurse, alert, action_taken="")
    do_acknowledge_alert(nurse, alert, action_taken="Rechecked; notified Dr P", now=at(9, 11))
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by == nurse
    do_acknowledge_alert(nurse, alert, action_taken="twice")
    alert.refresh_from_db()
    assert alert.action_taken == "Rechecked; notified Dr P"
    assert AuditEvent.objects.filter(action="ALERT_ACKNOWLEDGED").count() == 1
