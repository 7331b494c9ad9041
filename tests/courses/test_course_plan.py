"""Course plan: provider overrides keep the original, loosened limits need a second signature,
maintenance boosters planned and booked, stopping a course. Pages tried as every persona."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from ketaclinic.accounts.roles import Role
from ketaclinic.courses.actions import (
    CourseChangeRefused,
    do_amend_course,
    do_cancel_course,
    do_cosign_course_amendment,
    do_create_course,
    do_plan_maintenance,
)
from ketaclinic.courses.models import AmendmentStatus, CourseKind, CourseStatus, TreatmentCourse
from ketaclinic.schedule.actions import do_book_visit, do_set_availability
from ketaclinic.schedule.models import Visit, VisitStatus
from ketaclinic.schedule.planning import do_book_waiting_boosters
from tests.factories import make_staff
from tests.schedule.conftest import MONDAY, local

FRIDAY_BEFORE = MONDAY - timedelta(days=3)


@pytest.fixture(autouse=True)
def _before_monday() -> Any:
    with time_machine.travel(FRIDAY_BEFORE, tick=False) as traveller:
        yield traveller


@pytest.fixture
def course(patient: Any, provider: Any) -> TreatmentCourse:
    return do_create_course(provider, patient, indication_code="F33.2", earliest_on=MONDAY)


@pytest.mark.django_db
def test_a_provider_override_keeps_the_original(course: Any, provider: Any) -> None:
    amendment = do_amend_course(provider, course, {"infusion_min": 100}, reason="Pain protocol dosing")
    course.refresh_from_db()
    assert course.infusion_min == 100 and amendment.status == AmendmentStatus.APPLIED
    assert amendment.changes == {"infusion_min": {"from": 40, "to": 100}}
    assert amendment.amended_by == provider and amendment.reason == "Pain protocol dosing"


@pytest.mark.django_db
def test_loosening_a_spacing_limit_needs_a_second_prescriber(course: Any, provider: Any, clinic: Any,
                                                             front_desk: Any) -> None:
    amendment = do_amend_course(provider, course, {"min_gap_hours": 20}, reason="Travels from far away")
    course.refresh_from_db()
    assert amendment.status == AmendmentStatus.PENDING and course.min_gap_hours == 48
    with pytest.raises(CourseChangeRefused, match="another prescriber"):
        do_cosign_course_amendment(provider, amendment, approve=True)
    with pytest.raises(PermissionDenied):
        do_cosign_course_amendment(front_desk, amendment, approve=True)
    second = make_staff(clinic, Role.MEDICAL_DIRECTOR, full_name="Second Signer")
    do_cosign_course_amendment(second, amendment, approve=True)
    course.refresh_from_db()
    assert course.min_gap_hours == 20


@pytest.mark.django_db
def test_a_change_that_breaks_booked_visits_is_refused(course: Any, provider: Any, front_desk: Any,
                                                       chairs: Any, clinic: Any) -> None:
    do_book_visit(front_desk, course, chairs[0], local(clinic, MONDAY, "09:00"))
    do_book_visit(front_desk, course, chairs[0], local(clinic, MONDAY + timedelta(days=2), "09:00"))
    with pytest.raises(CourseChangeRefused, match="Move those visits first"):
        do_amend_course(provider, course, {"min_gap_hours": 72}, reason="Slower pace")
    with pytest.raises(CourseChangeRefused, match="reason"):
        do_amend_course(provider, course, {"window_days": 28}, reason=" ")


@pytest.mark.django_db
def test_maintenance_boosters_are_planned_from_the_protocol_and_booked(course: Any, provider: Any, patient: Any,
                                                                       front_desk: Any, chairs: Any,
                                                                       clinic: Any) -> None:
    from datetime import time

    boosters = do_plan_maintenance(provider, course, after=MONDAY)
    assert [b.earliest_on for b in boosters] == [MONDAY + timedelta(days=d) for d in (7, 14, 28, 42, 70)]
    assert all(b.kind == CourseKind.MAINTENANCE and b.planned_visits == 1 for b in boosters)
    with pytest.raises(CourseChangeRefused, match="already waiting"):
        do_plan_maintenance(provider, course, after=MONDAY)
    do_set_availability(patient.user, patient, weekdays=[1, 2, 3], from_time=time(13), until_time=time(18))
    booked, missed = do_book_waiting_boosters(front_desk, patient)
    # Shifts in the fixture cover four weeks: the first two boosters fit, the later ones wait.
    assert [v.starts_at for v in booked] == [local(clinic, date(2027, 1, 12), "13:00"),
                                              local(clinic, date(2027, 1, 19), "13:00")]
    assert len(missed) == 3
    assert TreatmentCourse.objects.filter(kind=CourseKind.MAINTENANCE, status=CourseStatus.REQUESTED).count() == 3


@pytest.mark.django_db
def test_stopping_a_course_cancels_future_visits(course: Any, provider: Any, front_desk: Any, chairs: Any,
                                                 clinic: Any) -> None:
    visit = do_book_visit(front_desk, course, chairs[0], local(clinic, MONDAY, "09:00"))
    with pytest.raises(PermissionDenied):
        do_cancel_course(front_desk, course, reason="x")
    do_cancel_course(provider, course, reason="Patient chose another treatment")
    visit.refresh_from_db()
    course.refresh_from_db()
    assert course.status == CourseStatus.CANCELLED and visit.status == VisitStatus.CANCELLED
    assert Visit.objects.count() == 1  # cancelled, never deleted


@pytest.mark.django_db
def test_course_page_ladder(login: Any, anon: Any, course: Any, provider: Any, front_desk: Any, nurse: Any,
                            admin_user: Any, other_clinic_nurse: Any, patient: Any, other_patient: Any) -> None:
    url = reverse("courses:detail", args=[course.pk])
    page = login(provider).get(url).content.decode()
    assert "Change this course" in page and "Maintenance plan" in page
    body = login(front_desk).get(url).content.decode()
    assert "Change this course" not in body                       # front desk reads, cannot prescribe
    assert login(nurse).get(url).status_code == 200
    assert login(admin_user).get(url).status_code == 404
    assert login(other_clinic_nurse).get(url).status_code == 404
    assert login(patient.user).get(url).status_code == 404        # staff page; the owner uses the portal
    assert login(other_patient.user).get(url).status_code == 404
    assert anon.get(url).status_code == 302
    amend = reverse("courses:amend", args=[course.pk])
    assert login(front_desk).post(amend, {"reason": "x"}).status_code == 403


@pytest.mark.django_db
def test_amend_form_keeps_what_was_typed(login: Any, course: Any, provider: Any) -> None:
    url = reverse("courses:amend", args=[course.pk])
    data = {"planned_visits": 6, "window_days": 21, "max_per_7_days": 3, "min_gap_hours": 48, "checkin_min": 20,
            "infusion_min": 55, "recovery_min": 45, "earliest_on": "2027-01-04", "latest_start_on": "2027-01-01",
            "reason": "Longer infusion"}
    response = login(provider).post(url, data)
    assert response.status_code == 400 and 'value="55"' in response.content.decode()
    assert login(provider).post(url, {**data, "latest_start_on": ""}).status_code == 302
    course.refresh_from_db()
    assert course.infusion_min == 55
