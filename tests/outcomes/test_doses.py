"""With the infusions app's records: dose markers and tolerance on the course review, and the
adverse-event count in the reports (built through the infusions actions)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.outcomes.reports import build_report
from ketaclinic.outcomes.review import dose_info

NOON = datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo("America/New_York"))


@pytest.mark.django_db
def test_dose_and_adverse_event_reach_review_and_reports(login: Any, patient: Any, provider: Any, nurse: Any,
                                                         front_desk: Any) -> None:
    from ketaclinic.infusions.actions import do_order_dose, do_record_adverse_event, do_take_patient, parse_request
    from ketaclinic.schedule.actions import do_create_chair
    from tests.infusions.conftest import at, book_visit, complete_checkin

    with time_machine.travel(NOON, tick=False):
        chair = do_create_chair(None, patient.clinic, "Chair 1")
        visit = book_visit(patient, chair, provider, front_desk,
                           datetime.combine(date(2026, 11, 26), time(9, 0), tzinfo=ZoneInfo("America/New_York")))
        do_take_patient(nurse, visit, chair, now=at(9, 2))
        complete_checkin(nurse, visit)
        do_order_dose(provider, visit, parse_request(dose_mg_per_kg="0.5", weight_basis="actual",
                                                     concentration_mg_per_ml="10", bag_volume_ml="100",
                                                     duration_minutes="40"), now=at(9, 12))
        do_record_adverse_event(nurse, visit, event_type="nausea", severity="moderate", action_taken="ondansetron",
                                provider_notified=provider, now=at(9, 40))
        info = dose_info([visit.pk])
        assert info.available and "0.5" in info.by_visit[visit.pk] and "40" in info.by_visit[visit.pk]
        assert info.adverse_by_visit == {visit.pk: 1} and info.not_tolerated and info.last_mg_per_kg == 0.5
        page = login(provider).get(reverse("outcomes:course_review", args=[visit.course_id])).content.decode()
        assert "mg/kg" in page
        report = build_report(patient.clinic, date(2026, 11, 1), date(2026, 11, 30), NOON + timedelta(hours=1))
        assert report.adverse_events == 1
