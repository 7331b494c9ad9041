"""A patient with a full record, built through each stage's own actions (for the FHIR tests and bench)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

NY = ZoneInfo("America/New_York")
# Thursday 2026-11-26 in New York; the infusion visit starts at 09:00.
NOON = datetime(2026, 11, 26, 12, 0, tzinfo=NY)


def at(hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11, 26, hh, mm, tzinfo=NY)


def referred_patient(clinic: Any, front_desk: Any, nurse: Any) -> Any:
    """A clinician referral with an indication, a medicine and an allergy (screening actions)."""
    from django.http import QueryDict

    from ketaclinic.screening.actions import do_add_medication, do_refer_patient, do_save_intake_section
    from ketaclinic.screening.intake import SECTION_BY_KEY, clean_section

    referral = do_refer_patient(front_desk, clinic, first_name="Lena", last_name="Ortiz",
                                date_of_birth=date(1984, 6, 2), sex_at_birth="female", email="lena@example.org",
                                phone="555-0142", referring_clinician="Dr. Kim", indication_code="F33.2",
                                invite=False, now=at(8, 0) - timedelta(days=40))
    patient = referral.patient
    do_add_medication(nurse, patient, name="Sertraline", dose="50 mg daily", now=at(8, 0) - timedelta(days=39))
    post = QueryDict(mutable=True)
    post.update({"details": "Penicillin: hives"})
    data, _ = clean_section(SECTION_BY_KEY["allergies"], post)
    do_save_intake_section(nurse, patient, "allergies", data, now=at(8, 0) - timedelta(days=39))
    return patient


def infused_visit(patient: Any, chair: Any, provider: Any, front_desk: Any, nurse: Any) -> Any:
    """Today's 09:00 visit: checked in, dose ordered, pump started and stopped, vitals charted.
    Call inside time_machine at NOON."""
    from ketaclinic.infusions.actions import (
        do_order_dose,
        do_record_pump_event,
        do_record_vitals,
        do_take_patient,
        parse_request,
    )
    from tests.infusions.conftest import book_visit, complete_checkin

    visit = book_visit(patient, chair, provider, front_desk,
                       datetime.combine(date(2026, 11, 26), time(9, 0), tzinfo=NY))
    do_take_patient(nurse, visit, visit.chair, now=at(9, 2))
    complete_checkin(nurse, visit)
    do_order_dose(provider, visit, parse_request(dose_mg_per_kg="0.5", weight_basis="actual",
                                                 concentration_mg_per_ml="10", bag_volume_ml="100",
                                                 duration_minutes="40"), now=at(9, 12))
    do_record_pump_event(nurse, visit, "start", now=at(9, 15))
    do_record_vitals(None, visit, systolic=138, diastolic=84, heart_rate=78, spo2=97, respiratory_rate=14,
                     source="monitor", device_id=chair.monitor_device_id, now=at(9, 30))
    from ketaclinic.infusions.actions.care import do_record_observation

    do_record_observation(nurse, visit, "cadss6", value=4, now=at(9, 40))
    do_record_pump_event(nurse, visit, "stop", volume_infused_ml="104", now=at(9, 55))
    return visit


def scored_questionnaires(patient: Any) -> None:
    from ketaclinic.outcomes.actions import do_submit_questionnaire

    do_submit_questionnaire(patient.user, patient, "phq9", [2, 2, 1, 2, 1, 1, 1, 1, 0], submission_key="phq-1",
                            now=at(8, 30))
    do_submit_questionnaire(patient.user, patient, "gad7", [1, 1, 2, 1, 0, 1, 1], submission_key="gad-1",
                            now=at(8, 31))
