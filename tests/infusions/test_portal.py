"""The patient's side: "call nurse" while in the chair (it shows on the board) and the next-day check-in."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.infusions.actions import do_discharge_patient, do_record_pump_event, do_score_discharge
from ketaclinic.infusions.models import CallRequest, FollowUp
from tests.infusions.conftest import at

pytestmark = pytest.mark.django_db
FULL = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "oxygen_saturation": 2}


def test_the_patient_home_shows_the_call_button_while_in_the_chair(login: Any, patient: Any,
                                                                   ready_visit: Any) -> None:
    home = login(patient.user).get("/").content.decode()
    assert "Call my nurse" in home
    url = reverse("infusions:call_nurse", args=[ready_visit.pk])
    assert login(patient.user).post(url).status_code == 302
    assert login(patient.user).post(url).status_code == 302  # a second tap
    assert CallRequest.objects.filter(visit=ready_visit).count() == 1
    assert "Your nurse has been called" in login(patient.user).get("/").content.decode()


def test_nobody_else_can_call_from_that_visit(login: Any, anon: Any, other_patient: Any, nurse: Any,
                                              ready_visit: Any) -> None:
    url = reverse("infusions:call_nurse", args=[ready_visit.pk])
    assert login(other_patient.user).post(url).status_code == 404
    assert login(nurse).post(url).status_code == 404
    assert anon.post(url).status_code == 302
    assert not CallRequest.objects.exists()
    assert "Call my nurse" not in login(other_patient.user).get("/").content.decode()


def test_a_nurse_answers_the_call(login: Any, nurse: Any, patient: Any, ready_visit: Any) -> None:
    login(patient.user).post(reverse("infusions:call_nurse", args=[ready_visit.pk]))
    call = CallRequest.objects.get()
    assert login(nurse).post(reverse("infusions:answer_call", args=[call.pk])).status_code == 302
    call.refresh_from_db()
    assert call.answered_by == nurse


@pytest.fixture
def follow_up(nurse: Any, ready_visit: Any) -> Any:
    do_record_pump_event(nurse, ready_visit, "start", now=at(9, 15))
    do_record_pump_event(nurse, ready_visit, "stop", now=at(9, 55))
    do_score_discharge(nurse, ready_visit, "aldrete", FULL, now=at(10, 26))
    do_discharge_patient(nurse, ready_visit, escort_name="Sam Reyes", escort_relationship="husband",
                         aftercare_given=True, now=at(10, 27))
    return FollowUp.objects.get(visit=ready_visit)


def test_the_next_day_check_in_is_answered_once_and_flags_the_nurse(login: Any, patient: Any, nurse: Any,
                                                                    follow_up: Any, frozen: Any) -> None:
    frozen.move_to(at(10, 5).replace(day=27))
    client = login(patient.user)
    assert "Answer the check-in" in client.get("/").content.decode()
    url = reverse("infusions:follow_up", args=[follow_up.pk])
    missing = client.post(url, {"feeling": "poor", "vomiting": "yes"})
    assert missing.status_code == 400
    assert 'value="poor" checked' in missing.content.decode()
    answers = {"feeling": "poor", "vomiting": "yes", "strange_feelings": "no", "urine_pain": "no",
               "headache": "yes", "mood_worse": "no", "self_harm": "yes"}
    page = client.post(url, answers, follow=True).content.decode()
    assert "988" in page and "A nurse will call you today" in page
    staff_home = login(nurse).get("/").content.decode()
    assert "Next-day check-ins to call back" in staff_home and "Ongoing vomiting" in staff_home
    login(nurse).post(reverse("infusions:review_follow_up", args=[follow_up.pk]))
    follow_up.refresh_from_db()
    assert follow_up.reviewed_by == nurse


def test_the_check_in_is_only_for_that_patient(login: Any, other_patient: Any, nurse: Any, anon: Any,
                                               follow_up: Any) -> None:
    url = reverse("infusions:follow_up", args=[follow_up.pk])
    assert login(other_patient.user).get(url).status_code == 404
    assert login(nurse).get(url).status_code == 404
    assert anon.get(url).status_code == 302


def test_discharge_queues_the_aftercare_and_next_day_messages(follow_up: Any) -> None:
    from ketaclinic.notifications.models import OutboundMessage

    kinds = set(OutboundMessage.objects.filter(patient=follow_up.visit.patient).values_list("kind", flat=True))
    assert {"aftercare", "next_day_checkin"} <= kinds
    body = OutboundMessage.objects.filter(kind="aftercare").first().body  # type: ignore[union-attr]
    assert "Do not drive" in body and "988" in body and "911" in body


def test_the_patient_chart_lists_infusions_for_clinical_staff(login: Any, nurse: Any, front_desk: Any,
                                                              patient: Any, ready_visit: Any) -> None:
    url = reverse("patients:chart", args=[patient.pk])
    assert "printable record" in login(nurse).get(url).content.decode()
    assert "printable record" not in login(front_desk).get(url).content.decode()


def test_the_patient_reads_their_aftercare_sheet_after_going_home(login: Any, patient: Any, other_patient: Any,
                                                                  nurse: Any, follow_up: Any) -> None:
    home = login(patient.user).get("/").content.decode()
    assert "Read your after-care sheet again" in home
    url = reverse("infusions:my_aftercare", args=[follow_up.visit_id])
    sheet = login(patient.user).get(url).content.decode()
    assert "Do not drive" in sheet and "988" in sheet and "911" in sheet
    assert login(other_patient.user).get(url).status_code == 404
    assert login(nurse).get(url).status_code == 404
