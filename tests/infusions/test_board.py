"""The floor board: who sees it, what it shows, live polling, and a bounded number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic.infusions.actions import do_record_pump_event, do_record_vitals, do_request_nurse
from tests.factories import make_patient
from tests.infusions.conftest import at, book_visit

pytestmark = pytest.mark.django_db
URL = "/infusions/"


def test_the_url_name_is_the_board() -> None:
    assert reverse("infusions:board") == URL


def test_a_nurse_sees_every_phase_alerts_calls_and_overdue(login: Any, nurse: Any, patient: Any,
                                                           ready_visit: Any, frozen: Any) -> None:
    do_record_pump_event(nurse, ready_visit, "start", now=at(9, 15))
    do_record_vitals(nurse, ready_visit, heart_rate=130, now=at(9, 20))
    do_request_nurse(patient.user, ready_visit, now=at(9, 40))
    frozen.move_to(at(9, 45))
    body = login(nurse).get(URL).content.decode()
    assert patient.display_name in body and "Infusing" in body
    assert "OVERDUE" in body  # due 9:30 (every 10 min), now 9:45: colour class and the word
    assert 'class="overdue"' in body
    assert "Heart rate 130/min" in body and "Calling since 09:40" in body
    assert 'hx-trigger="every 10s"' in body and 'name="poll"' in body


def test_htmx_polls_get_only_the_rows(login: Any, nurse: Any, ready_visit: Any) -> None:
    response = login(nurse).get(URL, headers={"HX-Request": "true", "HX-Trigger-Name": "poll"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<table" in body and "<html" not in body


def test_front_desk_sees_the_board_without_clinical_columns(login: Any, front_desk: Any, patient: Any,
                                                            chair: Any, provider: Any, frozen: Any) -> None:
    visit = book_visit(patient, chair, provider, front_desk, at(13, 0), status="booked")
    body = login(front_desk).get(URL).content.decode()
    assert patient.display_name in body and "Mark arrived" in body and "Next vitals" not in body
    response = login(front_desk).post(reverse("infusions:arrive", args=[visit.pk]))
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == "arrived"


def test_others_cannot_see_this_board(login: Any, anon: Any, patient: Any, other_clinic_nurse: Any,
                                      admin_user: Any, ready_visit: Any) -> None:
    assert login(patient.user).get(URL).status_code == 404
    assert login(admin_user).get(URL).status_code == 404
    other = login(other_clinic_nurse).get(URL)
    assert other.status_code == 200 and patient.display_name not in other.content.decode()
    assert anon.get(URL).status_code == 302
    assert login(other_clinic_nurse).post(reverse("infusions:arrive", args=[ready_visit.pk])).status_code == 404


def _board_queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_board_query_count_does_not_grow_with_rows(login: Any, nurse: Any, clinic: Any, provider: Any,
                                                       front_desk: Any, frozen: Any) -> None:
    from ketaclinic.schedule.actions import do_create_chair

    def add(n: int) -> None:
        chair = do_create_chair(None, clinic, f"Chair Q{n}")
        visit = book_visit(make_patient(clinic), chair, provider, front_desk, at(9, 0))
        do_record_vitals(nurse, visit, systolic=170, diastolic=100, now=at(9, 5))

    client = login(nurse)
    add(0)
    one = _board_queries(client)
    for n in range(1, 20):
        add(n)
    # session, user, 2FA device, memberships, clinic, protocol version, visits (+patient, chair, course),
    # vitals, pump events, open alerts, open calls, discharge scores, chairs: the same for 1 or 20 rows
    assert _board_queries(client) == one


def test_the_board_calls_out_a_pump_past_its_programmed_time(login: Any, nurse: Any, ready_visit: Any,
                                                             frozen: Any) -> None:
    do_record_pump_event(nurse, ready_visit, "start", now=at(9, 15))
    frozen.move_to(at(10, 2))
    assert "PUMP PAST PROGRAMMED TIME" in login(nurse).get(URL).content.decode()
