"""Reports: numbers from the pure rules, period filter, CSV (RFC 4180) and de-identified export,
bounded queries."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic.outcomes.reports import build_report
from ketaclinic.schedule.actions import do_set_visit_status
from tests.factories import make_patient
from tests.outcomes.conftest import phq9

LATER = datetime.fromisoformat("2027-03-01T15:00:00+00:00")


def scored(patient: Any, make_course: Any, submit: Any, finals: list[int], start: date,
           after: tuple[int, ...] = (), hhmm: str = "08:00") -> Any:
    course, visits = make_course(patient, start=start, hhmm=hhmm)
    submit(patient.user, patient, "phq9", phq9(20), visits[0].starts_at - timedelta(days=1))
    for visit, total in zip(visits, finals, strict=True):
        submit(patient.user, patient, "phq9", phq9(total), visit.ends_at + timedelta(hours=20))
    for week, total in enumerate(after, start=1):
        submit(patient.user, patient, "phq9", phq9(total), visits[-1].ends_at + timedelta(days=7 * week))
    return course, visits


@pytest.fixture
def cohort(clinic: Any, patient: Any, make_course: Any, submit: Any, nurse: Any) -> list[Any]:
    """Three finished MDD courses in January 2027: a remitter, a responder who relapses, a non-responder;
    plus a no-show and a cancellation."""
    start = date(2027, 1, 4)
    remit = scored(patient, make_course, submit, [16, 12, 9, 6, 4, 3], start)
    relapser = make_patient(clinic, first_name="Ray", last_name="Lapse")
    relapse = scored(relapser, make_course, submit, [16, 12, 10, 9, 8, 8], start, after=(16, 17, 18), hhmm="10:00")
    other = make_patient(clinic, first_name="Nolan", last_name="None")
    none = scored(other, make_course, submit, [19, 19, 18, 18, 17, 18], start, hhmm="12:00")
    extra = make_patient(clinic)
    _, visits = make_course(extra, start=date(2027, 1, 19), done=0)
    do_set_visit_status(nurse, visits[0], "no_show")
    do_set_visit_status(nurse, visits[1], "cancelled", reason="patient ill")
    return [remit, relapse, none]


@pytest.mark.django_db
def test_report_counts_response_remission_and_relapse(clinic: Any, cohort: list[Any]) -> None:
    report = build_report(clinic, date(2027, 1, 1), date(2027, 1, 31), LATER)
    [row] = report.by_indication
    assert (row.label, row.courses, row.assessed, row.responders, row.remitters) == (
        "Major depressive disorder", 3, 3, 2, 1)
    assert report.relapses == 1 and report.responders_followed == 2
    # The remitter is censored at her last score (day 7 after response); the relapser relapses later.
    assert report.survival == [(20, 0.0)] and report.median_days_to_relapse == 20
    assert report.no_shows == 1 and report.cancelled == 1 and report.no_show_pct is not None
    assert report.completed == 18 and report.chair_minutes_used == 18 * 105
    assert report.avg_chair_minutes == 105.0
    assert report.adverse_events == 0  # infusions app present, no adverse events recorded
    empty = build_report(clinic, date(2026, 11, 1), date(2026, 11, 30), LATER)
    assert empty.by_indication == [] and empty.visits_booked == 0


@pytest.mark.django_db
def test_csv_export_is_rfc4180_with_a_header(login: Any, medical_director: Any, cohort: list[Any]) -> None:
    response = login(medical_director).get(reverse("outcomes:reports_csv"), {"start": "2027-01-01",
                                                                           "end": "2027-01-31"})
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/csv") and "\r\n" in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["period", "metric", "group", "numerator", "denominator", "percent"]
    assert ["2027-01-01..2027-01-31", "response after induction", "Major depressive disorder", "2", "3",
            "66.7"] in rows


@pytest.mark.django_db
def test_research_export_is_de_identified(login: Any, medical_director: Any, patient: Any,
                                          cohort: list[Any]) -> None:
    text = login(medical_director).get(reverse("outcomes:research_csv"), {"start": "2027-01-01",
                                                                        "end": "2027-01-31"}).content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 4 and rows[0][0] == "research_id"
    for forbidden in ("Maya", "Reyes", "Lapse", "@example.org", "2027-", "1985"):
        assert forbidden not in text
    assert {r[9] for r in rows[1:]} == {"remission", "response", "none"}


@pytest.mark.django_db
def test_reports_page_filters_by_period_and_rejects_a_bad_one(login: Any, medical_director: Any,
                                                              cohort: list[Any]) -> None:
    client = login(medical_director)
    page = client.get(reverse("outcomes:reports"), {"start": "2027-01-01", "end": "2027-01-31"}).content.decode()
    assert "Major depressive disorder" in page and "<svg" in page
    bad = client.get(reverse("outcomes:reports"), {"start": "2027-02-01", "end": "2027-01-01"}).content.decode()
    assert "The start date is after the end date." in bad and "Download CSV" not in bad


@pytest.mark.django_db
def test_report_query_count_does_not_grow_with_courses(clinic: Any, cohort: list[Any], make_course: Any,
                                                       submit: Any) -> None:
    with CaptureQueriesContext(connection) as small:
        build_report(clinic, date(2027, 1, 1), date(2027, 1, 31), LATER)
    for hhmm in ("14:00", "16:00", "18:00"):
        scored(make_patient(clinic), make_course, submit, [15, 12, 10, 8, 6, 5], date(2027, 1, 4), hhmm=hhmm)
    with CaptureQueriesContext(connection) as big:
        report = build_report(clinic, date(2027, 1, 1), date(2027, 1, 31), LATER)
    assert report.by_indication[0].courses == 6
    assert len(big) == len(small)
