"""Messaging pages as every persona, the flows through the forms, and the query counts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.messaging.actions import do_report_symptoms, do_send_message
from ketaclinic.messaging.models import Conversation, Message, SymptomReport
from tests.messaging.conftest import PNG, answers

pytestmark = pytest.mark.django_db
TUESDAY = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def user_of(request, persona):
    user = request.getfixturevalue(persona)
    return getattr(user, "user", user)


@pytest.fixture
def question(patient, start):
    return start(patient, subject="Ride question", body="Can my sister drive me home?",
                 attachment=SimpleUploadedFile("ride.png", PNG))


@pytest.fixture
def symptoms(patient):
    return do_report_symptoms(patient.user, patient, answers=answers(headache=(3, "next_day"))).conversation


# --- persona ladders ------------------------------------------------------------------------------

@pytest.mark.parametrize(("persona", "expected"), [
    ("nurse", 200), ("front_desk", 200), ("provider", 200), ("medical_director", 200), ("other_clinic_nurse", 200),
    ("admin_user", 404), ("patient", 404)])
def test_inbox_by_persona(request, login, question, persona, expected):
    response = login(user_of(request, persona)).get(reverse("messaging:inbox"))
    assert response.status_code == expected
    if persona == "other_clinic_nurse":
        assert "Ride question" not in response.content.decode()  # their own clinic's inbox: empty


def test_inbox_sends_anonymous_to_login(anon):
    assert anon.get(reverse("messaging:inbox")).status_code == 302


@pytest.mark.parametrize(("persona", "question_status", "symptoms_status"), [
    ("nurse", 200, 200), ("provider", 200, 200), ("front_desk", 200, 404), ("admin_user", 404, 404),
    ("other_clinic_nurse", 404, 404), ("patient", 404, 404), ("other_patient", 404, 404)])
def test_staff_conversation_page_by_persona(request, login, question, symptoms, persona, question_status,
                                            symptoms_status):
    client = login(user_of(request, persona))
    assert client.get(reverse("messaging:conversation", args=[question.pk])).status_code == question_status
    assert client.get(reverse("messaging:conversation", args=[symptoms.pk])).status_code == symptoms_status


@pytest.mark.parametrize(("persona", "expected"), [
    ("patient", 200), ("other_patient", 404), ("nurse", 404), ("other_clinic_nurse", 404)])
def test_patient_conversation_page_by_persona(request, login, question, persona, expected):
    response = login(user_of(request, persona)).get(reverse("messaging:my_conversation", args=[question.pk]))
    assert response.status_code == expected


@pytest.mark.parametrize(("persona", "expected"), [
    ("patient", 200), ("nurse", 200), ("front_desk", 200), ("other_patient", 404), ("other_clinic_nurse", 404),
    ("admin_user", 404)])
def test_attachment_by_persona(request, login, question, persona, expected):
    message = question.messages.get()
    response = login(user_of(request, persona)).get(reverse("messaging:attachment", args=[message.pk]))
    assert response.status_code == expected
    if expected == 200:
        assert b"".join(response.streaming_content) == PNG
        assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name", ["messaging:conversation", "messaging:my_conversation"])
def test_conversation_pages_send_anonymous_to_login(anon, question, name):
    assert anon.get(reverse(name, args=[question.pk])).status_code == 302


def test_attachment_sends_anonymous_to_login(anon, question):
    assert anon.get(reverse("messaging:attachment", args=[question.messages.get().pk])).status_code == 302


@pytest.mark.parametrize("name", ["messaging:my_messages", "messaging:compose", "messaging:report"])
@pytest.mark.parametrize(("persona", "expected"), [("patient", 200), ("nurse", 404), ("admin_user", 404)])
def test_portal_pages_are_for_patients(request, login, name, persona, expected):
    assert login(user_of(request, persona)).get(reverse(name)).status_code == expected


@pytest.mark.parametrize(("persona", "expected"), [
    ("patient", 200), ("other_patient", 404), ("nurse", 404)])
def test_report_done_page_is_the_reporters_own(request, login, patient, symptoms, persona, expected):
    report = SymptomReport.objects.get(conversation=symptoms)
    assert login(user_of(request, persona)).get(reverse("messaging:report_done", args=[report.pk])).status_code \
        == expected


# --- flows ----------------------------------------------------------------------------------------

@time_machine.travel(TUESDAY, tick=False)
def test_patient_writes_and_nurse_answers_through_the_pages(login, patient, nurse):
    patient_client = login(patient.user)
    form = patient_client.get(reverse("messaging:compose")).context["form"]
    data = {"topic": "medicine", "subject": "Sertraline", "body": "", "client_token": form.initial["client_token"]}
    bad = patient_client.post(reverse("messaging:compose"), data)
    assert bad.status_code == 200 and 'value="Sertraline"' in bad.content.decode()
    data["body"] = "Do I take my sertraline the morning of the infusion?"
    sent = patient_client.post(reverse("messaging:compose"), data)
    conversation = Conversation.objects.get()
    assert sent.status_code == 302 and sent["Location"] == reverse("messaging:my_conversation", args=[conversation.pk])
    patient_client.post(reverse("messaging:compose"), data)  # double submit
    assert Conversation.objects.count() == 1

    nurse_client = login(nurse)
    inbox = nurse_client.get(reverse("messaging:inbox")).content.decode()
    assert "Sertraline" in inbox and "1 unread" in inbox
    page = nurse_client.get(reverse("messaging:conversation", args=[conversation.pk])).content.decode()
    assert "Do I take my sertraline" in page
    assert "1 unread" not in nurse_client.get(reverse("messaging:inbox")).content.decode()
    reply = nurse_client.post(reverse("messaging:conversation", args=[conversation.pk]),
                              {"body": "Yes, take it as usual with a sip of water.", "then_status": "waiting",
                               "client_token": "abc"})
    assert reply.status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == "waiting"
    mine = patient_client.get(reverse("messaging:my_messages")).content.decode()
    assert "1 new" in mine
    thread = patient_client.get(reverse("messaging:my_conversation", args=[conversation.pk])).content.decode()
    assert "sip of water" in thread and "Nina Nurse" in thread


@time_machine.travel(TUESDAY, tick=False)
def test_self_harm_report_through_the_form_shows_988_first(login, patient, nurse):
    client = login(patient.user)
    form = client.get(reverse("messaging:report")).context["form"]
    data = {f"{s}_severity": "0" for s in ["nausea", "headache", "dizziness", "light_sound_sensitivity", "mood_change",
                                            "perceptual_changes", "urinary_pain", "self_harm_thoughts"]}
    data.update({"client_token": form.initial["client_token"], "mood_change_severity": "2", "note": "Very low"})
    missing = client.post(reverse("messaging:report"), data)
    assert missing.status_code == 200 and "Please say when it started" in missing.content.decode()
    data.update({"mood_change_onset": "next_day", "self_harm_thoughts_severity": "1"})
    done = client.post(reverse("messaging:report"), data, follow=True)
    page = done.content.decode()
    assert "Please reach out now" in page and "Call or text <a href=\"tel:988\">988</a>" in page
    assert page.index("988") < page.index("A nurse needs to check on you today")
    report = SymptomReport.objects.get()
    assert report.crisis and report.level == "urgent"
    inbox = login(nurse).get(reverse("messaging:inbox")).content.decode()
    assert "Urgent" in inbox and "1</span> urgent task" in inbox


@time_machine.travel(TUESDAY, tick=False)
def test_nurse_triages_through_the_page_and_a_mistake_keeps_the_note(login, patient, nurse, symptoms):
    client = login(nurse)
    url = reverse("messaging:triage", args=[symptoms.pk])
    bad = client.post(url, {"outcome": "called", "note": ""})
    assert bad.status_code == 400
    good = client.post(url, {"outcome": "called", "note": "Called, resting. Will review Thursday."})
    assert good.status_code == 302
    page = client.get(reverse("messaging:conversation", args=[symptoms.pk])).content.decode()
    assert "Called the patient" in page and "Will review Thursday" in page


@pytest.mark.parametrize(("persona", "expected"), [("front_desk", 404), ("other_clinic_nurse", 404),
                                                   ("patient", 404)])
def test_triage_page_refuses_non_clinicians(request, login, symptoms, persona, expected):
    response = login(user_of(request, persona)).post(reverse("messaging:triage", args=[symptoms.pk]),
                                                     {"outcome": "called", "note": "x"})
    assert response.status_code == expected


def test_assign_and_status_through_the_page(login, question, nurse, provider):
    client = login(nurse)
    client.post(reverse("messaging:assign", args=[question.pk]), {"assignee": str(provider.pk)})
    client.post(reverse("messaging:status", args=[question.pk]), {"status": "closed"})
    question.refresh_from_db()
    assert question.assigned_to == provider and question.status == "closed"
    page = client.get(reverse("messaging:conversation", args=[question.pk])).content.decode()
    assert "Assign to me" in page and "No phone number on file" in page
    client.post(reverse("messaging:assign", args=[question.pk]), {"assignee": "me"})
    question.refresh_from_db()
    assert question.assigned_to == nurse
    assert "Assign to me" not in client.get(reverse("messaging:conversation", args=[question.pk])).content.decode()
    mine = client.get(reverse("messaging:inbox") + "?status=all&mine=1").content.decode()
    assert "Ride question" in mine


@pytest.mark.parametrize("persona", ["other_clinic_nurse", "patient", "admin_user"])
def test_outsiders_cannot_assign_or_close(request, login, question, persona):
    client = login(user_of(request, persona))
    assert client.post(reverse("messaging:assign", args=[question.pk]), {"assignee": "me"}).status_code == 404
    assert client.post(reverse("messaging:status", args=[question.pk]), {"status": "closed"}).status_code == 404
    question.refresh_from_db()
    assert question.assigned_to is None and question.status == "open"


def test_staff_search_finds_words_in_messages(login, patient, other_patient, start, nurse):
    start(patient, subject="Parking", body="Where do I park for the infusion?")
    start(other_patient, subject="Billing", body="A question about my invoice")
    page = login(nurse).get(reverse("messaging:inbox") + "?q=park").content.decode()
    assert "Parking" in page and "Billing" not in page
    page = login(nurse).get(reverse("messaging:inbox") + "?q=invoice").content.decode()
    assert "Billing" in page and "Parking" not in page


def test_front_desk_inbox_leaves_out_symptom_reports(login, question, symptoms, front_desk):
    page = login(front_desk).get(reverse("messaging:inbox")).content.decode()
    assert "Ride question" in page and "How I feel" not in page


def test_every_read_is_audited(login, question, nurse, patient):
    login(nurse).get(reverse("messaging:conversation", args=[question.pk]))
    login(patient.user).get(reverse("messaging:my_conversation", args=[question.pk]))
    login(nurse).get(reverse("messaging:attachment", args=[question.messages.get().pk]))
    viewers = set(AuditEvent.objects.filter(action="CONVERSATION_VIEWED").values_list("actor_id", flat=True))
    assert viewers == {nurse.pk, patient.user.pk}
    assert AuditEvent.objects.filter(action="ATTACHMENT_OPENED", actor=nurse).exists()
    login(nurse).get(reverse("messaging:inbox"))
    assert AuditEvent.objects.filter(action="INBOX_VIEWED", actor=nurse).exists()


def test_chart_and_home_panels(login, patient, question, nurse):
    chart = login(nurse).get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert "Messages and symptom reports" in chart and "Ride question" in chart
    home = login(nurse).get(reverse("web:home")).content.decode()
    assert "1</span> unread message" in home
    do_send_message(nurse, question, body="Yes.")
    patient_home = login(patient.user).get(reverse("web:home")).content.decode()
    assert "You have 1 new message from your care team" in patient_home


def test_staff_can_write_first(login, patient, nurse):
    client = login(nurse)
    url = reverse("messaging:staff_compose", args=[patient.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"topic": "appointment", "subject": "Thursday", "body": "Can you come at 10?",
                                 "client_token": "x1"})
    assert response.status_code == 302 and Conversation.objects.get().status == "waiting"


@pytest.mark.parametrize(("persona", "expected"), [("other_clinic_nurse", 404), ("patient", 404),
                                                   ("admin_user", 404)])
def test_staff_compose_refuses_outsiders(request, login, patient, persona, expected):
    assert login(user_of(request, persona)).get(reverse("messaging:staff_compose", args=[patient.pk])).status_code \
        == expected


# --- query counts -------------------------------------------------------------------------------

def _make(patient, start, n):
    for i in range(n):
        c = start(patient, subject=f"Q{i}", body="body")
        Message.objects.filter(conversation=c).update(read_at=None)


def test_inbox_query_count_does_not_grow_with_rows(login, patient, nurse, start):
    client = login(nurse)
    _make(patient, start, 1)
    client.get(reverse("messaging:inbox"))  # warm the session and role caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("messaging:inbox"))
    _make(patient, start, 19)
    with CaptureQueriesContext(connection) as twenty:
        client.get(reverse("messaging:inbox"))
    assert len(one) == len(twenty), [q["sql"] for q in twenty.captured_queries]


def test_patient_list_query_count_does_not_grow_with_rows(login, patient, start):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(patient.user)
    _make(patient, start, 1)
    client.get(reverse("messaging:my_messages"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("messaging:my_messages"))
    _make(patient, start, 19)
    with CaptureQueriesContext(connection) as twenty:
        client.get(reverse("messaging:my_messages"))
    assert len(one) == len(twenty)


def test_chart_panel_query_count_does_not_grow_with_rows(login, patient, nurse, start):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(nurse)
    _make(patient, start, 1)
    client.get(reverse("patients:chart", args=[patient.pk]))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("patients:chart", args=[patient.pk]))
    _make(patient, start, 19)
    with CaptureQueriesContext(connection) as twenty:
        client.get(reverse("patients:chart", args=[patient.pk]))
    assert len(one) == len(twenty)
