"""The patient's own pages: course and visits, reschedule within the rules, cancel within the
notice policy, availability, calendar link. Tried as owner, other patient, staff and anonymous."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import icalendar
import pytest
import time_machine
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.schedule.actions import do_book_visit
from ketaclinic.schedule.models import Availability, CalendarFeed, Visit, VisitStatus
from tests.schedule.conftest import MONDAY

FRIDAY_BEFORE = MONDAY - timedelta(days=3)


@pytest.fixture(autouse=True)
def _before_monday() -> Any:
    with time_machine.travel(FRIDAY_BEFORE, tick=False) as traveller:
        yield traveller


@pytest.fixture
def visits(front_desk: Any, course: Any, chairs: Any, clinic: Any, at: Any) -> list[Visit]:
    """Mon, Wed, Fri of the first week at 09:00 in Chair 1."""
    return [do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY + timedelta(days=d), "09:00"))
            for d in (0, 2, 4)]


@pytest.mark.django_db
def test_my_visits_ladder(login: Any, anon: Any, visits: Any, patient: Any, other_patient: Any,
                          front_desk: Any) -> None:
    url = reverse("schedule:my_visits")
    body = login(patient.user).get(url).content.decode()
    assert "Monday, January 4 at 9:00 AM" in body and "Change time" in body
    other = login(other_patient.user).get(url).content.decode()
    assert "January 4" not in other
    assert login(front_desk).get(url).status_code == 404   # staff use the day sheet
    assert anon.get(url).status_code == 302


@pytest.mark.django_db
def test_visit_pages_of_another_patient_are_404(login: Any, visits: Any, other_patient: Any, anon: Any) -> None:
    for name in ("schedule:my_reschedule", "schedule:my_cancel"):
        url = reverse(name, args=[visits[0].pk])
        assert login(other_patient.user).get(url).status_code == 404
        assert anon.get(url).status_code == 302


@pytest.mark.django_db
def test_reschedule_offers_only_slots_that_keep_the_course_valid(login: Any, visits: Any, patient: Any,
                                                                 clinic: Any, at: Any) -> None:
    client = login(patient.user)
    url = reverse("schedule:my_reschedule", args=[visits[2].pk])  # Friday
    body = client.get(url).content.decode()
    # Thursday is within 48 h of Wednesday's visit; Friday afternoon and next week are fine.
    assert "Thursday, January 7" not in body
    assert "Friday, January 8" in body and "Monday, January 11" in body
    # Forcing a bad slot is refused with the reason.
    bad = at(clinic, MONDAY + timedelta(days=3), "09:00").isoformat()
    response = client.post(url, {"slot": bad})
    assert response.status_code == 400 and "closer than 48 hours" in response.content.decode()
    good = at(clinic, MONDAY + timedelta(days=4), "13:00").isoformat()
    assert client.post(url, {"slot": good}).status_code == 302
    visits[2].refresh_from_db()
    assert visits[2].starts_at == at(clinic, MONDAY + timedelta(days=4), "13:00")
    assert AuditEvent.objects.get(action="VISIT_MOVED").details["by_patient"] is True


@pytest.mark.django_db
def test_reschedule_respects_the_patients_stated_times(login: Any, visits: Any, patient: Any) -> None:
    client = login(patient.user)
    client.post(reverse("schedule:my_availability"), {"weekdays": ["2"], "from_time": "12:00",
                                                       "until_time": "16:00", "note": "ride after noon"})
    assert Availability.objects.get(patient=patient).weekday_list == [2]
    body = client.get(reverse("schedule:my_reschedule", args=[visits[2].pk])).content.decode()
    slots = body.split("<form")[2]
    assert "Wednesday, January 13" in slots and "Friday" not in slots and "Monday" not in slots
    assert "9:00 AM" not in slots and "12:00 PM" in slots


@pytest.mark.django_db
def test_availability_form_keeps_what_was_typed(login: Any, patient: Any) -> None:
    response = login(patient.user).post(reverse("schedule:my_availability"),
                                        {"weekdays": ["1"], "from_time": "15:00", "until_time": "09:00"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "later than the start time" in body and 'value="15:00"' in body
    assert not Availability.objects.exists()


@pytest.mark.django_db
def test_cancel_outside_notice_frees_the_slot(login: Any, visits: Any, patient: Any) -> None:
    client = login(patient.user)
    response = client.post(reverse("schedule:my_cancel", args=[visits[2].pk]), {"reason": ""})
    assert response.status_code == 302
    visits[2].refresh_from_db()
    assert visits[2].status == VisitStatus.CANCELLED
    assert visits[2].cancelled_reason == "Cancelled by the patient online"


@pytest.mark.django_db
def test_cancel_inside_notice_asks_to_call(login: Any, visits: Any, patient: Any, clinic: Any, at: Any,
                                           _before_monday: Any) -> None:
    _before_monday.move_to(at(clinic, MONDAY, "07:00"))  # 2 hours before visit 1
    client = login(patient.user)
    url = reverse("schedule:my_cancel", args=[visits[0].pk])
    page = client.get(url).content.decode()
    assert "can't be cancelled online" in page and "tel:555-0100" in page and "Cancel my visit" not in page
    response = client.post(url, {"reason": "busy"})
    assert response.status_code == 400 and "less than 24 hours away" in response.content.decode()
    visits[0].refresh_from_db()
    assert visits[0].status == VisitStatus.BOOKED


@pytest.mark.django_db
def test_calendar_link_is_valid_ical_and_can_be_revoked(login: Any, anon: Any, visits: Any, patient: Any) -> None:
    client = login(patient.user)
    client.post(reverse("schedule:my_feed"), {"action": "create"})
    body = client.get(reverse("schedule:my_visits")).content.decode()
    url = body.split('class="feed-link">')[1].split("<")[0]
    path = url.replace("http://testserver", "")
    assert CalendarFeed.objects.get().token_hash not in url  # only the digest is stored
    response = anon.get(path)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.content)
    events = [c for c in cal.walk("VEVENT")]
    assert [str(e["summary"]) for e in events] == ["Infusion visit 1 of 6", "Infusion visit 2 of 6",
                                                   "Infusion visit 3 of 6"]
    assert events[0].decoded("dtstart") == visits[0].starts_at
    assert "Reyes" not in response.content.decode()
    client.post(reverse("schedule:my_feed"), {"action": "revoke"})
    assert anon.get(path).status_code == 404
    assert anon.get("/schedule/feed/not-a-token.ics").status_code == 404


@pytest.mark.django_db
def test_my_visits_query_count_does_not_grow(login: Any, front_desk: Any, course: Any, chairs: Any, clinic: Any,
                                             at: Any, patient: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(patient.user)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("schedule:my_visits")).status_code == 200
        return len(ctx.captured_queries)

    do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY, "09:00"))
    one = count()
    for d in range(1, 20):  # the action checks overlaps only, so one a day is fine here
        do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY + timedelta(days=d), "09:00"))
    assert count() == one
