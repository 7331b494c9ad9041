"""The monitor inbox pages and home panels: who sees what, review with a note, bounded queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEvent
from ketaclinic.interop.hl7.ingest import Processor
from ketaclinic.interop.hl7.mllp import Incoming
from ketaclinic.interop.hl7.oru import build_oru
from ketaclinic.interop.models import MonitorMessage

pytestmark = pytest.mark.django_db


def receive(clinic, control_id: str, device: str = "MON-UNKNOWN") -> MonitorMessage:
    text = build_oru(device_id=device, control_id=control_id, readings={"heart_rate": 70},
                     taken_at=timezone.now() - timedelta(seconds=10))
    Processor(clinic.pk)([Incoming(text.encode(), "10.0.0.9:5000", timezone.now())])
    return MonitorMessage.objects.get(control_id=control_id)


def test_a_nurse_reviews_an_unfiled_message(login, nurse, clinic):
    message = receive(clinic, "CTRL-X-1")
    client = login(nurse)
    page = client.get(reverse("interop:monitor_inbox")).content.decode()
    assert "Unknown monitor" in page and "CTRL-X-1" in page
    assert client.post(reverse("interop:monitor_message", args=[message.pk]), {"note": ""}).status_code == 422
    response = client.post(reverse("interop:monitor_message", args=[message.pk]), {"note": "Vitals entered by hand"})
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.reviewed_by, message.review_note) == (nurse, "Vitals entered by hand")
    assert message.status == "error"  # what happened stays recorded
    assert AuditEvent.objects.filter(action="MONITOR_MESSAGE_REVIEWED").count() == 1
    assert "CTRL-X-1" not in client.get(reverse("interop:monitor_inbox")).content.decode()
    assert "CTRL-X-1" in client.get(reverse("interop:monitor_inbox") + "?show=all").content.decode()


@pytest.mark.parametrize("persona", ["front_desk", "admin_user", "other_clinic_nurse"])
def test_people_without_the_clinical_chart_cannot_see_the_inbox(request, login, persona, clinic):
    message = receive(clinic, "CTRL-X-2")
    client = login(request.getfixturevalue(persona))
    assert client.get(reverse("interop:monitor_inbox")).status_code in (403, 200)
    if persona == "other_clinic_nurse":
        assert "CTRL-X-2" not in client.get(reverse("interop:monitor_inbox")).content.decode()
    else:
        assert client.get(reverse("interop:monitor_inbox")).status_code == 403
    assert client.get(reverse("interop:monitor_message", args=[message.pk])).status_code == 404


def test_patients_and_anonymous_cannot_see_the_inbox(login, patient, anon, clinic):
    message = receive(clinic, "CTRL-X-3")
    assert login(patient.user).get(reverse("interop:monitor_inbox")).status_code == 403
    assert login(patient.user).get(reverse("interop:monitor_message", args=[message.pk])).status_code == 404
    assert anon.get(reverse("interop:monitor_inbox")).status_code == 302


def test_the_inbox_has_a_bounded_query_count(login, nurse, clinic):
    client = login(nurse)
    receive(clinic, "Q0")
    client.get(reverse("interop:monitor_inbox"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("interop:monitor_inbox"))
    for n in range(1, 20):
        receive(clinic, f"Q{n}")
    with CaptureQueriesContext(connection) as twenty:
        assert client.get(reverse("interop:monitor_inbox")).content.decode().count("Unknown monitor") == 20
    assert len(one) == len(twenty)


def test_home_panels(login, nurse, admin_user, front_desk, clinic):
    assert "Bedside monitor messages" not in login(nurse).get("/").content.decode()
    receive(clinic, "P1")
    assert "1 message from a monitor" in login(nurse).get("/").content.decode()
    assert "Bedside monitor messages" not in login(front_desk).get("/").content.decode()
    assert "Manage API tokens" in login(admin_user).get("/").content.decode()
    assert "Manage API tokens" not in login(nurse).get("/").content.decode()


def test_a_database_failure_answers_resend_and_stores_nothing(clinic, visit_in_chair, monkeypatch):
    from django.db import OperationalError

    from ketaclinic.infusions.models import VitalSign
    from tests.interop.conftest import MONITOR_ID

    def broken(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("ketaclinic.interop.hl7.ingest.insert_values", broken)  # the batch's inbox rows
    monkeypatch.setattr(MonitorMessage, "save", broken)
    text = build_oru(device_id=MONITOR_ID, control_id="DB1", readings={"heart_rate": 70},
                     taken_at=timezone.now() - timedelta(seconds=10))
    [ack] = Processor(clinic.pk)([Incoming(text.encode(), "x", timezone.now())])
    assert "MSA|AE|DB1|Temporary error" in ack
    assert not VitalSign.objects.exists()


def test_a_failed_batch_is_redone_message_by_message(clinic, visit_in_chair, monkeypatch):
    from django.db import IntegrityError

    from ketaclinic.infusions.models import VitalSign
    from tests.interop.conftest import MONITOR_ID

    def conflict(*args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr("ketaclinic.interop.hl7.ingest.insert_values", conflict)  # the batch's inbox rows
    items = [Incoming(build_oru(device_id=device, control_id=f"F{n}", readings={"heart_rate": 70 + n},
                                taken_at=timezone.now() - timedelta(seconds=10)).encode(), "x", timezone.now())
             for n, device in enumerate([MONITOR_ID, "MON-NOPE", MONITOR_ID])]
    acks = Processor(clinic.pk)(items)
    assert [a.split("\r")[1].split("|")[1] for a in acks] == ["AA", "AE", "AA"]
    assert VitalSign.objects.count() == 2
    assert MonitorMessage.objects.count() == 3
