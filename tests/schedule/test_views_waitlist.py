"""Waitlist, proposals (propose, review, adjust, accept), set-up pages, staff calendar links, home panels."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import icalendar
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic.courses.actions import do_create_course
from ketaclinic.schedule.actions import do_book_visit
from ketaclinic.schedule.models import (
    CalendarFeed,
    Chair,
    ClosedDay,
    NurseShift,
    OpeningHours,
    Proposal,
    Visit,
)
from tests.factories import make_patient
from tests.schedule.conftest import MONDAY

FRIDAY_BEFORE = MONDAY - timedelta(days=3)


@pytest.fixture(autouse=True)
def _before_monday() -> Any:
    with time_machine.travel(FRIDAY_BEFORE, tick=False) as traveller:
        yield traveller


@pytest.mark.django_db
def test_propose_then_accept_a_course(login: Any, chairs: Any, course: Any, other_course: Any,
                                      front_desk: Any) -> None:
    client = login(front_desk)
    assert "Reyes" in client.get(reverse("schedule:waitlist")).content.decode()
    response = client.post(reverse("schedule:propose"), {"method": "greedy"})
    proposal = Proposal.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("schedule:proposal", args=[proposal.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Book this course" in page and "Reyes" in page
    assert "It placed 2 of the 2 waiting courses" in " ".join(page.split())
    plan = [a for a in proposal.plan["assignments"] if a["course"] == f"K{course.pk}"]
    data: dict[str, Any] = {"course": course.pk}
    for i, a in enumerate(plan):
        data[f"day_{i}"], data[f"start_{i}"] = a["start"].split("T")
        data[f"chair_{i}"] = a["chair"][1:]
    assert client.post(reverse("schedule:proposal", args=[proposal.pk]), data).status_code == 302
    assert Visit.objects.filter(course=course).count() == 6
    # Booking the same course again (double submit) books nothing more.
    response = client.post(reverse("schedule:proposal", args=[proposal.pk]), data)
    assert Visit.objects.filter(course=course).count() == 6


@pytest.mark.django_db
def test_adjusting_a_proposal_rechecks_the_rules(login: Any, chairs: Any, course: Any, front_desk: Any) -> None:
    client = login(front_desk)
    client.post(reverse("schedule:propose"), {"method": "greedy"})
    proposal = Proposal.objects.get()
    plan = [a for a in proposal.plan["assignments"] if a["course"] == f"K{course.pk}"]
    data: dict[str, Any] = {"course": course.pk}
    for i, a in enumerate(plan):
        data[f"day_{i}"], data[f"start_{i}"] = a["start"].split("T")
        data[f"chair_{i}"] = a["chair"][1:]
    data["day_1"] = data["day_0"]  # two visits on one day: too close
    data["start_1"] = "15:00"
    response = client.post(reverse("schedule:proposal", args=[proposal.pk]), data)
    body = response.content.decode()
    assert response.status_code == 400 and "closer than 48 hours" in body and 'value="15:00"' in body
    assert not Visit.objects.exists()


@pytest.mark.django_db
def test_waitlist_query_count_does_not_grow(login: Any, chairs: Any, clinic: Any, provider: Any,
                                            front_desk: Any) -> None:
    client = login(front_desk)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("schedule:waitlist")).status_code == 200
        return len(ctx.captured_queries)

    do_create_course(provider, make_patient(clinic), indication_code="F33.2", earliest_on=MONDAY)
    one = count()
    for _ in range(19):
        do_create_course(provider, make_patient(clinic), indication_code="F33.2", earliest_on=MONDAY)
    assert count() == one


@pytest.mark.django_db
def test_setup_pages_change_hours_closed_days_chairs_and_shifts(login: Any, chairs: Any, front_desk: Any,
                                                                nurse: Any, clinic: Any) -> None:
    client = login(front_desk)
    hours = {f"open_{d}": "08:00" for d in range(5)} | {f"close_{d}": "17:00" for d in range(5)}
    hours |= {"open_5": "09:00", "close_5": "08:00"}  # closing before opening
    response = client.post(reverse("schedule:hours"), hours)
    assert response.status_code == 400 and "closing must be after opening" in response.content.decode()
    hours |= {"open_5": "09:00", "close_5": "13:00"}
    assert client.post(reverse("schedule:hours"), hours).status_code == 302
    assert OpeningHours.objects.get(clinic=clinic, weekday=5).closes_at.hour == 13
    assert OpeningHours.objects.get(clinic=clinic, weekday=0).closes_at.hour == 17
    client.post(reverse("schedule:closed_add"), {"date": "2027-01-18", "reason": "MLK Day"})
    client.post(reverse("schedule:closed_add"), {"date": "2027-01-18", "reason": "MLK Day"})  # double submit
    assert ClosedDay.objects.filter(clinic=clinic).count() == 1
    client.post(reverse("schedule:chair_add"), {"name": "Chair 3"})
    response = client.post(reverse("schedule:chair_add"), {"name": "Chair 3"})
    assert "already a chair" in response.content.decode()
    client.post(reverse("schedule:chair_toggle", args=[chairs[1].pk]))
    chairs[1].refresh_from_db()
    assert not chairs[1].active and Chair.objects.filter(clinic=clinic).count() == 3
    before = NurseShift.objects.count()
    client.post(reverse("schedule:shift_add"), {"nurse": nurse.pk, "day": "2027-02-01", "start": "08:00",
                                                 "end": "12:00", "repeat_weeks": 2})
    assert NurseShift.objects.count() == before + 2


@pytest.mark.django_db
def test_a_nurse_can_read_setup_but_not_change_it(login: Any, chairs: Any, nurse: Any, clinic: Any) -> None:
    client = login(nurse)
    assert "Save hours" not in client.get(reverse("schedule:setup")).content.decode()
    assert client.post(reverse("schedule:closed_add"), {"date": "2027-01-18", "reason": "x"}).status_code == 403
    assert not ClosedDay.objects.exists()


@pytest.mark.django_db
def test_chair_and_nurse_calendar_links_are_valid_ical(login: Any, anon: Any, chairs: Any, course: Any,
                                                       front_desk: Any, nurse: Any, clinic: Any, at: Any) -> None:
    do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY, "09:00"))
    client = login(front_desk)
    client.post(reverse("schedule:staff_feed_add"), {"kind": "chair", "chair": chairs[0].pk})
    url = client.get(reverse("schedule:setup")).content.decode().split('class="feed-link">')[1].split("<")[0]
    cal = icalendar.Calendar.from_ical(anon.get(url.replace("http://testserver", "")).content)
    events = list(cal.walk("VEVENT"))
    assert [str(e["summary"]) for e in events] == ["M. R. visit 1/6"]  # initials only
    client.post(reverse("schedule:staff_feed_add"), {"kind": "nurse", "nurse": nurse.pk})
    url = client.get(reverse("schedule:setup")).content.decode().split('class="feed-link">')[1].split("<")[0]
    cal = icalendar.Calendar.from_ical(anon.get(url.replace("http://testserver", "")).content)
    summaries = [str(e["summary"]) for e in cal.walk("VEVENT")]
    assert len(summaries) == 21  # the nurse's weekday shifts over four weeks, and the infusion they watch
    assert "Infusion: M. R. visit 1/6 – Chair 1" in summaries
    feed = CalendarFeed.objects.get(kind="nurse")
    client.post(reverse("schedule:staff_feed_revoke", args=[feed.pk]))
    assert anon.get(url.replace("http://testserver", "")).status_code == 404


@pytest.mark.django_db
def test_home_panels(login: Any, chairs: Any, course: Any, front_desk: Any, patient: Any, clinic: Any,
                     at: Any, _before_monday: Any) -> None:
    do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY, "09:00"))
    _before_monday.move_to(at(clinic, MONDAY, "07:30"))
    staff_home = login(front_desk).get(reverse("web:home")).content.decode()
    assert "Today&#x27;s visits" in staff_home or "Today's visits" in staff_home
    assert "Reyes, Maya" in staff_home and "Booked" in staff_home
    patient_home = login(patient.user).get(reverse("web:home")).content.decode()
    assert "Your next visit" in patient_home and "Monday, January 4 at 9:00 AM" in patient_home


@pytest.mark.django_db
def test_a_shift_added_twice_is_kept_once_and_overlaps_are_refused(login: Any, chairs: Any, front_desk: Any,
                                                                   nurse: Any) -> None:
    client = login(front_desk)
    data = {"nurse": nurse.pk, "day": "2027-02-01", "start": "08:00", "end": "12:00", "repeat_weeks": 1}
    before = NurseShift.objects.count()
    client.post(reverse("schedule:shift_add"), data)
    client.post(reverse("schedule:shift_add"), data)
    assert NurseShift.objects.count() == before + 1
    response = client.post(reverse("schedule:shift_add"), {**data, "start": "11:00", "end": "15:00"})
    assert response.status_code == 400 and "overlaps" in response.content.decode()
    assert NurseShift.objects.count() == before + 1


@pytest.mark.django_db
def test_cpsat_proposal_states_its_proven_bound_on_waiting_courses(login: Any, chairs: Any, course: Any,
                                                                   other_course: Any, front_desk: Any,
                                                                   clinic: Any, at: Any, provider: Any) -> None:
    third = do_create_course(provider, make_patient(clinic), indication_code="F33.2", earliest_on=MONDAY)
    do_book_visit(front_desk, third, chairs[0], at(clinic, MONDAY, "09:00"))  # a booked visit: not counted
    client = login(front_desk)
    client.post(reverse("schedule:propose"), {"method": "cpsat"})
    page = " ".join(client.get(reverse("schedule:proposal", args=[Proposal.objects.get().pk])).content.decode()
                    .split())
    assert "It placed 2 of the 2 waiting courses; no plan can place more than 2." in page


@pytest.mark.django_db
def test_closing_a_day_with_bookings_warns_the_front_desk(login: Any, chairs: Any, course: Any, front_desk: Any,
                                                          clinic: Any, at: Any) -> None:
    do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY, "09:00"))
    response = login(front_desk).post(reverse("schedule:closed_add"), {"date": "2027-01-04", "reason": "Snow"},
                                      follow=True)
    assert "1 visit(s) are booked on that day" in response.content.decode()
    day = login(front_desk).get(reverse("schedule:day") + "?date=2027-01-04").content.decode()
    assert "closed on this day (Snow)" in day and "Visits booked here need to be moved" in day
