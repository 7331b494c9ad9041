"""The demo clinic's scheduling part: availability, a waitlist and a cancellation to fill; twice is once."""

from __future__ import annotations

import pytest

from ketaclinic.courses.models import CourseStatus
from ketaclinic.demo.seed import seed
from ketaclinic.schedule.models import Availability, OfferStatus, SlotOffer, Visit, VisitStatus


@pytest.mark.django_db
def test_demo_has_availability_a_waitlist_and_a_cancellation_to_fill(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only this app's hook after the core, so other stages' demo work cannot mask or break this test.
    monkeypatch.setattr("ketaclinic.demo.seed.DEMO_HOOKS", ["ketaclinic.schedule.demo"])
    ctx = seed(log=lambda *a: None)
    clinic = ctx.clinic
    assert Availability.objects.filter(clinic=clinic).count() >= 4
    assert clinic.courses.filter(status=CourseStatus.REQUESTED).count() >= 4
    offer = SlotOffer.objects.get(clinic=clinic)
    assert offer.status == OfferStatus.OPEN and offer.recipients.exists()
    counts = (Availability.objects.count(), SlotOffer.objects.count(), Visit.objects.count(),
              clinic.courses.count())
    seed(log=lambda *a: None)
    assert (Availability.objects.count(), SlotOffer.objects.count(), Visit.objects.count(),
            clinic.courses.count()) == counts
    assert Visit.objects.filter(status=VisitStatus.CANCELLED).count() == 1
