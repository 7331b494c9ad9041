"""Every infusion page as each persona; forms keep what was typed; the board's query count is bounded."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.infusions.actions import (
    do_record_adverse_event,
    do_record_observation,
    do_record_pump_event,
    do_record_vitals,
)
from ketaclinic.infusions.models import VitalSign
from tests.infusions.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def charted(ready_visit: Any, nurse: Any, provider: Any) -> Any:
    """A visit mid-infusion with vitals, an alert, an observation and an adverse event."""
    do_record_pump_event(nurse, ready_visit, "start", now=at(9, 15))
    do_record_vitals(nurse, ready_visit, systolic=150, diastolic=90, heart_rate=125, spo2=97, respiratory_rate=14,
                     now=at(9, 25))
    do_record_observation(nurse, ready_visit, "cadss6", value=6, now=at(9, 30))
    do_record_adverse_event(nurse, ready_visit, event_type="nausea", severity="mild", action_taken="reassured",
                            now=at(9, 31))
    return ready_visit


def visit_pages(visit: Any) -> list[str]:
    return [reverse("infusions:visit", args=[visit.pk]), reverse("infusions:record", args=[visit.pk]),
            reverse("infusions:aftercare", args=[visit.pk])]


def test_clinical_staff_see_the_visit_pages(login: Any, nurse: Any, provider: Any, charted: Any) -> None:
    for user in (nurse, provider):
        client = login(user)
        for url in visit_pages(charted):
            response = client.get(url)
            assert response.status_code == 200, url
    page = login(nurse).get(reverse("infusions:visit", args=[charted.pk])).content.decode()
    assert "Heart rate 125/min" in page and "Acknowledge" in page and "nausea" in page
    record = login(nurse).get(reverse("infusions:record", args=[charted.pk])).content.decode()
    assert "<svg" in record and "<polyline" in record and "Signatures" in record


def test_others_get_404_and_anonymous_goes_to_sign_in(login: Any, anon: Any, front_desk: Any, admin_user: Any,
                                                      other_clinic_nurse: Any, patient: Any, other_patient: Any,
                                                      charted: Any) -> None:
    for user in (front_desk, admin_user, other_clinic_nurse, patient.user, other_patient.user):
        client = login(user)
        for url in visit_pages(charted):
            assert client.get(url).status_code == 404, (user, url)
    for url in visit_pages(charted):
        response = anon.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_only_a_prescriber_opens_the_order_page(login: Any, nurse: Any, provider: Any, patient: Any,
                                                other_clinic_nurse: Any, anon: Any, ready_visit: Any) -> None:
    url = reverse("infusions:order", args=[ready_visit.pk])
    assert login(provider).get(url).status_code == 200
    assert login(nurse).get(url).status_code == 403
    assert login(other_clinic_nurse).get(url).status_code == 404
    assert login(patient.user).get(url).status_code == 404
    assert anon.get(url).status_code == 302


def test_the_order_preview_shows_findings_and_keeps_the_form(login: Any, provider: Any, visit: Any,
                                                             nurse: Any) -> None:
    from ketaclinic.infusions.actions import do_take_patient
    from tests.infusions.conftest import complete_checkin

    do_take_patient(nurse, visit, visit.chair, now=at(9, 1))
    complete_checkin(nurse, visit)
    url = reverse("infusions:order", args=[visit.pk])
    data = {"dose_mg_per_kg": "0.8", "weight_basis": "actual", "concentration_mg_per_ml": "10",
            "bag_volume_ml": "100", "duration_minutes": "40"}
    page = login(provider).post(url, {**data, "calculate": "1"})
    assert page.status_code == 200 and "Warning" in page.content.decode()
    refused = login(provider).post(url, {**data, "sign": "1"})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Acknowledge the findings with a reason." in body and 'value="0.8' in body


def test_bad_vitals_keep_what_was_typed(login: Any, nurse: Any, ready_visit: Any) -> None:
    response = login(nurse).post(reverse("infusions:vitals", args=[ready_visit.pk]),
                                 {"systolic": "80", "diastolic": "120", "heart_rate": "77"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "higher than diastolic" in body and 'value="77"' in body
    assert VitalSign.objects.filter(visit=ready_visit).count() == 1  # only the baseline set


def test_vitals_post_by_keyboard_form(login: Any, nurse: Any, ready_visit: Any) -> None:
    response = login(nurse).post(reverse("infusions:vitals", args=[ready_visit.pk]),
                                 {"systolic": "130", "diastolic": "80", "heart_rate": "77", "spo2": "98",
                                  "respiratory_rate": "14"})
    assert response.status_code == 302
    assert VitalSign.objects.filter(visit=ready_visit, heart_rate=77).exists()


def test_front_desk_posts_to_clinical_urls_get_404(login: Any, front_desk: Any, ready_visit: Any) -> None:
    client = login(front_desk)
    for name in ("vitals", "pump", "checkin", "discharge", "observation", "adverse_event", "override"):
        assert client.post(reverse(f"infusions:{name}", args=[ready_visit.pk]), {}).status_code == 404, name


def test_the_cs_log_is_for_clinical_staff(login: Any, nurse: Any, front_desk: Any, patient: Any, anon: Any,
                                          clinic: Any) -> None:
    url = reverse("infusions:cs_log")
    assert login(nurse).get(url).status_code == 200
    assert login(front_desk).get(url).status_code == 404
    assert login(patient.user).get(url).status_code == 404
    assert anon.get(url).status_code == 302


def test_the_pump_form_offers_only_what_is_possible_now(login: Any, nurse: Any, ready_visit: Any) -> None:
    url = reverse("infusions:visit", args=[ready_visit.pk])
    before = login(nurse).get(url).content.decode()
    assert '<option value="start"' in before and '<option value="stop"' not in before
    do_record_pump_event(nurse, ready_visit, "start", now=at(9, 15))
    running = login(nurse).get(url).content.decode()
    assert '<option value="start"' not in running and '<option value="pause"' in running
    assert '<option value="stop"' in running and '<option value="resume"' not in running


def test_record_level_urls_refuse_other_clinics_and_patients(login: Any, nurse: Any, other_clinic_nurse: Any,
                                                             patient: Any, anon: Any, charted: Any) -> None:
    from ketaclinic.infusions.models import AdverseEvent, VitalAlert

    vital = VitalSign.objects.filter(visit=charted).last()
    alert = VitalAlert.objects.filter(visit=charted).first()
    event = AdverseEvent.objects.filter(visit=charted).first()
    assert vital is not None and alert is not None and event is not None
    urls = [reverse("infusions:amend_vitals", args=[vital.pk]), reverse("infusions:confirm_vitals", args=[vital.pk]),
            reverse("infusions:ack_alert", args=[alert.pk]),
            reverse("infusions:amend_adverse_event", args=[event.pk])]
    data = {"action_taken": "x", "reason": "x", "systolic": "120", "outcome": "x"}
    for user in (other_clinic_nurse, patient.user):
        for url in urls:
            assert login(user).post(url, data).status_code == 404, (user, url)
    for url in urls:
        assert anon.post(url, data).status_code == 302
    alert.refresh_from_db()
    assert alert.status == "open" and VitalSign.objects.filter(visit=charted).count() == 2
    assert login(nurse).post(reverse("infusions:ack_alert", args=[alert.pk]), {"action_taken": "rechecked"}
                             ).status_code == 302
    alert.refresh_from_db()
    assert alert.status == "acknowledged"


def test_a_pump_running_past_its_programmed_time_is_called_out(login: Any, nurse: Any, ready_visit: Any,
                                                                frozen: Any) -> None:
    do_record_pump_event(nurse, ready_visit, "start", now=at(9, 15))
    url = reverse("infusions:visit", args=[ready_visit.pk])
    frozen.move_to(at(9, 50))
    assert "PAST THE PROGRAMMED TIME" not in login(nurse).get(url).content.decode()
    frozen.move_to(at(10, 2))
    assert "PAST THE PROGRAMMED TIME" in login(nurse).get(url).content.decode()


def test_stock_disposal_form_keeps_what_was_typed_and_is_for_licensed_staff_of_the_clinic(
        login: Any, nurse: Any, nurse2: Any, front_desk: Any, other_clinic_nurse: Any, patient: Any, anon: Any,
        clinic: Any) -> None:
    from ketaclinic.infusions.actions import do_receive_stock
    from ketaclinic.infusions.models import ControlledSubstanceEntry
    from tests.factories import PASSWORD

    do_receive_stock(nurse, clinic, lot="L9", expires_on=at(0).date(), concentration_mg_per_ml=10, mg=100)
    url = reverse("infusions:cs_dispose")
    data = {"lot": "L9", "mg": "40", "method": "on_site", "reference": "F41-0007",
            "reason": "Vial cracked", "witness_email": nurse2.email, "witness_password": "wrong"}
    bad = login(nurse).post(url, data)
    assert bad.status_code == 400 and "F41-0007" in bad.content.decode() and "Vial cracked" in bad.content.decode()
    assert login(front_desk).post(url, {**data, "witness_password": PASSWORD}).status_code == 404
    assert login(patient.user).post(url, {**data, "witness_password": PASSWORD}).status_code == 404
    assert anon.post(url, {**data, "witness_password": PASSWORD}).status_code == 302
    other = login(other_clinic_nurse).post(url, {**data, "witness_password": PASSWORD})
    assert other.status_code == 400  # lot L9 is not in that clinic's stock
    assert not ControlledSubstanceEntry.objects.filter(kind="disposed").exists()
    ok = login(nurse).post(url, {**data, "witness_password": PASSWORD})
    assert ok.status_code == 302
    entry = ControlledSubstanceEntry.objects.get(kind="disposed")
    assert entry.clinic == clinic and entry.mg == 40 and entry.disposal_method == "on_site"
    page = login(nurse).get(reverse("infusions:cs_log")).content.decode()
    assert "F41-0007" in page and "Destroyed on site (DEA Form 41)" in page
