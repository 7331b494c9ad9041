"""Every form post of the schedule and course pages, tried by people who may not make it:
a staff role without patient access, another clinic's nurse (for this clinic's records), a
patient, another patient and anonymous. None of them changes anything."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.schedule.actions import do_book_visit, do_cancel_visit
from ketaclinic.schedule.feeds import do_create_feed
from ketaclinic.schedule.models import Proposal, SlotOffer
from tests.schedule.conftest import MONDAY


@pytest.fixture(autouse=True)
def _before_monday() -> Any:
    with time_machine.travel(MONDAY - timedelta(days=3), tick=False) as traveller:
        yield traveller


@pytest.mark.django_db
def test_outsiders_cannot_post_anything(login: Any, anon: Any, chairs: Any, course: Any, other_course: Any,
                                        front_desk: Any, provider: Any, admin_user: Any, other_clinic_nurse: Any,
                                        patient: Any, other_patient: Any, nurse: Any, clinic: Any, at: Any) -> None:
    from ketaclinic.courses.actions import do_create_course
    from ketaclinic.courses.models import CourseKind
    from ketaclinic.schedule.models import ClosedDay, NurseShift

    visit = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY + timedelta(days=2), "10:00"))
    do_create_course(provider, other_patient, indication_code="F33.2", kind=CourseKind.MAINTENANCE,
                     earliest_on=MONDAY, latest_start_on=MONDAY + timedelta(days=6))
    other_course.status = "cancelled"  # keep the waitlist to the booster
    other_course.save()
    do_cancel_visit(front_desk, visit, reason="x")
    offer = SlotOffer.objects.get()
    recipient = offer.recipients.get()
    proposal = Proposal.objects.create(clinic=clinic, first_day=MONDAY, last_day=MONDAY, method="greedy",
                                       instance={}, plan={"assignments": []}, created_at=visit.created_at)
    closed = ClosedDay.objects.create(clinic=clinic, date=MONDAY + timedelta(days=30))
    shift = NurseShift.objects.filter(clinic=clinic).first()
    feed, _ = do_create_feed(front_desk, clinic, "chair", chair=chairs[0])
    booked = do_book_visit(front_desk, course, chairs[1], at(clinic, MONDAY, "10:00"))
    staff_posts = [
        (reverse("schedule:book"), {"course": course.pk, "chair": chairs[0].pk, "day": "2027-01-05",
                                     "start": "09:00"}),
        (reverse("schedule:move", args=[booked.pk]), {"chair": chairs[0].pk, "day": "2027-01-05", "start": "09:00"}),
        (reverse("schedule:cancel", args=[booked.pk]), {"reason": "x"}),
        (reverse("schedule:no_show", args=[booked.pk]), {}),
        (reverse("schedule:propose"), {"method": "greedy"}),
        (reverse("schedule:proposal", args=[proposal.pk]), {"course": course.pk}),
        (reverse("schedule:proposal_close", args=[proposal.pk]), {}),
        (reverse("schedule:offer_withdraw", args=[offer.pk]), {}),
        (reverse("schedule:availability", args=[patient.pk]), {"weekdays": ["1"], "from_time": "09:00",
                                                                "until_time": "12:00"}),
        (reverse("schedule:hours"), {"open_0": "09:00", "close_0": "10:00"}),
        (reverse("schedule:closed_add"), {"date": "2027-02-01", "reason": "x"}),
        (reverse("schedule:closed_remove", args=[closed.pk]), {}),
        (reverse("schedule:chair_add"), {"name": "Chair 9"}),
        (reverse("schedule:chair_toggle", args=[chairs[0].pk]), {}),
        (reverse("schedule:chair_edit", args=[chairs[0].pk]), {"name": "Chair 9", "monitor_device_id": "M9"}),
        (reverse("schedule:shift_add"), {"nurse": nurse.pk, "day": "2027-02-01", "start": "08:00", "end": "12:00",
                                          "repeat_weeks": 1}),
        (reverse("schedule:shift_remove", args=[shift.pk]), {}),  # type: ignore[union-attr]
        (reverse("schedule:staff_feed_add"), {"kind": "chair", "chair": chairs[0].pk}),
        (reverse("schedule:staff_feed_revoke", args=[feed.pk]), {}),
        (reverse("courses:amend", args=[course.pk]), {"reason": "x"}),
        (reverse("courses:maintenance", args=[course.pk]), {"intervals": "7"}),
        (reverse("courses:book_boosters", args=[course.pk]), {}),
        (reverse("courses:stop", args=[course.pk]), {"reason": "x"}),
    ]
    patient_posts = [
        (reverse("schedule:my_reschedule", args=[booked.pk]), {"slot": "2027-01-05T09:00:00-05:00"}),
        (reverse("schedule:my_cancel", args=[booked.pk]), {"reason": ""}),
        (reverse("schedule:my_offer", args=[recipient.pk]), {"answer": "accept"}),
    ]
    before = AuditEvent.objects.count()
    outsiders = [login(admin_user), login(patient.user), login(other_patient.user)]
    elsewhere = login(other_clinic_nurse)
    for url, data in staff_posts:
        for client in outsiders:
            assert client.post(url, data).status_code == 404, url
        assert anon.post(url, data).status_code == 302, url
        if any(ch.isdigit() for ch in url):
            # this clinic's visit, course, offer, shift…: another clinic's nurse gets 404
            assert elsewhere.post(url, data).status_code == 404, url
    for url, data in patient_posts:
        # the booked visit is `patient`'s and the offer is `other_patient`'s: everyone else gets 404
        for client in (login(admin_user), login(other_clinic_nurse), login(front_desk)):
            assert client.post(url, data).status_code == 404, url
        assert anon.post(url, data).status_code == 302, url
    assert login(other_patient.user).post(patient_posts[0][0], patient_posts[0][1]).status_code == 404
    assert login(patient.user).post(patient_posts[2][0], patient_posts[2][1]).status_code == 404
    assert AuditEvent.objects.count() == before  # nothing was written
