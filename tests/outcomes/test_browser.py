"""Browser journeys (Playwright on Debian's chromium): a patient answers a scheduled PHQ-9 and a
sleep diary and sees charts; an item-9 answer shows crisis resources and raises the safety task
on the staff home; a provider books maintenance from the course review."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ketaclinic.courses.models import CourseKind, TreatmentCourse
from ketaclinic.outcomes.models import CourseReview, QuestionnaireResponse, SafetyTask, SleepDiaryEntry
from tests.outcomes.conftest import phq9

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def answer_all(page: Any, choices: list[str]) -> None:
    """Pick one radio per question with the keyboard-reachable labels."""
    questions = page.locator("ol.questions fieldset")
    for i, choice in enumerate(choices):
        questions.nth(i).get_by_label(choice, exact=True).check()


def fits_phone(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_patient_answers_a_scheduled_phq9_and_a_sleep_diary_and_sees_charts(
        page: Any, browser_login: Any, patient: Any, make_course: Any) -> None:
    today = timezone.localdate(timezone=patient.clinic.zone)
    make_course(patient, start=today + timedelta(days=3), done=0)  # baseline due this week
    page.set_viewport_size({"width": 360, "height": 800})
    browser_login(page, patient.user)
    expect(page.get_by_role("heading", name="Questionnaires to answer")).to_be_visible()
    page.get_by_role("link", name="Answer PHQ-9 (mood)").click()
    assert fits_phone(page)
    answer_all(page, ["More than half the days"] * 2 + ["Several days"] * 6 + ["Not at all"])
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    assert "Please reach out now" not in page.content()
    response = QuestionnaireResponse.objects.get()
    assert (response.instrument, response.total, response.source) == ("phq9", 10, "portal")

    page.goto(page.base_url + "/outcomes/sleep/new/")
    page.get_by_label("What time did you get into bed?").fill("22:30")
    page.get_by_label("What time did you try to go to sleep?").fill("23:00")
    page.get_by_label("How many minutes did it take you to fall asleep?").fill("30")
    page.get_by_label("How many times did you wake up").fill("2")
    page.get_by_label("In total, how many minutes").fill("40")
    page.get_by_label("What time was your final awakening?").fill("06:30")
    page.get_by_label("What time did you get out of bed for the day?").fill("07:00")
    page.get_by_label("Fair").check()
    page.get_by_role("button", name="Save").click()
    assert SleepDiaryEntry.objects.get().total_sleep_minutes == 380
    expect(page.get_by_role("heading", name="My progress")).to_be_visible()
    assert page.locator("svg.chart").count() >= 3  # mood, sleep efficiency, sleep quality
    expect(page.get_by_role("img", name="Mood (PHQ-9)")).to_be_visible()
    assert fits_phone(page)
    page.get_by_text("Show the numbers as a table").first.click()
    expect(page.get_by_role("table").first).to_be_visible()


def test_item9_shows_crisis_resources_and_raises_the_safety_task(
        page: Any, browser: Any, live_server: Any, browser_login: Any, patient: Any, nurse: Any) -> None:
    browser_login(page, patient.user)
    page.goto(page.base_url + "/outcomes/answer/phq9/")
    answer_all(page, ["Several days"] * 8 + ["Several days"])
    page.get_by_role("button", name="Send my answers").click()
    alert = page.get_by_role("alert")
    expect(alert.get_by_role("heading", name="Please reach out now")).to_be_visible()
    assert alert.get_by_role("link", name="988").is_visible() and "911" in alert.inner_text()
    assert "555-0100" in alert.inner_text()
    task = SafetyTask.objects.get()
    assert task.is_open

    staff_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    staff_page.base_url = live_server.url
    browser_login(staff_page, nurse)
    first_panel = staff_page.locator("main section.card").first
    assert "Safety follow-up today (1)" in first_panel.inner_text() and "Maya Reyes" in first_panel.inner_text()
    first_panel.get_by_role("link", name="Maya Reyes").click()
    staff_page.get_by_label("What was done").fill("Called Maya; passive thoughts, no plan. Safety plan reviewed.")
    staff_page.get_by_label("Outcome").select_option("safe_plan")
    staff_page.get_by_role("button", name="Record follow-up and close").click()
    assert "recorded and closed" in staff_page.content()
    task.refresh_from_db()
    assert not task.is_open and task.closed_by == nurse
    staff_page.context.close()


def test_provider_sees_the_course_review_and_books_maintenance(
        page: Any, browser_login: Any, patient: Any, provider: Any, make_course: Any, submit: Any) -> None:
    today = timezone.localdate(timezone=patient.clinic.zone)
    course, visits = make_course(patient, start=today - timedelta(days=20))
    submit(patient.user, patient, "phq9", phq9(20), visits[0].starts_at - timedelta(days=1))
    for visit, total in zip(visits, [16, 13, 10, 8, 7, 6], strict=True):
        submit(patient.user, patient, "phq9", phq9(total), visit.ends_at + timedelta(hours=20))
    browser_login(page, provider)
    page.goto(page.base_url + "/outcomes/")
    page.get_by_role("link", name="Maya Reyes").click()
    expect(page.get_by_role("heading", name="Course review")).to_be_visible()
    assert "Response" in page.content() and "Taper" in page.content()
    expect(page.get_by_role("img", name="Patient Health Questionnaire-9 (PHQ-9)")).to_be_visible()
    assert page.get_by_label("Decision").input_value() == "maintenance"
    page.get_by_label("Reason").fill("Responder (-70%); start taper per protocol.")
    page.get_by_role("button", name="Record decision").click()
    assert "waiting to be booked" in page.content()
    review = CourseReview.objects.get(course=course)
    assert review.decided_by == provider and review.maintenance_course is not None
    assert TreatmentCourse.objects.filter(patient=patient, kind=CourseKind.MAINTENANCE).count() == 1
