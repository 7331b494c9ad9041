"""No double booking: the database guarantees it (PostgreSQL exclusion constraints), and the
booking action turns a lost race into SlotTaken with a clear message."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from ketaclinic.courses.actions import do_create_course
from ketaclinic.schedule.actions import SLOT_TAKEN, SlotTaken, do_book_visit, do_set_visit_status
from ketaclinic.schedule.models import Visit, VisitStatus
from tests.factories import make_patient
from tests.schedule.conftest import MONDAY


@pytest.mark.django_db
def test_a_second_booking_of_the_same_chair_and_time_is_refused(front_desk: Any, course: Any, other_course: Any,
                                                                chairs: Any, clinic: Any, at: Any) -> None:
    do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY, "09:00"))
    with pytest.raises(SlotTaken, match="just taken"):
        do_book_visit(front_desk, other_course, chairs[0], at(clinic, MONDAY, "10:00"))  # overlaps 09:00-10:45


@pytest.mark.django_db
def test_a_patient_cannot_be_in_two_chairs_at_once(front_desk: Any, course: Any, chairs: Any, clinic: Any,
                                                   at: Any) -> None:
    do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY, "09:00"))
    with pytest.raises(SlotTaken, match="already has a visit"):
        do_book_visit(front_desk, course, chairs[1], at(clinic, MONDAY, "09:30"))


@pytest.mark.django_db
def test_a_cancelled_visit_frees_the_slot(front_desk: Any, course: Any, other_course: Any, chairs: Any,
                                          clinic: Any, at: Any) -> None:
    first = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY, "09:00"))
    do_set_visit_status(front_desk, first, VisitStatus.CANCELLED, reason="patient unwell")
    second = do_book_visit(front_desk, other_course, chairs[0], at(clinic, MONDAY, "09:00"))
    assert second.chair == chairs[0]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_database_itself_refuses_overlapping_active_visits(front_desk: Any, course: Any, other_course: Any,
                                                               chairs: Any, clinic: Any, at: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("exclusion constraints exist only on PostgreSQL")
    visit = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY, "09:00"))
    # Bypass the action on purpose: the constraint must hold even for code that forgets the check.
    with pytest.raises(IntegrityError, match="visit_no_chair_overlap"), transaction.atomic():
        Visit.objects.create(clinic=clinic, patient=other_course.patient, course=other_course, number=1,
                             chair=chairs[0], starts_at=visit.starts_at, ends_at=visit.ends_at,
                             created_at=visit.created_at)
    with pytest.raises(IntegrityError, match="visit_no_patient_overlap"), transaction.atomic():
        Visit.objects.create(clinic=clinic, patient=course.patient, course=course, number=2,
                             chair=chairs[1], starts_at=visit.starts_at, ends_at=visit.ends_at,
                             created_at=visit.created_at)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_bookings_of_one_slot_one_wins(front_desk: Any, provider: Any, chairs: Any,
                                                         clinic: Any, at: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("real concurrent writers need PostgreSQL")
    courses = [do_create_course(provider, make_patient(clinic), indication_code="F33.2", earliest_on=MONDAY)
               for _ in range(20)]
    start = at(clinic, MONDAY, "09:00")
    barrier = threading.Barrier(20)
    results: list[str] = []
    lock = threading.Lock()

    def book(course: Any) -> None:
        try:
            barrier.wait()
            try:
                do_book_visit(front_desk, course, chairs[0], start)
                outcome = "won"
            except SlotTaken as exc:
                outcome = str(exc)
            with lock:
                results.append(outcome)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=book, args=(c,)) for c in courses]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("won") == 1
    assert results.count(SLOT_TAKEN) == 19
    assert Visit.objects.filter(chair=chairs[0], status=VisitStatus.BOOKED).count() == 1


@pytest.mark.django_db
def test_chair_statuses_are_reserved_for_the_infusion_day_actions(front_desk: Any, course: Any, chairs: Any,
                                                                  clinic: Any, at: Any) -> None:
    """Starting or discharging through the generic status action would skip the gate and the score."""
    visit = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY, "09:00"))
    for status in ("in_chair", "infusing", "recovering", "discharged"):
        with pytest.raises(ValueError, match="infusion-day"):
            do_set_visit_status(front_desk, visit, status)
