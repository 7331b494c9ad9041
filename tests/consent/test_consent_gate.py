"""The consent item of the infusion-day readiness gate, through the action that starts the pump.

`do_record_pump_event(kind="start")` is the one write every route (page, API) goes through to start
an infusion; it refuses while any gate item fails. Here everything else is ready, so consent is
the only thing that can hold it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ketaclinic.consent.actions import do_withdraw_consent

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
DAY = date(2026, 11, 26)


def at(hh: int, mm: int = 0) -> datetime:
    return datetime.combine(DAY, time(hh, mm), tzinfo=NY)


@pytest.fixture
def ready(patient, nurse, provider, front_desk):
    """An arrived visit with the check-in, baseline vitals and a signed order: all but consent."""
    from ketaclinic.courses.actions import do_create_course
    from ketaclinic.infusions.actions import (
        do_order_dose,
        do_record_checkin,
        do_record_vitals,
        do_take_patient,
        parse_request,
    )
    from ketaclinic.schedule.actions import do_book_visit, do_create_chair, do_set_visit_status

    with time_machine.travel(at(12), tick=False):
        chair = do_create_chair(None, patient.clinic, "Chair 1")
        course = do_create_course(provider, patient, indication_code="F33.2", earliest_on=DAY - timedelta(days=30))
        visit = do_book_visit(front_desk, course, chair, at(9), now=at(9) - timedelta(days=7))
        do_set_visit_status(front_desk, visit, "arrived", now=at(9))
        do_take_patient(nurse, visit, chair, now=at(9, 2))
        do_record_checkin(nurse, visit, now=at(9, 5), health_update_reviewed=True, weight_kg="80", height_cm="170",
                          last_solid_food_at=at(0) - timedelta(hours=4), last_clear_liquids_at=at(6, 30),
                          no_alcohol_or_drugs=True, medications_taken="none", medications_confirmed=True,
                          ride_name="Sam", ride_phone="555-0111", ride_confirmed=True, pregnancy="negative")
        do_record_vitals(nurse, visit, systolic=124, diastolic=78, heart_rate=70, spo2=98, respiratory_rate=14,
                         now=at(9, 8))
        do_order_dose(provider, visit, parse_request(dose_mg_per_kg="0.5", weight_basis="actual",
                                                     concentration_mg_per_ml="10", bag_volume_ml="100",
                                                     duration_minutes="40"), now=at(9, 12))
    return visit


def _unmet(visit, now):
    from ketaclinic.infusions.readiness import readiness

    with time_machine.travel(now, tick=False):  # the gate asks has_valid_consent about "now"
        return [item.code for item in readiness(visit, now=now) if not item.passed]


def _start(nurse, visit, now):
    from ketaclinic.infusions.actions import do_record_pump_event

    with time_machine.travel(now, tick=False):
        return do_record_pump_event(nurse, visit, "start", now=now)


def test_an_unsigned_patient_cannot_start_and_signing_opens_the_gate(ready, patient, nurse, sign):
    from ketaclinic.infusions.actions import GateNotMet

    assert _unmet(ready, at(9, 15)) == ["consent"]  # even with the old manual box ticked
    with pytest.raises(GateNotMet):
        _start(nurse, ready, at(9, 15))
    sign(patient, now=at(9, 16))
    assert _unmet(ready, at(9, 17)) == []
    assert _start(nurse, ready, at(9, 17)).kind == "start"


def test_a_new_version_requiring_reconsent_holds_the_next_visit(ready, patient, nurse, medical_director, sign,
                                                                 publish):
    from ketaclinic.infusions.actions import GateNotMet

    sign(patient, now=at(9) - timedelta(days=20))
    publish(medical_director, patient.clinic, requires_reconsent=True, now=at(9) - timedelta(days=1))
    assert _unmet(ready, at(9, 15)) == ["consent"]
    with pytest.raises(GateNotMet):
        _start(nurse, ready, at(9, 15))


def test_a_new_version_without_reconsent_does_not_hold_the_visit(ready, patient, medical_director, sign, publish):
    sign(patient, now=at(9) - timedelta(days=20))
    publish(medical_director, patient.clinic, requires_reconsent=False, now=at(9) - timedelta(days=1))
    assert _unmet(ready, at(9, 15)) == []


def test_a_withdrawn_consent_holds_the_visit(ready, patient, nurse, sign):
    from ketaclinic.infusions.actions import GateNotMet

    sign(patient, now=at(9) - timedelta(days=20))
    do_withdraw_consent(nurse, patient, reason="Wants to stop.", now=at(9, 10))
    with pytest.raises(GateNotMet):
        _start(nurse, ready, at(9, 15))
