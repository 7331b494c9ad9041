"""Cancellation fills: the freed slot goes to waiting patients who fit; the first to accept gets it."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
import time_machine

from ketaclinic.courses.actions import do_create_course
from ketaclinic.courses.models import CourseStatus
from ketaclinic.schedule.actions import do_book_visit, do_cancel_visit, do_set_availability
from ketaclinic.schedule.models import OfferStatus, SlotOffer, Visit, VisitStatus
from ketaclinic.schedule.offers import OfferGone, do_accept_offer, do_decline_offer, open_offers_for_patient
from tests.factories import make_patient
from tests.schedule.conftest import MONDAY, booster

FRIDAY_BEFORE = MONDAY - timedelta(days=3)


@pytest.fixture(autouse=True)
def _before_monday() -> Any:
    with time_machine.travel(FRIDAY_BEFORE, tick=False) as traveller:
        yield traveller



@pytest.mark.django_db
def test_a_cancellation_is_offered_to_waiting_patients_who_fit(front_desk: Any, provider: Any, course: Any,
                                                               chairs: Any, clinic: Any, at: Any) -> None:
    visit = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY + timedelta(days=2), "10:00"))
    fits = make_patient(clinic)
    fits_course = booster(provider, fits, MONDAY, MONDAY + timedelta(days=6))
    too_late = booster(provider, make_patient(clinic), MONDAY + timedelta(days=10), MONDAY + timedelta(days=12))
    busy = make_patient(clinic)
    busy_course = booster(provider, busy, MONDAY, MONDAY + timedelta(days=6))
    do_set_availability(busy.user, busy, weekdays=[0], from_time=time(8), until_time=time(12))  # Mondays only
    do_cancel_visit(front_desk, visit, reason="Patient unwell")
    offer = SlotOffer.objects.get()
    assert offer.starts_at == visit.starts_at and offer.chair == chairs[0]
    assert {r.course_id for r in offer.recipients.all()} == {fits_course.pk}
    assert too_late.pk != fits_course.pk and busy_course.pk != fits_course.pk
    assert [r.offer for r in open_offers_for_patient(fits.pk, now=at(clinic, FRIDAY_BEFORE, "12:00"))] == [offer]


@pytest.mark.django_db
def test_the_first_to_accept_gets_it_and_the_second_is_told_kindly(front_desk: Any, provider: Any, course: Any,
                                                                   chairs: Any, clinic: Any, at: Any) -> None:
    visit = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY + timedelta(days=2), "10:00"))
    a, b = make_patient(clinic), make_patient(clinic)
    booster(provider, a, MONDAY, MONDAY + timedelta(days=6))
    booster(provider, b, MONDAY, MONDAY + timedelta(days=6))
    do_cancel_visit(front_desk, visit, reason="Patient unwell")
    offer = SlotOffer.objects.get()
    ra = offer.recipients.get(patient=a)
    rb = offer.recipients.get(patient=b)
    with pytest.raises(Exception, match="not yours"):
        do_accept_offer(b.user, ra)
    booked = do_accept_offer(a.user, ra)
    assert len(booked) == 1 and booked[0].starts_at == visit.starts_at and booked[0].patient == a
    offer.refresh_from_db()
    assert offer.status == OfferStatus.FILLED and offer.filled_visit == booked[0]
    assert booked[0].course.status == CourseStatus.SCHEDULED
    with pytest.raises(OfferGone, match="someone else took this time first"):
        do_accept_offer(b.user, rb)
    assert open_offers_for_patient(b.pk, now=at(clinic, FRIDAY_BEFORE, "12:00")) == []
    assert Visit.objects.filter(patient=b).count() == 0


@pytest.mark.django_db
def test_an_induction_course_takes_the_slot_with_its_whole_plan(front_desk: Any, provider: Any, course: Any,
                                                                chairs: Any, clinic: Any, at: Any) -> None:
    visit = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY + timedelta(days=2), "10:00"))
    waiting = do_create_course(provider, make_patient(clinic), indication_code="F33.1", earliest_on=MONDAY)
    do_cancel_visit(front_desk, visit, reason="Moved away")
    recipient = SlotOffer.objects.get().recipients.get(course=waiting)
    booked = do_accept_offer(front_desk, recipient)  # the front desk, after a phone call
    assert len(booked) == 6 and booked[0].starts_at == visit.starts_at
    assert [v.number for v in booked] == [1, 2, 3, 4, 5, 6]


@pytest.mark.django_db
def test_declining_keeps_the_offer_open_for_others(front_desk: Any, provider: Any, course: Any, chairs: Any,
                                                   clinic: Any, at: Any) -> None:
    visit = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY + timedelta(days=2), "10:00"))
    a = make_patient(clinic)
    booster(provider, a, MONDAY, MONDAY + timedelta(days=6))
    do_cancel_visit(front_desk, visit, reason="x")
    recipient = SlotOffer.objects.get().recipients.get()
    do_decline_offer(a.user, recipient)
    assert open_offers_for_patient(a.pk, now=at(clinic, FRIDAY_BEFORE, "12:00")) == []
    with pytest.raises(OfferGone):
        do_accept_offer(a.user, recipient)


@pytest.mark.django_db
def test_no_offer_when_nobody_fits_and_cancelling_twice_is_harmless(front_desk: Any, course: Any, chairs: Any,
                                                                    clinic: Any, at: Any) -> None:
    visit = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY, "10:00"))
    do_cancel_visit(front_desk, visit, reason="x")
    do_cancel_visit(front_desk, visit, reason="again")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CANCELLED and visit.cancelled_reason == "x"
    assert not SlotOffer.objects.exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_patients_accepting_at_once_one_gets_it(front_desk: Any, provider: Any, course: Any, chairs: Any,
                                                    clinic: Any, at: Any) -> None:
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("real concurrent writers need PostgreSQL")
    visit = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY + timedelta(days=2), "10:00"))
    people = [make_patient(clinic) for _ in range(4)]
    for p in people:
        booster(provider, p, MONDAY, MONDAY + timedelta(days=6))
    do_cancel_visit(front_desk, visit, reason="x")
    recipients = list(SlotOffer.objects.get().recipients.select_related("patient__user"))
    barrier = threading.Barrier(len(recipients))
    outcomes: list[str] = []

    def accept(r: Any) -> None:
        try:
            barrier.wait()
            try:
                do_accept_offer(r.patient.user, r)
                outcomes.append("won")
            except OfferGone as exc:
                outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(r,)) for r in recipients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("won") == 1 and len(outcomes) == 4
    assert Visit.objects.filter(starts_at=visit.starts_at, status=VisitStatus.BOOKED).count() == 1


@pytest.mark.django_db
def test_an_offer_never_goes_to_someone_who_cannot_come_that_day(front_desk: Any, provider: Any, course: Any,
                                                                 chairs: Any, clinic: Any, at: Any) -> None:
    visit = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY + timedelta(days=2), "10:00"))  # Wed
    tue_thu = make_patient(clinic)
    do_create_course(provider, tue_thu, indication_code="F33.1", earliest_on=MONDAY)
    do_set_availability(tue_thu.user, tue_thu, weekdays=[1, 3], from_time=time(8), until_time=time(18))
    do_cancel_visit(front_desk, visit, reason="x")
    assert not SlotOffer.objects.exists()


@pytest.mark.django_db
def test_an_offer_disappears_once_the_course_is_booked_another_way(front_desk: Any, provider: Any, course: Any,
                                                                   chairs: Any, clinic: Any, at: Any) -> None:
    visit = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY + timedelta(days=2), "10:00"))
    a = make_patient(clinic)
    waiting = booster(provider, a, MONDAY, MONDAY + timedelta(days=6))
    do_cancel_visit(front_desk, visit, reason="x")
    now = at(clinic, FRIDAY_BEFORE, "12:00")
    assert len(open_offers_for_patient(a.pk, now=now)) == 1
    do_book_visit(front_desk, waiting, chairs[1], at(clinic, MONDAY, "09:00"))
    assert open_offers_for_patient(a.pk, now=now) == []
