"""Guide pages: reading, timing, editing with versions, and staff reading status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEvent
from ketaclinic.courses.actions import do_create_course
from ketaclinic.guide.access import pages_due
from ketaclinic.guide.models import GuidePageVersion, GuideRead
from ketaclinic.patients.models import Stage
from ketaclinic.schedule.actions import do_book_visit, do_create_chair, do_set_visit_status


@pytest.fixture
def booked(patient: Any, provider: Any, front_desk: Any) -> Any:
    """`patient`, approved, with a visit booked in three days."""
    course = do_create_course(provider, patient, indication_code="F33.2", earliest_on=timezone.localdate())
    chair = do_create_chair(None, patient.clinic, "Chair 1")
    return do_book_visit(front_desk, course, chair, timezone.now() + timedelta(days=3))


@pytest.mark.django_db
def test_guide_ladder(login: Any, anon: Any, patient: Any, other_patient: Any, nurse: Any, admin_user: Any,
                      medical_director: Any, other_clinic_nurse: Any) -> None:
    page = reverse("guide:page", args=["before"])
    assert login(patient.user).get(page).status_code == 200
    assert login(nurse).get(page).status_code == 200
    assert anon.get(page).status_code == 302
    assert login(patient.user).get(reverse("guide:page", args=["nope"])).status_code == 404
    edit = reverse("guide:edit", args=["before", "en"])
    assert login(medical_director).get(edit).status_code == 200
    assert login(nurse).get(edit).status_code == 403
    assert login(patient.user).get(edit).status_code == 403
    assert anon.get(edit).status_code == 302
    status = reverse("guide:reading_status")
    assert login(nurse).get(status).status_code == 200
    assert login(admin_user).get(status).status_code == 404
    assert login(patient.user).get(status).status_code == 404
    assert login(other_patient.user).get(status).status_code == 404


@pytest.mark.django_db
def test_reading_is_recorded_once_and_audited(login: Any, patient: Any) -> None:
    client = login(patient.user)
    client.get(reverse("guide:page", args=["about"]))
    client.get(reverse("guide:page", args=["about"]))
    assert GuideRead.objects.filter(patient=patient, slug="about").count() == 1
    assert AuditEvent.objects.filter(action="GUIDE_PAGE_READ", patient_ref=patient.pk).count() == 1


@pytest.mark.django_db
def test_staff_reading_does_not_count_as_the_patient(login: Any, nurse: Any, patient: Any) -> None:
    login(nurse).get(reverse("guide:page", args=["about"]))
    assert not GuideRead.objects.exists()


@pytest.mark.django_db
def test_pages_are_offered_at_the_right_moment(patient: Any, booked: Any, nurse: Any) -> None:
    now = timezone.now()
    patient.stage = Stage.SCREENING
    assert pages_due(patient, now) == ["before"]
    patient.stage = Stage.APPROVED
    assert pages_due(patient, now) == ["about", "course", "before"]
    do_set_visit_status(nurse, booked, "discharged", historical=True)
    later = booked.starts_at + timedelta(days=8)
    assert pages_due(patient, later) == ["about", "course", "after", "sleep"]


@pytest.mark.django_db
def test_home_panel_lists_unread_pages_until_read(login: Any, patient: Any, booked: Any) -> None:
    patient.stage = Stage.APPROVED
    patient.save()
    client = login(patient.user)
    assert "Before your visit" in client.get("/").content.decode()
    client.get(reverse("guide:page", args=["before"]))
    home = client.get("/").content.decode()
    panel = home.split("Reading for you")[1].split("</section>")[0]
    assert "Reading for you" in home and "Before your visit" not in panel


@pytest.mark.django_db
def test_spanish_speaking_patient_gets_spanish_portal_and_pages(login: Any, patient: Any) -> None:
    patient.preferred_language = "es"
    patient.save()
    client = login(patient.user)
    home = client.get("/")
    assert "Hola, Maya" in home.content.decode() and home["Content-Language"] == "es"
    page = client.get(reverse("guide:page", args=["after"])).content.decode()
    assert "Después de su infusión" in page and "988" in page
    assert GuideRead.objects.get(patient=patient).language == "es"


@pytest.mark.django_db
def test_language_switch_saves_the_patients_preference(login: Any, patient: Any) -> None:
    client = login(patient.user)
    client.post(reverse("guide:set_language"), {"language": "es", "next": "/"})
    patient.refresh_from_db()
    assert patient.preferred_language == "es"
    assert "Hola" in client.get("/").content.decode()


@pytest.mark.django_db
def test_editing_keeps_versions_and_shows_the_reading_level(login: Any, medical_director: Any, clinic: Any,
                                                           patient: Any) -> None:
    client = login(medical_director)
    url = reverse("guide:edit", args=["faq", "en"])
    preview = client.post(url, {"title": "Parking", "body": "Park in the back lot. It is free."},
                          HTTP_HX_REQUEST="true")
    assert "Reading level" in preview.content.decode() and "meets" in preview.content.decode()
    hard = ("Notwithstanding multifactorial considerations, comprehensive institutional parking "
            "arrangements necessitate preauthorization documentation verification. ")
    refused = client.post(url, {"title": "Parking", "body": hard, "reason": "new lot", "save": "1"})
    assert refused.status_code == 400 and "shorter sentences" in refused.content.decode()
    assert "preauthorization" in refused.content.decode()  # what was typed is kept
    no_reason = client.post(url, {"title": "Parking", "body": "Park in the back lot.", "save": "1"})
    assert "Say why" in no_reason.content.decode()
    ok = client.post(url, {"title": "Parking and visits", "body": "Park in the back lot. It is free.",
                           "reason": "new lot", "save": "1"})
    assert ok.status_code == 302
    client.post(url, {"title": "Parking and visits", "body": "Park in the front lot now. It is free.",
                      "reason": "moved again", "save": "1"})
    assert list(GuidePageVersion.objects.values_list("number", flat=True).order_by("number")) == [1, 2]
    assert "front lot" in login(patient.user).get(reverse("guide:page", args=["faq"])).content.decode()


@pytest.mark.django_db
def test_reading_status_shows_who_has_not_read(login: Any, nurse: Any, patient: Any, booked: Any) -> None:
    body = login(nurse).get(reverse("guide:reading_status")).content.decode()
    assert "Maya Reyes" in body and "Not read" in body
    login(patient.user).get(reverse("guide:page", args=["before"]))
    body = login(nurse).get(reverse("guide:reading_status")).content.decode()
    assert "Not read" not in body
