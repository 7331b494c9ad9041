"""visits_visible_to / get_visit_for_user / courses_visible_to / get_course_for_user by persona."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from ketaclinic.schedule.access import (
    courses_visible_to,
    get_course_for_user,
    get_visit_for_user,
    visits_visible_to,
)
from ketaclinic.schedule.actions import do_book_visit
from tests.schedule.conftest import MONDAY


@pytest.fixture
def visit(front_desk: Any, course: Any, chairs: Any, clinic: Any, at: Any) -> Any:
    return do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY, "09:00"))


@pytest.mark.django_db
def test_staff_of_the_clinic_see_the_visit_and_course(visit: Any, front_desk: Any, nurse: Any,
                                                      provider: Any) -> None:
    for user in (front_desk, nurse, provider):
        assert get_visit_for_user(user, visit.pk) == visit
        assert get_course_for_user(user, visit.course_id) == visit.course
        assert list(visits_visible_to(user)) == [visit]
        assert list(courses_visible_to(user)) == [visit.course]


@pytest.mark.django_db
def test_the_patient_sees_only_their_own(visit: Any, patient: Any, other_patient: Any,
                                         other_course: Any) -> None:
    assert get_visit_for_user(patient.user, visit.pk) == visit
    assert get_course_for_user(patient.user, visit.course_id) == visit.course
    assert list(courses_visible_to(patient.user)) == [visit.course]
    with pytest.raises(Http404):
        get_visit_for_user(other_patient.user, visit.pk)
    with pytest.raises(Http404):
        get_course_for_user(other_patient.user, visit.course_id)
    assert list(visits_visible_to(other_patient.user)) == []
    assert list(courses_visible_to(other_patient.user)) == [other_course]


@pytest.mark.django_db
def test_other_clinic_admin_and_anonymous_see_nothing(visit: Any, other_clinic_nurse: Any,
                                                      admin_user: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    for user in (other_clinic_nurse, admin_user, AnonymousUser()):
        with pytest.raises(Http404):
            get_visit_for_user(user, visit.pk)
        with pytest.raises(Http404):
            get_course_for_user(user, visit.course_id)
        assert not visits_visible_to(user).exists()
        assert not courses_visible_to(user).exists()
