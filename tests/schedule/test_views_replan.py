"""The re-plan and move-course pages, as every persona; the proposal's moves list has a bounded query count."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.notifications.models import OutboundMessage
from ketaclinic.schedule.actions import do_book_course, do_book_visit, do_set_availability
from ketaclinic.schedule.models import Proposal, Visit
from ketaclinic.schedule.rules import Placement
from tests.factories import make_patient
from tests.schedule.conftest import MONDAY, booster

FRIDAY_BEFORE = MONDAY - timedelta(days=3)


@pytest.fixture(autouse=True)
def _before_monday() -> Any:
    with time_machine.travel(FRIDAY_BEFORE, tick=False) as traveller:
        yield traveller



@pytest.fixture
def crowded(front_desk: Any, provider: Any, chairs: Any, clinic: Any, at: Any) -> Any:
    for chair in chairs:
        course = booster(provider, make_patient(clinic), MONDAY, MONDAY + timedelta(days=2))
        do_book_course(front_desk, course, [Placement(chair, at(clinic, MONDAY, "08:00"))])
    b = make_patient(clinic)
    waiting = booster(provider, b, MONDAY, MONDAY)
    do_set_availability(b.user, b, weekdays=[0], from_time=time(8), until_time=time(10))
    return waiting


@pytest.mark.django_db
def test_front_desk_replans_reviews_and_accepts_a_move_then_books(login: Any, front_desk: Any, crowded: Any,
                                                                  clinic: Any) -> None:
    client = login(front_desk)
    response = client.post(reverse("schedule:replan"), {"move_penalty": "1", "method": "cpsat"})
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "Proposed moves of booked visits" in page and "Accept all 1 move" in page
    move = proposal.waiting["moves"][0]
    visit = Visit.objects.select_related("patient").get(pk=move["visit"])
    assert visit.patient.last_name in page
    client.post(reverse("schedule:proposal_move", args=[proposal.pk]), {"visit": move["visit"], "answer": "accept"})
    visit.refresh_from_db()
    assert visit.starts_at.isoformat() != move["from"]["start"]
    # no preparation plan yet: the schedule's own "visit moved" notice, once
    assert OutboundMessage.objects.filter(patient=visit.patient, kind="schedule.visit_moved").values(
        "dedupe_key").distinct().count() == 1
    page = client.get(reverse("schedule:proposal", args=[proposal.pk])).content.decode()
    assert "Moved (" in page
    # the waiting course now books from the same page
    item = next(a for a in proposal.plan["assignments"] if a["course"] == f"K{crowded.pk}")
    day, start = item["start"].split("T")
    response = client.post(reverse("schedule:proposal", args=[proposal.pk]),
                           {"course": crowded.pk, "chair_0": item["chair"][1:], "day_0": day, "start_0": start})
    assert response.status_code == 302
    assert Visit.objects.filter(course=crowded).count() == 1


@pytest.mark.django_db
def test_replan_pages_ladder(login: Any, anon: Any, front_desk: Any, nurse: Any, admin_user: Any,
                             other_clinic_nurse: Any, patient: Any, other_patient: Any, crowded: Any,
                             clinic: Any, course: Any, chairs: Any, at: Any) -> None:
    do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY + timedelta(days=3), "09:00"))
    login(front_desk).post(reverse("schedule:replan"), {"move_penalty": "1"})
    proposal = Proposal.objects.get()
    move = proposal.waiting["moves"][0]
    before = AuditEvent.objects.count()
    posts = [(reverse("schedule:replan"), {"move_penalty": "1"}),
             (reverse("schedule:proposal_move", args=[proposal.pk]), {"visit": move["visit"], "answer": "accept"}),
             (reverse("schedule:move_course", args=[course.pk]), {"action": "accept"})]
    for url, data in posts:
        for client in (login(admin_user), login(patient.user), login(other_patient.user)):
            assert client.post(url, data).status_code == 404, url
        assert anon.post(url, data).status_code == 302, url
        if url != posts[0][0]:
            assert login(other_clinic_nurse).post(url, data).status_code == 404, url
    # another clinic's nurse re-plans their own clinic (none of this clinic's records)
    login(other_clinic_nurse).post(posts[0][0], posts[0][1])
    assert Proposal.objects.filter(clinic=clinic).count() == 1
    url = reverse("schedule:move_course", args=[course.pk]) + "?new_first=2027-01-11"
    for client in (login(admin_user), login(other_clinic_nurse), login(patient.user), login(other_patient.user)):
        assert client.get(url).status_code == 404
    assert anon.get(url).status_code == 302
    assert AuditEvent.objects.count() == before
    assert login(nurse).get(url).status_code == 200          # a permitted colleague (schedule readers)
    assert login(front_desk).get(url).status_code == 200      # the owner of the schedule
    page = login(front_desk).get(reverse("schedule:proposal", args=[proposal.pk]))
    assert page.status_code == 200
    assert login(other_clinic_nurse).get(reverse("schedule:proposal", args=[proposal.pk])).status_code == 404


@pytest.mark.django_db
def test_move_course_page_proposes_then_moves_everything(login: Any, front_desk: Any, course: Any, chairs: Any,
                                                         clinic: Any, at: Any) -> None:
    days = [MONDAY + timedelta(days=d) for d in (0, 2, 4, 7, 9, 11)]
    do_book_course(front_desk, course, [Placement(chairs[0], at(clinic, d, "09:00")) for d in days])
    client = login(front_desk)
    url = reverse("schedule:move_course", args=[course.pk])
    page = client.get(url + "?new_first=2027-01-11").content.decode()
    assert "Proposed new times" in page and "Move all 6 visits" in page
    assert AuditEvent.objects.filter(action="COURSE_MOVE_PROPOSED").count() == 1
    assert client.get(url + "?new_first=not-a-date").status_code == 400
    import re

    fields = dict(re.findall(r'name="((?:start|chair)_\d+)" value="([^"]+)"', page))
    response = client.post(url, {"action": "accept", "new_first": "2027-01-11", **fields})
    assert response.status_code == 302
    starts = sorted(v.starts_at.astimezone(clinic.zone).date() for v in Visit.objects.filter(course=course))
    assert starts[0] == MONDAY + timedelta(days=7)
    # the same post again (a double submit): already there, nothing written or sent twice
    again = client.post(url, {"action": "accept", "new_first": "2027-01-11", **fields})
    assert again.status_code == 302 and AuditEvent.objects.filter(action="COURSE_MOVED").count() == 1
    assert OutboundMessage.objects.filter(kind="schedule.course_moved").count() == 1


@pytest.mark.django_db
def test_proposal_moves_list_query_count_does_not_grow(login: Any, front_desk: Any, provider: Any, clinic: Any,
                                                       chairs: Any, at: Any) -> None:
    visits = []
    for i in range(20):
        c = booster(provider, make_patient(clinic), MONDAY, MONDAY + timedelta(days=20))
        visits.append(do_book_visit(front_desk, c, chairs[i % 2],
                                    at(clinic, MONDAY + timedelta(days=i // 2), "09:00")))

    def proposal_with(n: int) -> Proposal:
        moves = [{"visit": v.pk, "course": v.course_id,
                  "from": {"chair": v.chair_id, "start": v.starts_at.isoformat()},
                  "to": {"chair": v.chair_id, "start": (v.starts_at + timedelta(hours=2)).isoformat()}}
                 for v in visits[:n]]
        return Proposal.objects.create(clinic=clinic, first_day=MONDAY, last_day=MONDAY, method="cpsat",
                                       instance={}, plan={"assignments": []}, created_at=visits[0].created_at,
                                       waiting={"kind": "replan", "moves": moves, "courses": {}, "decisions": {}})

    client = login(front_desk)
    counts = []
    for n in (1, 20):
        url = reverse("schedule:proposal", args=[proposal_with(n).pk])
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(url).content.decode()
        assert body.count("move of ") == 2 * n
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_a_cancellation_offers_a_replan_to_fill_the_gap(login: Any, front_desk: Any, provider: Any, course: Any,
                                                        chairs: Any, clinic: Any, at: Any, other_clinic: Any) -> None:
    from ketaclinic.schedule.actions import do_cancel_visit
    from ketaclinic.schedule.models import SlotOffer

    visit = do_book_visit(front_desk, course, chairs[0], at(clinic, MONDAY + timedelta(days=2), "10:00"))
    booster(provider, make_patient(clinic), MONDAY, MONDAY + timedelta(days=6))
    do_cancel_visit(front_desk, visit, reason="Patient unwell")
    offer = SlotOffer.objects.get()
    client = login(front_desk)
    assert "Re-plan to fill this gap" in client.get(reverse("schedule:waitlist")).content.decode()
    assert "Re-plan to fill this gap" in client.get(reverse("schedule:day") + "?date=2027-01-06").content.decode()
    assert client.post(reverse("schedule:replan"), {"offer": offer.pk}).status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.waiting["offer"] == offer.pk and proposal.waiting["kind"] == "replan"
    SlotOffer.objects.filter(pk=offer.pk).update(clinic=other_clinic)   # an offer this desk cannot see
    assert client.post(reverse("schedule:replan"), {"offer": offer.pk}).status_code == 404
