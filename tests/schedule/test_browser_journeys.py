"""Whole journeys in headless Chromium: the front desk books and moves a visit; a patient
reschedules and cancels on their phone."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ketaclinic.courses.actions import do_create_course
from ketaclinic.schedule.actions import do_add_nurse_shift, do_book_visit, do_create_chair, do_set_opening_hours
from ketaclinic.schedule.models import Visit, VisitStatus
from tests.accessibility import serious_violations
from tests.schedule.conftest import local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def next_monday(clinic: Any) -> date:
    today = timezone.localdate(timezone=clinic.zone)
    return today + timedelta(days=7 - today.weekday())


@pytest.fixture
def open_clinic(clinic: Any, nurse: Any) -> list[Any]:
    chairs = [do_create_chair(None, clinic, "Chair 1"), do_create_chair(None, clinic, "Chair 2")]
    for weekday in range(5):
        do_set_opening_hours(None, clinic, weekday, time(8), time(18))
    start = next_monday(clinic)
    for offset in range(21):
        day = start + timedelta(days=offset)
        if day.weekday() < 5:
            do_add_nurse_shift(None, clinic, nurse, local(clinic, day, "08:00"), local(clinic, day, "18:00"))
    return chairs


def test_front_desk_books_and_moves_a_visit(page: Any, browser_login: Any, front_desk: Any, provider: Any,
                                            patient: Any, open_clinic: Any, clinic: Any) -> None:
    monday = next_monday(clinic)
    course = do_create_course(provider, patient, indication_code="F33.2", earliest_on=monday)
    browser_login(page, front_desk)
    page.get_by_role("link", name="Schedule").click()
    page.goto(page.base_url + f"/schedule/?date={monday.isoformat()}")
    page.get_by_role("link", name="Book a visit").click()
    page.get_by_label("Patient and course").select_option(str(course.pk))
    page.get_by_label("Chair").select_option(label="Chair 1")
    page.get_by_label("Date").fill(monday.isoformat())
    page.get_by_label("Start time").fill("17:00")  # too late: the visit would end after closing
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_role("alert").filter(has_text="must fit between 08:00 and 18:00")).to_be_visible()
    page.get_by_label("Start time").fill("09:00")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text(re.compile("Booked Maya Reyes in Chair 1"))).to_be_visible()
    expect(page.get_by_text("Reyes, Maya")).to_be_visible()
    page.get_by_role("link", name="Move Maya Reyes").click()
    page.get_by_label("Chair").select_option(label="Chair 2")
    page.get_by_label("Start time").fill("10:30")
    page.get_by_label("Reason (kept in the audit log)").fill("Patient asked for later")
    page.get_by_role("button", name="Move").click()
    expect(page.get_by_text(re.compile("Moved visit to"))).to_be_visible()
    visit = Visit.objects.get()
    assert visit.chair == open_clinic[1] and visit.starts_at == local(clinic, monday, "10:30")


def test_patient_reschedules_and_cancels_on_a_phone(page: Any, browser_login: Any, front_desk: Any,
                                                    provider: Any, patient: Any, open_clinic: Any,
                                                    clinic: Any) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    monday = next_monday(clinic)
    course = do_create_course(provider, patient, indication_code="F33.2", earliest_on=monday)
    visits = [do_book_visit(front_desk, course, open_clinic[0], local(clinic, monday + timedelta(days=d), "09:00"))
              for d in (0, 2, 4)]
    browser_login(page, patient.user)
    page.get_by_role("link", name="See or change my visits").click()  # from the "Your next visit" panel
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling on a phone
    friday = monday + timedelta(days=4)
    page.get_by_role("link", name=f"Change time of visit on {friday:%B} {friday.day}").click()
    page.get_by_role("group", name=f"{friday:%A, %B} {friday.day}").get_by_label("1:00 PM").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Move my visit").click()
    expect(page.get_by_text(re.compile("Your visit is now on Friday"))).to_be_visible()
    visits[2].refresh_from_db()
    assert visits[2].starts_at == local(clinic, friday, "13:00")
    wednesday = monday + timedelta(days=2)
    page.get_by_role("link", name=f"Cancel visit on {wednesday:%B} {wednesday.day}").click()
    page.get_by_label("Why are you cancelling? (optional)").fill("I have the flu")
    page.get_by_role("button", name="Cancel my visit").click()
    expect(page.get_by_text(re.compile("Your visit is cancelled"))).to_be_visible()
    visits[1].refresh_from_db()
    assert visits[1].status == VisitStatus.CANCELLED and visits[1].cancelled_reason == "I have the flu"


def test_front_desk_replans_with_a_move_and_moves_a_whole_course(page: Any, browser_login: Any, front_desk: Any,
                                                                 provider: Any, patient: Any, other_patient: Any,
                                                                 open_clinic: Any, clinic: Any, nurse: Any) -> None:
    from ketaclinic.courses.models import CourseKind
    from ketaclinic.schedule.actions import do_book_course, do_set_availability
    from ketaclinic.schedule.rules import Placement
    from tests.factories import make_patient

    monday = next_monday(clinic)
    # Two boosters fill Monday 08:00 (one nurse watches two); a third patient can only come Monday 08:00-10:00.
    for chair in open_clinic:
        booster = do_create_course(provider, make_patient(clinic), indication_code="F33.2",
                                   kind=CourseKind.MAINTENANCE, earliest_on=monday,
                                   latest_start_on=monday + timedelta(days=2))
        do_book_course(front_desk, booster, [Placement(chair, local(clinic, monday, "08:00"))])
    waiting = do_create_course(provider, other_patient, indication_code="F33.2", kind=CourseKind.MAINTENANCE,
                               earliest_on=monday, latest_start_on=monday)
    do_set_availability(other_patient.user, other_patient, weekdays=[0], from_time=time(8), until_time=time(10))
    # Maya's induction series, Mon/Wed/Fri from the week after, to move a week later (a nurse is on then too).
    for offset in range(21, 35):
        day = monday + timedelta(days=offset)
        if day.weekday() < 5:
            do_add_nurse_shift(None, clinic, nurse, local(clinic, day, "08:00"), local(clinic, day, "18:00"))
    series = do_create_course(provider, patient, indication_code="F33.2", earliest_on=monday)
    days = [monday + timedelta(days=7 + d) for d in (0, 2, 4, 7, 9, 11)]
    do_book_course(front_desk, series, [Placement(open_clinic[1], local(clinic, d, "14:00")) for d in days])

    browser_login(page, front_desk)
    page.get_by_role("link", name="Schedule").click()
    page.get_by_role("link", name="Waitlist").click()
    page.get_by_label("Cost of one move").fill("1")
    page.get_by_role("button", name="Re-plan with moves").click()
    expect(page.get_by_role("heading", name="Proposed moves of booked visits")).to_be_visible(timeout=30_000)
    assert serious_violations(page) == []
    page.get_by_role("button", name="Accept all 1 move").click()
    expect(page.get_by_text(re.compile("Moved 1 visit; the patients are told"))).to_be_visible()
    page.get_by_role("button", name=f"Book this course for {other_patient}").click()
    expect(page.get_by_text(re.compile(f"Booked 1 visit\\(s\\) for {other_patient}"))).to_be_visible()
    assert Visit.objects.filter(course=waiting).count() == 1

    page.goto(page.base_url + f"/courses/{series.pk}/")
    page.get_by_role("link", name="Move the whole course to new dates").click()
    page.get_by_label("New first date for the remaining visits").fill((monday + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Propose new times").click()
    expect(page.get_by_role("heading", name="Proposed new times")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Move all 6 visits").click()
    expect(page.get_by_text(re.compile("Moved 6 visits of Maya Reyes"))).to_be_visible()
    first = Visit.objects.filter(course=series).order_by("starts_at").first()
    assert first is not None and first.starts_at.astimezone(clinic.zone).date() == monday + timedelta(days=14)


def test_a_spanish_speaking_patient_sets_ride_times_and_reschedules(page: Any, browser_login: Any,
                                                                   front_desk: Any, provider: Any, patient: Any,
                                                                   open_clinic: Any, clinic: Any) -> None:
    patient.preferred_language = "es"
    patient.save(update_fields=["preferred_language"])
    page.set_viewport_size({"width": 360, "height": 740})
    monday = next_monday(clinic)
    course = do_create_course(provider, patient, indication_code="F33.2", earliest_on=monday)
    visits = [do_book_visit(front_desk, course, open_clinic[0], local(clinic, monday + timedelta(days=d), "09:00"))
              for d in (0, 2, 4)]
    browser_login(page, patient.user)
    page.get_by_role("link", name="Ver o cambiar mis visitas").click()
    expect(page.get_by_role("heading", name="Mis visitas", exact=True)).to_be_visible()
    page.get_by_role("link", name="Cambiar", exact=True).click()
    expect(page.get_by_role("heading", name="¿Cuándo puede venir?")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("Desde", exact=True).fill("08:00")
    page.get_by_label("Hasta", exact=True).fill("18:00")
    ride_days = page.get_by_role("group", name="Días en que alguien puede recogerle (opcional)")
    ride_days.get_by_label("Viernes").check()
    page.get_by_label("Pueden recogerle desde").fill("15:00")
    page.get_by_label("Pueden recogerle hasta").fill("17:00")
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_text("Gracias. Guardamos las horas en que puede venir.")).to_be_visible()
    friday = monday + timedelta(days=4)
    page.get_by_role("link", name=f"Cambiar horario de la visita del {friday.day} de").click()
    expect(page.get_by_text(re.compile("Solo mostramos horarios en los que su visita termina"))).to_be_visible()
    # a visit takes 105 minutes: ending 15:00-17:00 means starting 13:15-15:15 (half-hour choices)
    page.get_by_role("group", name=re.compile(f"viernes {friday.day} de")).get_by_label("13:30").check()
    page.get_by_role("button", name="Cambiar mi visita").click()
    expect(page.get_by_text(re.compile("Ahora su visita es el viernes"))).to_be_visible()
    visits[2].refresh_from_db()
    assert visits[2].starts_at == local(clinic, friday, "13:30")
