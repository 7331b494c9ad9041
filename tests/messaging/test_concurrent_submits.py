"""Two submits of the same form at the same moment (a double tap) make one record, on a real database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from ketaclinic.messaging.actions import do_report_symptoms, do_send_message, do_start_conversation
from ketaclinic.messaging.models import Conversation, Message, SymptomReport
from tests.messaging.conftest import answers

pytestmark = pytest.mark.django_db(transaction=True)


def _twice_at_once(work: Callable[[], Any]) -> list[BaseException]:
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            work()
        except BaseException as exc:  # noqa: BLE001 — reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return errors


@pytest.fixture(autouse=True)
def _real_database_only() -> None:
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and (name in (":memory:", "") or "mode=memory" in name):
        pytest.skip("threads need a database file or server (run on PostgreSQL)")


def test_two_taps_on_send_start_one_conversation(patient):
    errors = _twice_at_once(lambda: do_start_conversation(patient.user, patient, topic="question", subject="Hi",
                                                          body="One message", client_token="tap-1"))
    assert errors == [] and Conversation.objects.count() == 1 and Message.objects.count() == 1


def test_two_taps_on_reply_write_one_message(patient, nurse):
    conversation = do_start_conversation(patient.user, patient, topic="question", subject="Hi", body="Q")
    errors = _twice_at_once(lambda: do_send_message(nurse, conversation, body="A", client_token="tap-2"))
    assert errors == [] and Message.objects.filter(from_patient=False).count() == 1


def test_two_taps_on_how_do_you_feel_make_one_report(patient):
    errors = _twice_at_once(lambda: do_report_symptoms(patient.user, patient, client_token="tap-3",
                                                       answers=answers(headache=(3, "next_day"))))
    assert errors == [] and SymptomReport.objects.count() == 1 and Conversation.objects.count() == 1
