"""Waiting patients are messaged about a freed slot (in their language); those who lose the race see
"that time was taken" in the portal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.notifications.models import OutboundMessage
from ketaclinic.schedule.actions import do_book_visit, do_cancel_visit
from ketaclinic.schedule.models import SlotOffer
from ketaclinic.schedule.notify import OFFER_KIND
from ketaclinic.schedule.offers import do_accept_offer, taken_offers_for_patient
from tests.factories import make_patient
from tests.schedule.conftest import MONDAY, booster

FRIDAY_BEFORE = MONDAY - timedelta(days=3)


@pytest.fixture(autouse=True)
def _before_monday() -> Any:
    with time_machine.travel(FRIDAY_BEFORE, tick=False) as traveller:
        yield traveller



def _offer_two(front_desk: Any, provider: Any, course: Any, chairs: Any, clinic: Any, at: Any) -> tuple[Any, Any]:
    visit = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY + timedelta(days=2), "10:00"))
    english = make_patient(clinic)
    spanish = make_patient(clinic, preferred_language="es")
    booster(provider, english, MONDAY, MONDAY + timedelta(days=6))
    booster(provider, spanish, MONDAY, MONDAY + timedelta(days=6))
    do_cancel_visit(front_desk, visit, reason="Patient unwell")
    return english, spanish


@pytest.mark.django_db
def test_each_waiting_patient_who_fits_gets_one_message_with_a_portal_link(front_desk: Any, provider: Any,
                                                                          course: Any, chairs: Any, clinic: Any,
                                                                          at: Any, settings: Any) -> None:
    english, spanish = _offer_two(front_desk, provider, course, chairs, clinic, at)
    offer = SlotOffer.objects.get()
    mine = OutboundMessage.objects.get(patient=english, kind=OFFER_KIND)
    assert mine.subject == "A visit time opened up: 10:00 AM on Wednesday, January 6"
    assert f"{settings.SITE_URL}/schedule/my/#offer-{offer.pk}" in mine.body
    assert "first person to say yes" in mine.body
    assert OutboundMessage.objects.filter(kind=OFFER_KIND, patient=course.patient).count() == 0  # not the canceller
    # in their own language, usted form
    theirs = OutboundMessage.objects.get(patient=spanish, kind=OFFER_KIND)
    assert theirs.subject == "Hay un horario libre: el miércoles 6 de enero a las 10:00 a. m."
    assert "Para aceptarlo, entre aquí" in theirs.body and "Llámenos" in theirs.body


@pytest.mark.django_db
def test_a_cancelled_cancellation_sends_nothing(front_desk: Any, provider: Any, course: Any, chairs: Any,
                                               clinic: Any, at: Any) -> None:
    from django.db import transaction

    visit = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY + timedelta(days=2), "10:00"))
    booster(provider, make_patient(clinic), MONDAY, MONDAY + timedelta(days=6))

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        do_cancel_visit(front_desk, visit, reason="x")
        assert OutboundMessage.objects.filter(kind=OFFER_KIND).exists()
        raise Undo
    assert not OutboundMessage.objects.filter(kind=OFFER_KIND).exists()


@pytest.mark.django_db
def test_the_others_see_that_the_time_was_taken(front_desk: Any, provider: Any, course: Any, chairs: Any,
                                                clinic: Any, at: Any, login: Any) -> None:
    english, spanish = _offer_two(front_desk, provider, course, chairs, clinic, at)
    offer = SlotOffer.objects.get()
    winner = offer.recipients.get(patient=english)
    do_accept_offer(english.user, winner)
    now = at(clinic, FRIDAY_BEFORE, "12:00")
    assert [r.offer_id for r in taken_offers_for_patient(spanish.pk, now=now)] == [offer.pk]
    assert taken_offers_for_patient(english.pk, now=now) == []   # the winner is not told it was taken
    page = login(spanish.user).get(reverse("schedule:my_visits")).content.decode()
    assert f'id="offer-{offer.pk}"' in page
    won = login(english.user).get(reverse("schedule:my_visits")).content.decode()
    assert "That time was taken" not in won
