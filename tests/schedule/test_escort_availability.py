"""The ride home's times: optional, recorded by the patient or the front desk; a visit must end while
the ride can pick up; the optimizer gets the intersection; the patient is told why a time is not allowed."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.schedule.actions import RuleBroken, do_book_visit, do_move_visit, do_set_availability
from ketaclinic.schedule.models import Availability
from ketaclinic.schedule.planning import _availability_json, build_instance
from ketaclinic.schedule.rules import availability_problem, free_slots
from tests.schedule.conftest import MONDAY

FRIDAY_BEFORE = MONDAY - timedelta(days=3)


@pytest.fixture(autouse=True)
def _before_monday() -> Any:
    with time_machine.travel(FRIDAY_BEFORE, tick=False) as traveller:
        yield traveller


def with_ride(patient: Any, *, ride_days: list[int] | None = None) -> Availability:
    """Patient: weekdays 08:00-18:00. Ride: picks up 12:00-14:00 (Mon, Wed by default)."""
    return do_set_availability(patient.user, patient, weekdays=[0, 1, 2, 3, 4], from_time=time(8),
                               until_time=time(18), escort_weekdays=ride_days or [0, 2],
                               escort_from=time(12), escort_until=time(14))


@pytest.mark.django_db
def test_a_visit_must_end_while_the_ride_can_pick_up(patient: Any, course: Any, chairs: Any, clinic: Any,
                                                     at: Any) -> None:
    row = with_ride(patient)
    assert row.describe_escort() == "Mon, Wed 12:00-14:00"
    # a visit is 105 minutes: 10:30 ends 12:15 (fine); 08:00 ends 09:45 (ride not there); Tuesday (no ride)
    assert availability_problem(row, course, at(clinic, MONDAY, "10:30"), clinic.zone) is None
    early = availability_problem(row, course, at(clinic, MONDAY, "08:00"), clinic.zone)
    assert early is not None and "ride home is not available" in early.message
    assert availability_problem(row, course, at(clinic, MONDAY + timedelta(days=1), "10:30"), clinic.zone)
    slots = free_slots(course, [MONDAY, MONDAY + timedelta(days=1)], chairs)
    ends = [(s + timedelta(minutes=course.visit_minutes)).astimezone(clinic.zone).time() for s, _ in slots[MONDAY]]
    assert ends and all(time(12) <= e <= time(14) for e in ends)
    assert MONDAY + timedelta(days=1) not in slots


@pytest.mark.django_db
def test_without_ride_times_the_patients_times_alone_apply(patient: Any, course: Any, clinic: Any, at: Any) -> None:
    row = do_set_availability(patient.user, patient, weekdays=[0], from_time=time(8), until_time=time(18))
    assert row.describe_escort() == "" and not row.has_escort_times
    assert availability_problem(row, course, at(clinic, MONDAY, "08:00"), clinic.zone) is None


@pytest.mark.django_db
def test_the_optimizer_gets_the_intersection(patient: Any, course: Any, chairs: Any, clinic: Any) -> None:
    row = with_ride(patient)
    assert _availability_json({(patient.pk, None): row}, course) == {
        "weekdays": [0, 2], "from": "10:15", "until": "14:00"}       # ends between 12:00 and 14:00
    built = build_instance(clinic, MONDAY, MONDAY + timedelta(days=20), [course])
    assert built.data["courses"][0]["availability"]["from"] == "10:15"


@pytest.mark.django_db
def test_ride_times_are_all_or_nothing(patient: Any) -> None:
    with pytest.raises(ValueError, match="ride"):
        do_set_availability(patient.user, patient, weekdays=[0], from_time=time(8), until_time=time(18),
                            escort_weekdays=[0], escort_from=time(12))


@pytest.mark.django_db
def test_front_desk_sees_a_warning_the_patient_a_plain_reason(login: Any, patient: Any, course: Any, chairs: Any,
                                                             clinic: Any, at: Any, front_desk: Any) -> None:
    with_ride(patient)
    visit = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY, "10:30"))
    with pytest.raises(RuleBroken, match="ride home"):
        do_move_visit(patient.user, visit, None, at(clinic, MONDAY + timedelta(days=2), "08:00"))
    moved = do_move_visit(front_desk, visit, chairs[0], at(clinic, MONDAY + timedelta(days=2), "08:00"))
    event = AuditEvent.objects.filter(action="VISIT_MOVED").last()
    assert moved.pk == visit.pk and "ride home" in event.details["warnings"][0]  # type: ignore[union-attr]
    response = login(patient.user).post(reverse("schedule:my_reschedule", args=[visit.pk]),
                                        {"slot": at(clinic, MONDAY + timedelta(days=1), "10:30").isoformat()})
    assert response.status_code == 400
    assert "Your ride is not available then" in response.content.decode()
    page = login(patient.user).get(reverse("schedule:my_reschedule", args=[visit.pk])).content.decode()
    assert "while your ride can pick you up (Mon, Wed 12:00-14:00)" in page


@pytest.mark.django_db
def test_patient_and_front_desk_record_ride_times_in_the_form(login: Any, anon: Any, patient: Any,
                                                             other_patient: Any, front_desk: Any,
                                                             other_clinic_nurse: Any, admin_user: Any,
                                                             chairs: Any) -> None:
    data = {"weekdays": ["0", "2"], "from_time": "08:00", "until_time": "17:00", "note": "",
            "escort_weekdays": ["2"], "escort_from": "13:00", "escort_until": "16:00"}
    client = login(patient.user)
    assert client.post(reverse("schedule:my_availability"), data).status_code == 302
    row = Availability.objects.get(patient=patient)
    assert (row.escort_weekday_list, row.escort_from, row.escort_until) == ([2], time(13), time(16))
    assert "Your ride can pick you up: Wed 13:00-16:00" in client.get(reverse("schedule:my_visits")).content.decode()
    half = client.post(reverse("schedule:my_availability"), {**data, "escort_until": ""})
    assert half.status_code == 400 and "or leave them all empty" in half.content.decode()
    assert 'value="13:00"' in half.content.decode()     # what was typed is kept
    staff_url = reverse("schedule:availability", args=[patient.pk])
    assert login(front_desk).post(staff_url, {**data, "escort_weekdays": ["0"]}).status_code == 302
    assert Availability.objects.get(patient=patient).escort_weekday_list == [0]
    for outsider in (login(other_clinic_nurse), login(admin_user), login(other_patient.user)):
        assert outsider.post(staff_url, data).status_code == 404
    assert anon.post(staff_url, data).status_code == 302
