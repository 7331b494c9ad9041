"""Office hours: open or closed, what the patient sees, reply-by time, and who edits them."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.messaging.actions import MessagingError, do_update_messaging_settings
from ketaclinic.messaging.hours import OfficeHours, office_hours_for, parse_weekdays

NY = ZoneInfo("America/New_York")
WEEKDAYS = OfficeHours(frozenset({0, 1, 2, 3, 4}), time(9), time(17), 8, NY)


@pytest.mark.parametrize(("local", "open_"), [
    (datetime(2026, 3, 10, 9, 0), True), (datetime(2026, 3, 10, 16, 59), True), (datetime(2026, 3, 10, 17, 0), False),
    (datetime(2026, 3, 10, 8, 59), False), (datetime(2026, 3, 14, 12, 0), False)])  # 14 March is a Saturday
def test_is_open(local, open_):
    assert WEEKDAYS.is_open(local.replace(tzinfo=NY)) is open_


@pytest.mark.parametrize(("sent", "expected"), [
    (datetime(2026, 3, 10, 9, 0), datetime(2026, 3, 10, 17, 0)),    # a whole office day
    (datetime(2026, 3, 10, 13, 0), datetime(2026, 3, 11, 13, 0)),   # 4 h today, 4 h tomorrow
    (datetime(2026, 3, 13, 20, 0), datetime(2026, 3, 16, 17, 0)),   # Friday evening → Monday
    (datetime(2026, 3, 14, 10, 0), datetime(2026, 3, 16, 17, 0)),   # Saturday → Monday
])
def test_reply_by_counts_office_hours_only(sent, expected):
    assert WEEKDAYS.reply_by(sent.replace(tzinfo=NY)) == expected.replace(tzinfo=NY)


def test_describe_reads_plainly():
    assert WEEKDAYS.describe() == "Monday to Friday, 9:00 AM to 5:00 PM"
    odd = OfficeHours(frozenset({0, 2}), time(8, 30), time(12), 4, NY)
    assert odd.describe() == "Monday, Wednesday, 8:30 AM to 12:00 noon"


def test_parse_weekdays_rejects_nonsense():
    assert parse_weekdays("0, 2,4") == {0, 2, 4}
    with pytest.raises(ValueError):
        parse_weekdays("7")


@pytest.mark.django_db
def test_defaults_until_the_clinic_saves_its_own(clinic, medical_director):
    assert office_hours_for(clinic).describe() == "Monday to Friday, 9:00 AM to 5:00 PM"
    do_update_messaging_settings(medical_director, clinic, weekdays=[0, 1, 2, 3, 4, 5], opens_at=time(8),
                                 closes_at=time(18), reply_within_hours=4)
    hours = office_hours_for(clinic)
    assert hours.describe() == "Monday to Saturday, 8:00 AM to 6:00 PM" and hours.reply_within_hours == 4
    assert AuditEvent.objects.get(action="MESSAGING_SETTINGS_CHANGED").details["old"] is None


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["medical_director", "admin_user"])
def test_director_and_admin_edit_hours(request, clinic, persona):
    do_update_messaging_settings(request.getfixturevalue(persona), clinic, weekdays=[1], opens_at=time(9),
                                 closes_at=time(10), reply_within_hours=2)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["nurse", "front_desk", "provider", "other_clinic_nurse"])
def test_others_cannot_edit_hours(request, clinic, persona):
    with pytest.raises(PermissionDenied):
        do_update_messaging_settings(request.getfixturevalue(persona), clinic, weekdays=[1], opens_at=time(9),
                                     closes_at=time(10), reply_within_hours=2)


@pytest.mark.django_db
@pytest.mark.parametrize(("kwargs", "field"), [
    ({"weekdays": []}, "weekdays"), ({"opens_at": time(18)}, "closes_at"), ({"reply_within_hours": 0},
                                                                           "reply_within_hours")])
def test_bad_hours_are_refused(clinic, medical_director, kwargs, field):
    args = {"weekdays": [0], "opens_at": time(9), "closes_at": time(17), "reply_within_hours": 8} | kwargs
    with pytest.raises(MessagingError) as info:
        do_update_messaging_settings(medical_director, clinic, **args)
    assert info.value.field == field


@pytest.mark.django_db
def test_patient_sees_hours_before_sending_and_after_hours_help(login, patient, clinic):
    clinic.on_call_phone = "555-0199"
    clinic.save(update_fields=["on_call_phone"])
    client = login(patient.user)
    with time_machine.travel(datetime(2026, 3, 10, 15, 0, tzinfo=UTC), tick=False):  # Tuesday 11:00
        page = client.get(reverse("messaging:compose")).content.decode()
    assert "We read messages Monday to Friday, 9:00 AM to 5:00 PM" in page
    assert "expect an answer by" in page and "Our office is closed right now" not in page
    with time_machine.travel(datetime(2026, 3, 14, 15, 0, tzinfo=UTC), tick=False):  # Saturday
        page = client.get(reverse("messaging:compose")).content.decode()
    assert "Our office is closed right now" in page and "555-0199" in page
    assert "988" in page and "911" in page


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "expected"), [
    ("medical_director", 200), ("admin_user", 200), ("nurse", 403), ("front_desk", 403), ("patient", 404)])
def test_settings_page_by_role(request, login, persona, expected):
    user = request.getfixturevalue(persona)
    assert login(getattr(user, "user", user)).get(reverse("messaging:settings")).status_code == expected


@pytest.mark.django_db
def test_settings_page_saves_and_keeps_input_on_error(login, medical_director, clinic):
    client = login(medical_director)
    bad = client.post(reverse("messaging:settings"), {"weekdays": ["0", "1"], "opens_at": "18:00",
                                                      "closes_at": "09:00", "reply_within_hours": "6"})
    assert bad.status_code == 200 and "Closing time must be after opening time" in bad.content.decode()
    assert 'value="18:00"' in bad.content.decode()
    good = client.post(reverse("messaging:settings"), {"weekdays": ["0", "1"], "opens_at": "08:00",
                                                       "closes_at": "16:00", "reply_within_hours": "6"})
    assert good.status_code == 302 and office_hours_for(clinic).weekdays == {0, 1}


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "shown"), [("admin_user", True), ("medical_director", True), ("nurse", False)])
def test_home_links_to_office_hours_for_those_who_edit_them(request, login, persona, shown):
    page = login(request.getfixturevalue(persona)).get(reverse("web:home")).content.decode()
    assert (reverse("messaging:settings") in page) is shown
