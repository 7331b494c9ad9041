"""Conversations and messages through the actions: who may write, double submits, files, notices."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import ProtectedError

from ketaclinic.audit.models import AuditEvent
from ketaclinic.messaging.actions import (
    MessagingError,
    do_assign_conversation,
    do_read_conversation,
    do_send_message,
    do_set_conversation_status,
)
from ketaclinic.messaging.files import MAX_ATTACHMENT_BYTES
from ketaclinic.messaging.models import Conversation, Message
from ketaclinic.notifications.models import OutboundMessage
from tests.messaging.conftest import PDF, PNG

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def test_patient_starts_a_conversation_with_the_care_team(patient, start):
    conversation = start(patient, subject="Ride question", body="Can my sister drive me?", now=T0)
    assert (conversation.status, conversation.clinic, conversation.created_by) == ("open", patient.clinic, patient.user)
    message = conversation.messages.get()
    assert message.from_patient and message.body == "Can my sister drive me?" and message.read_at is None
    actions = set(AuditEvent.objects.filter(patient_ref=patient.pk).values_list("action", flat=True))
    assert {"CONVERSATION_STARTED", "MESSAGE_SENT"} <= actions
    # A patient's own message does not notify the patient.
    assert not OutboundMessage.objects.exists()


def test_a_double_submit_makes_one_conversation(patient, start):
    first = start(patient, client_token="tok-1")
    second = start(patient, client_token="tok-1")
    assert first.pk == second.pk and Conversation.objects.count() == 1 and Message.objects.count() == 1


@pytest.mark.parametrize(("fields", "field"), [
    ({"body": "   "}, "body"), ({"subject": ""}, "subject"), ({"topic": "symptoms"}, "topic"),
    ({"topic": "gossip"}, "topic"), ({"body": "x" * 5001}, "body")])
def test_bad_messages_are_refused_with_the_field_named(patient, start, fields, field):
    with pytest.raises(MessagingError) as info:
        start(patient, **fields)
    assert info.value.field == field and not Conversation.objects.exists()


def test_a_photo_is_stored_under_media_root_with_our_own_name(patient, start, settings):
    upload = SimpleUploadedFile("IMG 0001 my rash.png", PNG, content_type="image/png")
    message = start(patient, attachment=upload).messages.get()
    assert message.attachment_type == "image/png" and message.attachment_name == "IMG 0001 my rash.png"
    assert message.attachment_size == len(PNG)
    path = message.attachment.path
    assert path.startswith(str(settings.MEDIA_ROOT)) and "rash" not in path and path.endswith(".png")
    with open(path, "rb") as fh:
        assert fh.read() == PNG


def test_a_pdf_is_accepted(patient, start):
    message = start(patient, attachment=SimpleUploadedFile("letter.pdf", PDF)).messages.get()
    assert message.attachment_type == "application/pdf"


@pytest.mark.parametrize(("name", "content"), [
    ("photo.png", b"GIF89a" + b"\x00" * 20),           # the name says png; the bytes do not
    ("script.html", b"<html><script>alert(1)</script>"),
    ("empty.png", b""),
])
def test_files_are_checked_by_their_content(patient, start, name, content):
    with pytest.raises(MessagingError) as info:
        start(patient, attachment=SimpleUploadedFile(name, content))
    assert info.value.field == "attachment" and not Message.objects.exists()


def test_files_over_the_size_limit_are_refused(patient, start):
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (MAX_ATTACHMENT_BYTES - len(PNG) + 1))
    with pytest.raises(MessagingError, match="too big"):
        start(patient, attachment=big)


def test_staff_reply_waits_on_patient_and_notifies_without_the_words(patient, nurse, start):
    conversation = start(patient, now=T0)
    reply = do_send_message(nurse, conversation, body="Yes, your sister can drive you. Bring her ID.", now=T0)
    conversation.refresh_from_db()
    assert not reply.from_patient and conversation.status == "waiting"
    notices = OutboundMessage.objects.filter(patient=patient, kind="messaging.reply")
    assert notices.exists()
    for notice in notices:
        assert "sister" not in notice.body and "ID" not in notice.subject
        assert f"/messages/mine/{conversation.pk}/" in notice.body and "988" in notice.body
        assert notice.dedupe_key == f"messaging.reply.{reply.pk}"


def test_staff_reply_can_close_and_a_patient_message_reopens(patient, nurse, start):
    conversation = start(patient)
    do_send_message(nurse, conversation, body="Glad to help.", then_status="closed")
    conversation.refresh_from_db()
    assert conversation.status == "closed"
    do_send_message(patient.user, conversation, body="One more thing.")
    conversation.refresh_from_db()
    assert conversation.status == "open"


def test_a_double_submitted_reply_is_one_message(patient, nurse, start):
    conversation = start(patient)
    one = do_send_message(nurse, conversation, body="Answer", client_token="r1")
    two = do_send_message(nurse, conversation, body="Answer", client_token="r1")
    assert one.pk == two.pk and conversation.messages.count() == 2


@pytest.mark.parametrize("persona", ["other_clinic_nurse", "admin_user", "other_patient"])
def test_outsiders_cannot_write_into_a_conversation(request, patient, start, persona):
    conversation = start(patient)
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        do_send_message(getattr(user, "user", user), conversation, body="hi")


def test_front_desk_answers_questions_but_not_symptom_reports(patient, front_desk, start):
    from ketaclinic.messaging.actions import do_report_symptoms
    from tests.messaging.conftest import answers

    do_send_message(front_desk, start(patient, topic="appointment"), body="You are booked for Monday.")
    report = do_report_symptoms(patient.user, patient, answers=answers(headache=(1, "infusion_day")))
    with pytest.raises(PermissionDenied):
        do_send_message(front_desk, report.conversation, body="hi")


def test_assignment_to_a_colleague_who_can_read_it(patient, nurse, provider, admin_user, start):
    conversation = start(patient)
    do_assign_conversation(nurse, conversation, provider)
    assert Conversation.objects.get().assigned_to == provider
    with pytest.raises(MessagingError):
        do_assign_conversation(nurse, conversation, admin_user)  # no patient records
    do_assign_conversation(nurse, conversation, None)
    assert Conversation.objects.get().assigned_to is None
    assert AuditEvent.objects.filter(action="CONVERSATION_ASSIGNED").count() == 2


def test_status_changes_are_audited_and_checked(patient, nurse, start):
    conversation = start(patient)
    do_set_conversation_status(nurse, conversation, "closed")
    event = AuditEvent.objects.get(action="CONVERSATION_STATUS_CHANGED")
    assert event.details == {"from": "open", "to": "closed"}
    with pytest.raises(MessagingError):
        do_set_conversation_status(nurse, conversation, "archived")


def test_reading_marks_the_other_sides_messages_and_is_always_audited(patient, nurse, start):
    conversation = start(patient, now=T0)
    do_send_message(nurse, conversation, body="Reply", now=T0)
    assert do_read_conversation(nurse, conversation, now=T0) == 1   # the patient's message
    assert do_read_conversation(nurse, conversation, now=T0) == 0
    assert do_read_conversation(patient.user, conversation, now=T0) == 1  # the nurse's reply
    patient_msg, staff_msg = conversation.messages.order_by("id")
    assert patient_msg.read_by == nurse and staff_msg.read_by == patient.user
    assert AuditEvent.objects.filter(action="CONVERSATION_VIEWED").count() == 3


def test_messages_cannot_be_deleted_with_their_conversation(patient, start):
    conversation = start(patient)
    with pytest.raises(ProtectedError):
        conversation.delete()


@time_machine.travel(T0, tick=False)  # 11:00 in the clinic: outside the patient's quiet hours
def test_the_email_the_patient_gets_has_no_words_of_the_reply(patient, nurse, start, smtp_server):
    from ketaclinic.notifications.delivery import send_one_due_message

    conversation = start(patient, body="Is my rash from the infusion?")
    do_send_message(nurse, conversation, body="The rash sounds like contact dermatitis from the tape.")
    while send_one_due_message("test-worker"):
        pass
    mails = smtp_server.to(patient.email)
    assert len(mails) == 1
    text = mails[0].as_string()
    assert "dermatitis" not in text and "rash" not in text and "New message from Harbor Ketamine Clinic" in text
