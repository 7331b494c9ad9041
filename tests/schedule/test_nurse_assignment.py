"""Visits get a nurse on booking (least loaded, on shift for the whole infusion, within the per-nurse
limit); the front desk or a nurse can change it; the day sheet and the nurse's calendar show it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from ketaclinic.accounts.roles import Role
from ketaclinic.audit.models import AuditEvent
from ketaclinic.courses.actions import do_create_course
from ketaclinic.schedule.actions import do_add_nurse_shift, do_book_visit, do_create_chair, do_move_visit
from ketaclinic.schedule.nurses import NurseNotAvailable, do_assign_nurse
from tests.factories import make_patient, make_staff
from tests.schedule.conftest import MONDAY

FRIDAY_BEFORE = MONDAY - timedelta(days=3)


@pytest.fixture(autouse=True)
def _before_monday() -> Any:
    with time_machine.travel(FRIDAY_BEFORE, tick=False) as traveller:
        yield traveller


@pytest.fixture
def second_nurse(clinic: Any, chairs: Any, at: Any) -> Any:
    """Another nurse, on shift Monday 08:00-12:00 only."""
    other = make_staff(clinic, Role.NURSE, full_name="Noor Second")
    do_add_nurse_shift(None, clinic, other, at(clinic, MONDAY, "08:00"), at(clinic, MONDAY, "12:00"))
    return other


def new_course(provider: Any, clinic: Any) -> Any:
    return do_create_course(provider, make_patient(clinic), indication_code="F33.2", earliest_on=MONDAY)


@pytest.mark.django_db
def test_booking_assigns_the_least_loaded_nurse_on_shift(front_desk: Any, provider: Any, nurse: Any,
                                                         second_nurse: Any, chairs: Any, clinic: Any, at: Any) -> None:
    do_create_chair(None, clinic, "Chair 3")
    first = do_book_visit(front_desk, new_course(provider, clinic), chairs[0], at(clinic, MONDAY, "08:00"))
    second = do_book_visit(front_desk, new_course(provider, clinic), chairs[1], at(clinic, MONDAY, "08:00"))
    assert {first.nurse, second.nurse} == {nurse, second_nurse}      # one each: least loaded first
    # after 12:00 only the first nurse is on shift
    later = do_book_visit(front_desk, new_course(provider, clinic), chairs[0], at(clinic, MONDAY, "13:00"))
    assert later.nurse == nurse
    assert AuditEvent.objects.filter(action="VISIT_BOOKED").last().details["nurse"] == nurse.email  # type: ignore[union-attr]


@pytest.mark.django_db
def test_no_nurse_watches_more_than_the_limit(front_desk: Any, provider: Any, nurse: Any, chairs: Any,
                                              clinic: Any, at: Any) -> None:
    do_create_chair(None, clinic, "Chair 3")
    visits = [do_book_visit(front_desk, new_course(provider, clinic), chair, at(clinic, MONDAY, "09:00"))
              for chair in chairs]
    assert [v.nurse for v in visits] == [nurse, nurse]                # the limit is 2 at once
    third = do_book_visit(front_desk, new_course(provider, clinic), chairs[0], at(clinic, MONDAY, "11:00"))
    assert third.nurse == nurse                                        # the first two are done infusing by then
    with pytest.raises(NurseNotAvailable, match="already watches 2"):
        extra = do_book_visit(front_desk, new_course(provider, clinic),
                              do_create_chair(None, clinic, "Chair 4"), at(clinic, MONDAY, "09:00"))
        assert extra.nurse is None
        do_assign_nurse(front_desk, extra, nurse)


@pytest.mark.django_db
def test_moving_keeps_or_reassigns_the_nurse(front_desk: Any, provider: Any, nurse: Any, second_nurse: Any,
                                             chairs: Any, clinic: Any, at: Any) -> None:
    visit = do_book_visit(front_desk, new_course(provider, clinic), chairs[0], at(clinic, MONDAY, "08:00"))
    do_assign_nurse(front_desk, visit, second_nurse)
    moved = do_move_visit(front_desk, visit, chairs[0], at(clinic, MONDAY, "14:00"))
    assert moved.nurse == nurse          # the second nurse's shift ended at 12:00


@pytest.mark.django_db
def test_front_desk_and_nurses_may_change_it_others_may_not(front_desk: Any, provider: Any, nurse: Any,
                                                           second_nurse: Any, chairs: Any, clinic: Any, at: Any,
                                                           admin_user: Any, patient: Any) -> None:
    visit = do_book_visit(front_desk, new_course(provider, clinic), chairs[0], at(clinic, MONDAY, "08:00"))
    target = second_nurse if visit.nurse == nurse else nurse
    do_assign_nurse(nurse, visit, target)                  # a nurse (the charge nurse)
    visit.refresh_from_db()
    assert visit.nurse == target
    assert AuditEvent.objects.filter(action="VISIT_NURSE_ASSIGNED").count() == 1
    do_assign_nurse(front_desk, visit, target)             # the same again: nothing new
    assert AuditEvent.objects.filter(action="VISIT_NURSE_ASSIGNED").count() == 1
    for outsider in (admin_user, patient.user):
        with pytest.raises(PermissionDenied):
            do_assign_nurse(outsider, visit, None)
    with pytest.raises(NurseNotAvailable, match="not on shift"):
        moved = do_move_visit(front_desk, visit, chairs[0], at(clinic, MONDAY, "14:00"))
        do_assign_nurse(front_desk, moved, second_nurse)


@pytest.mark.django_db
def test_day_sheet_shows_and_changes_the_nurse(login: Any, anon: Any, front_desk: Any, provider: Any, nurse: Any,
                                               second_nurse: Any, chairs: Any, clinic: Any, at: Any,
                                               admin_user: Any, other_clinic_nurse: Any, patient: Any,
                                               other_patient: Any) -> None:
    visit = do_book_visit(front_desk, new_course(provider, clinic), chairs[0], at(clinic, MONDAY, "08:00"))
    page = login(front_desk).get(reverse("schedule:day") + "?date=2027-01-04").content.decode()
    assert f"Nurse: {visit.nurse.full_name}" in page and "Assigned infusions" in page  # type: ignore[union-attr]
    target = second_nurse if visit.nurse == nurse else nurse
    url = reverse("schedule:assign_nurse", args=[visit.pk])
    before = AuditEvent.objects.count()
    for client in (login(admin_user), login(other_clinic_nurse), login(patient.user), login(other_patient.user)):
        assert client.post(url, {"nurse": target.pk}).status_code == 404
    assert anon.post(url, {"nurse": target.pk}).status_code == 302
    assert AuditEvent.objects.count() == before
    assert login(nurse).post(url, {"nurse": target.pk}).status_code == 302    # permitted colleague
    visit.refresh_from_db()
    assert visit.nurse == target
    response = login(front_desk).post(url, {"nurse": "999999"}, follow=True)
    assert "Pick one of the clinic" in response.content.decode()
