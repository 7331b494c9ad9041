"""Files other programs read: iCalendar feeds parse with the icalendar library, CSV exports are
RFC 4180 (CRLF line ends, a header row, the same number of fields on every row)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from tests.interop.conftest import book_visit

pytestmark = pytest.mark.django_db


def parse_ics(body: bytes) -> Calendar:
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.rstrip().endswith(b"END:VCALENDAR")
    assert b"\n" not in body.replace(b"\r\n", b"")  # every line ends CRLF (RFC 5545 3.1)
    calendar = Calendar.from_ical(body)
    assert calendar.get("VERSION") == "2.0" and calendar.get("PRODID")
    for event in calendar.walk("VEVENT"):
        for prop in ("UID", "DTSTAMP", "DTSTART"):
            assert event.get(prop) is not None, prop
        assert event.decoded("DTSTART").tzinfo is not None
    return calendar


def test_the_patient_calendar_feed_is_valid_icalendar(anon, clinic, patient, monitored_chair, provider,
                                                      front_desk):
    from ketaclinic.schedule.feeds import do_create_feed

    book_visit(patient, monitored_chair, provider, front_desk, status="booked",
               starts_at=timezone.now() + timedelta(days=2))
    _, token = do_create_feed(patient.user, clinic, "patient", patient=patient)
    response = anon.get(reverse("schedule:feed", args=[token]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = parse_ics(response.content)
    assert len(list(calendar.walk("VEVENT"))) == 1


def test_the_visit_preparation_calendar_is_valid_icalendar(login, patient, monitored_chair, provider, front_desk):
    visit = book_visit(patient, monitored_chair, provider, front_desk, status="booked",
                       starts_at=timezone.now() + timedelta(days=2))
    response = login(patient.user).get(reverse("preparation:visit_ics", args=[visit.pk]))
    assert response.status_code == 200
    calendar = parse_ics(response.content)
    assert len(list(calendar.walk("VEVENT"))) >= 1


@pytest.mark.parametrize("name", ["outcomes:reports_csv", "outcomes:research_csv"])
def test_csv_exports_are_rfc4180(login, medical_director, name):
    response = login(medical_director).get(reverse(name))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8-sig")
    assert body.endswith("\r\n") and "\n" not in body.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert rows and all(cell.strip() for cell in rows[0])  # a header row, every column named
    assert {len(r) for r in rows} == {len(rows[0])}
