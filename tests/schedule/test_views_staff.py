"""Front desk pages, tried as every persona, with bounded query counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.courses.actions import do_create_course
from ketaclinic.schedule.actions import do_book_visit
from ketaclinic.schedule.models import Visit, VisitStatus
from tests.factories import make_patient
from tests.schedule.conftest import MONDAY

FRIDAY_BEFORE = MONDAY - timedelta(days=3)
STAFF_PAGES = ["schedule:day", "schedule:week", "schedule:book", "schedule:waitlist", "schedule:setup"]


@pytest.fixture(autouse=True)
def _before_monday() -> Any:
    with time_machine.travel(FRIDAY_BEFORE, tick=False) as traveller:
        yield traveller


@pytest.mark.django_db
@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_pages_ladder(name: str, login: Any, anon: Any, chairs: Any, patient: Any, front_desk: Any,
                            nurse: Any, admin_user: Any, other_clinic_nurse: Any) -> None:
    url = reverse(name)
    assert login(front_desk).get(url).status_code == 200      # owner of the schedule
    assert login(nurse).get(url).status_code == 200           # permitted colleague (reads it)
    assert login(admin_user).get(url).status_code == 404      # staff role without patient access
    assert login(other_clinic_nurse).get(url).status_code == 200  # sees only their own clinic (below)
    assert login(patient.user).get(url).status_code == 404    # patients use the portal
    assert anon.get(url).status_code == 302                   # anonymous → sign in


@pytest.mark.django_db
def test_other_clinic_staff_never_see_this_clinics_visits(login: Any, chairs: Any, course: Any, front_desk: Any,
                                                          clinic: Any, at: Any, other_clinic_nurse: Any) -> None:
    visit = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY, "09:00"))
    day = reverse("schedule:day") + "?date=2027-01-04"
    assert "Reyes" in login(front_desk).get(day).content.decode()
    assert "Reyes" not in login(other_clinic_nurse).get(day).content.decode()
    for name in ("schedule:move", "schedule:cancel"):
        assert login(other_clinic_nurse).get(reverse(name, args=[visit.pk])).status_code == 404


@pytest.mark.django_db
def test_visit_pages_ladder(login: Any, anon: Any, chairs: Any, course: Any, front_desk: Any, nurse: Any,
                            admin_user: Any, patient: Any, other_patient: Any, clinic: Any, at: Any) -> None:
    visit = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY, "09:00"))
    for name in ("schedule:move", "schedule:cancel"):
        url = reverse(name, args=[visit.pk])
        assert login(front_desk).get(url).status_code == 200
        assert login(nurse).get(url).status_code == 200
        assert login(admin_user).get(url).status_code == 404
        assert login(patient.user).get(url).status_code == 404   # the owner uses the portal pages
        assert login(other_patient.user).get(url).status_code == 404
        assert anon.get(url).status_code == 302


def _queries(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/schedule/?date=2027-01-04", "/schedule/week/?start=2027-01-04"])
def test_day_and_week_query_counts_do_not_grow_with_visits(url: str, login: Any, chairs: Any, clinic: Any,
                                                           provider: Any, front_desk: Any, at: Any) -> None:
    client = login(front_desk)

    def book(n: int, start_index: int) -> None:
        # do_book_visit checks overlaps only, so 20 visits fit in two chairs over the whole day
        for i in range(start_index, start_index + n):
            course = do_create_course(provider, make_patient(clinic), indication_code="F33.2", earliest_on=MONDAY)
            do_book_visit(front_desk, course, chairs[i % 2],
                          at(clinic, MONDAY, "00:10") + timedelta(minutes=110 * (i // 2)))

    book(1, 0)
    one = _queries(client, url)
    book(19, 1)
    assert _queries(client, url) == one


@pytest.mark.django_db
def test_booking_by_hand_checks_the_rules_and_keeps_what_was_typed(login: Any, chairs: Any, course: Any,
                                                                   front_desk: Any) -> None:
    client = login(front_desk)
    data = {"course": course.pk, "chair": chairs[0].pk, "day": "2027-01-04", "start": "17:00", "reason": ""}
    response = client.post(reverse("schedule:book"), data)
    body = response.content.decode()
    assert response.status_code == 200 and "must fit between 08:00 and 18:00" in body
    assert 'value="17:00"' in body
    assert not Visit.objects.exists()
    response = client.post(reverse("schedule:book"), {**data, "start": "09:00"})
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.number == 1 and visit.chair == chairs[0]
    assert AuditEvent.objects.filter(action="COURSE_BOOKED").exists()
    # A double submit does not book twice: the patient is already in a chair then.
    response = client.post(reverse("schedule:book"), {**data, "start": "09:00"})
    assert "already has a visit" in response.content.decode()
    assert Visit.objects.count() == 1


@pytest.mark.django_db
def test_moving_says_why_a_slot_is_not_allowed(login: Any, chairs: Any, course: Any, other_course: Any,
                                               front_desk: Any, clinic: Any, at: Any) -> None:
    mine = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY, "09:00"))
    do_book_visit(front_desk, other_course, chairs[1], at(clinic, MONDAY, "13:00"))
    client = login(front_desk)
    url = reverse("schedule:move", args=[mine.pk])
    body = client.post(url, {"chair": chairs[1].pk, "day": "2027-01-04", "start": "12:30", "reason": "x"}
                       ).content.decode()
    assert "Chair 2 is taken 13:00" in body
    body = client.post(url, {"chair": chairs[0].pk, "day": "2027-01-05", "start": "09:05", "reason": ""}
                       ).content.decode()
    assert "10-minute grid" in body
    response = client.post(url, {"chair": chairs[1].pk, "day": "2027-01-05", "start": "10:00", "reason": "asked"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.chair == chairs[1] and mine.starts_at == at(clinic, MONDAY + timedelta(days=1), "10:00")
    assert AuditEvent.objects.filter(action="VISIT_MOVED").get().details["reason"] == "asked"


@pytest.mark.django_db
def test_staff_cancel_and_no_show(login: Any, chairs: Any, course: Any, front_desk: Any, clinic: Any, at: Any,
                                  _before_monday: Any) -> None:
    first = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY, "09:00"))
    second = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY + timedelta(days=2), "09:00"))
    client = login(front_desk)
    assert "reason" in client.post(reverse("schedule:cancel", args=[second.pk]), {"reason": ""}).content.decode()
    client.post(reverse("schedule:cancel", args=[second.pk]), {"reason": "Patient has the flu"})
    second.refresh_from_db()
    assert second.status == VisitStatus.CANCELLED and second.cancelled_reason == "Patient has the flu"
    client.post(reverse("schedule:no_show", args=[first.pk]))
    first.refresh_from_db()
    assert first.status == VisitStatus.BOOKED  # not before its start time
    _before_monday.move_to(at(clinic, MONDAY, "10:00"))
    client = login(front_desk)  # a fresh sign-in: the idle timeout ended the old session
    client.post(reverse("schedule:no_show", args=[first.pk]))
    first.refresh_from_db()
    assert first.status == VisitStatus.NO_SHOW


@pytest.mark.django_db
def test_week_view_shows_how_full_each_day_is(login: Any, chairs: Any, course: Any, front_desk: Any, clinic: Any,
                                              at: Any) -> None:
    do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY, "09:00"))  # 105 of 2 × 600 chair-minutes
    body = login(front_desk).get(reverse("schedule:week") + "?start=2027-01-04").content.decode()
    assert "1 visit, chairs 9% booked" in body and "Closed" in body  # Saturday and Sunday
