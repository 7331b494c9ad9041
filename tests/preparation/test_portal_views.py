"""Portal pages of a visit's preparation, tried as every persona (ARCHITECTURE.md)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.preparation.models import PreparationPlan, RideDetails


def status_of(client: Any, url: str) -> int:
    return int(client.get(url).status_code)


PAGES = ["preparation:visit", "preparation:visit_ics", "preparation:ride", "preparation:attest"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_visit_pages_ladder(name: str, visit: Any, login: Any, anon: Any, patient: Any, other_patient: Any,
                            nurse: Any, front_desk: Any, admin_user: Any, other_clinic_nurse: Any) -> None:
    url = reverse(name, args=[visit.pk])
    assert status_of(login(patient.user), url) == 200          # owner
    assert status_of(login(front_desk), url) == 200            # permitted colleague (phones patients)
    assert status_of(login(nurse), url) == 200                 # permitted colleague
    assert status_of(login(admin_user), url) == 404            # staff without patient access
    assert status_of(login(other_clinic_nurse), url) == 404    # other clinic: same as missing
    assert status_of(login(other_patient.user), url) == 404    # another patient
    assert anon.get(url).status_code == 302                    # anonymous → sign in


@pytest.mark.django_db
def test_health_update_ladder(visit: Any, login: Any, anon: Any, patient: Any, other_patient: Any, nurse: Any,
                              front_desk: Any, admin_user: Any, other_clinic_nurse: Any) -> None:
    url = reverse("preparation:health_update", args=[visit.pk])
    assert status_of(login(patient.user), url) == 200
    assert status_of(login(nurse), url) == 200
    assert status_of(login(front_desk), url) == 200  # takes it over the phone
    assert status_of(login(admin_user), url) == 404
    assert status_of(login(other_clinic_nurse), url) == 404
    assert status_of(login(other_patient.user), url) == 404
    assert anon.get(url).status_code == 302


@pytest.mark.django_db
def test_intentions_are_for_the_patient_only(visit: Any, login: Any, anon: Any, patient: Any,
                                             other_patient: Any, nurse: Any, other_clinic_nurse: Any) -> None:
    url = reverse("preparation:intentions", args=[visit.pk])
    assert status_of(login(patient.user), url) == 200
    assert status_of(login(nurse), url) == 404
    assert status_of(login(other_clinic_nurse), url) == 404
    assert status_of(login(other_patient.user), url) == 404
    assert anon.get(url).status_code == 302
    client = login(patient.user)
    client.post(url, {"text": "I want to feel lighter.", "shared": ""})
    plan_page = login(nurse).get(reverse("preparation:visit", args=[visit.pk])).content.decode()
    assert "I want to feel lighter." not in plan_page  # private
    client.post(url, {"text": "I want to feel lighter.", "shared": "on"})
    plan_page = login(nurse).get(reverse("preparation:visit", args=[visit.pk])).content.decode()
    assert "I want to feel lighter." in plan_page  # shared


@pytest.mark.django_db
def test_the_plan_page_builds_the_plan_and_shows_clock_times(visit: Any, login: Any, patient: Any) -> None:
    body = login(patient.user).get(reverse("preparation:visit", args=[visit.pk])).content.decode()
    assert PreparationPlan.objects.filter(visit=visit).exists()
    assert "Stop eating solid food by 4:00 AM on Tuesday, March 16" in body
    assert "Please arrive at the clinic by 9:45 AM on Tuesday, March 16" in body
    assert "Headphones" in body and "Your laptop." in body
    assert "988" in body


@pytest.mark.django_db
def test_staff_reading_a_plan_is_audited(visit: Any, login: Any, nurse: Any, patient: Any) -> None:
    login(nurse).get(reverse("preparation:visit", args=[visit.pk]))
    login(patient.user).get(reverse("preparation:visit", args=[visit.pk]))
    assert AuditEvent.objects.filter(action="PREPARATION_VIEWED").count() == 1


@pytest.mark.django_db
def test_the_calendar_file_has_the_visit_and_the_cutoffs(visit: Any, login: Any, patient: Any) -> None:
    response = login(patient.user).get(reverse("preparation:visit_ics", args=[visit.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    assert text.count("BEGIN:VEVENT") == 3
    assert "DTSTART:20270316T134500Z" in text  # arrive by 09:45 EDT
    assert "DTSTART:20270316T080000Z" in text  # last solid food 04:00 EDT


@pytest.mark.django_db
def test_ride_form_keeps_what_was_typed_and_confirms_once(visit: Any, login: Any, patient: Any) -> None:
    client = login(patient.user)
    url = reverse("preparation:ride", args=[visit.pk])
    response = client.post(url, {"kind": "adult", "escort_name": "Sam Reyes", "escort_phone": "x",
                                 "relationship": "brother", "confirm": "on"})
    body = response.content.decode()
    assert response.status_code == 200 and "Please give their phone number" in body
    assert 'value="Sam Reyes"' in body  # what was typed is kept
    data = {"kind": "adult", "escort_name": "Sam Reyes", "escort_phone": "207-555-0188",
            "relationship": "brother", "confirm": "on"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # double submit
    assert RideDetails.objects.count() == 1
    plan = PreparationPlan.objects.get(visit=visit)
    assert plan.ride_confirmed_at is not None
    assert AuditEvent.objects.filter(action="RIDE_CONFIRMED").count() == 1


@pytest.mark.django_db
def test_a_car_service_alone_is_not_an_escort(visit: Any, login: Any, patient: Any) -> None:
    response = login(patient.user).post(reverse("preparation:ride", args=[visit.pk]),
                                        {"kind": "car_service", "car_service_name": "City Cabs", "confirm": "on"})
    assert "Please give the name of the adult" in response.content.decode()
    assert not RideDetails.objects.exists()


@pytest.mark.django_db
def test_breathing_page_uses_a_static_script_only(login: Any, anon: Any, patient: Any) -> None:
    body = login(patient.user).get(reverse("preparation:breathing")).content.decode()
    assert "breathing.js" in body and "<script>" not in body and "style=" not in body
    assert anon.get(reverse("preparation:breathing")).status_code == 302
