"""Monitor messages stored a batch at a time: one transaction, one audit-chain lock, the same rules
per reading as the single vitals action, and an ACK per message that says what happened to it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketaclinic.audit.log import EventSpec, first_chain_break, record_event, record_events
from ketaclinic.audit.models import AuditEvent
from ketaclinic.infusions.actions import do_record_vitals
from ketaclinic.infusions.actions.vitals import MonitorReading, VisitRef, do_record_monitor_vitals
from ketaclinic.infusions.models import VitalAlert, VitalSign
from ketaclinic.interop.hl7.ingest import Processor
from ketaclinic.interop.hl7.mllp import Incoming, Ingestor, MLLPServer, wrap
from ketaclinic.interop.hl7.oru import build_oru
from ketaclinic.interop.models import MonitorMessage
from tests.interop.conftest import MONITOR_ID, run_async

pytestmark = pytest.mark.django_db

NORMAL = {"systolic": 124, "diastolic": 80, "heart_rate": 72, "spo2": 98, "respiratory_rate": 14}


def incoming(control_id: str, *, device: str = MONITOR_ID, readings: dict | None = None,
             minutes_ago: float = 1) -> Incoming:
    text = build_oru(device_id=device, control_id=control_id, readings=readings or NORMAL,
                     taken_at=timezone.now() - timedelta(minutes=minutes_ago))
    return Incoming(text.encode(), "10.0.0.5:4000", timezone.now())


def codes(acks: Sequence[str]) -> list[str]:
    return [a.split("\r")[1].split("|")[1] for a in acks]


def test_one_bad_message_does_not_hold_back_the_good_ones(clinic, visit_in_chair):
    items = [
        incoming("G1", minutes_ago=10),
        Incoming(b"not HL7 at all", "x", timezone.now()),
        incoming("U1", device="MON-NOBODY"),
        incoming("BAD", readings={**NORMAL, "spo2": 140}),
        incoming("G2", minutes_ago=5, readings={**NORMAL, "heart_rate": 80}),
    ]
    acks = Processor(clinic.pk)(items)
    assert codes(acks) == ["AA", "AR", "AE", "AE", "AA"]
    assert "MSA|AE|U1|Unknown monitor" in acks[2] and "MSA|AE|BAD|" in acks[3]
    assert sorted(VitalSign.objects.values_list("heart_rate", flat=True)) == [72, 80]
    statuses = dict(MonitorMessage.objects.exclude(control_id__startswith="sha1:").values_list("control_id", "status"))
    assert statuses == {"G1": "accepted", "U1": "error", "BAD": "error", "G2": "accepted"}
    assert MonitorMessage.objects.filter(status="rejected").count() == 1
    assert first_chain_break() is None


def test_a_control_id_twice_in_one_batch_is_stored_once(clinic, visit_in_chair):
    acks = Processor(clinic.pk)([incoming("TWICE"), incoming("TWICE"), incoming("OTHER", minutes_ago=6)])
    assert codes(acks) == ["AA", "AA", "AA"]
    assert "Duplicate" in acks[1] and "Duplicate" not in acks[0]
    assert MonitorMessage.objects.filter(control_id="TWICE").count() == 1
    assert VitalSign.objects.count() == 2


def test_a_refused_message_repeated_in_the_batch_gets_the_same_answer(clinic, visit_in_chair):
    acks = Processor(clinic.pk)([incoming("U2", device="MON-NOBODY"), incoming("U2", device="MON-NOBODY")])
    assert codes(acks) == ["AE", "AE"]
    assert "Duplicate" in acks[1] and "Unknown monitor" in acks[1]
    assert MonitorMessage.objects.count() == 1


def test_another_listener_storing_the_same_control_id_first_is_caught_by_the_constraint(
        clinic, visit_in_chair, monkeypatch):
    """The batch's look-up missed it (stored in between): the unique constraint refuses the
    insert, the batch is redone message by message and the repeat is answered as a duplicate."""
    Processor(clinic.pk)([incoming("RACE", minutes_ago=20)])
    monkeypatch.setattr(Processor, "_stored", lambda self, works: {})
    acks = Processor(clinic.pk)([incoming("RACE", minutes_ago=20), incoming("FRESH", minutes_ago=3)])
    assert codes(acks) == ["AA", "AA"]
    assert "Duplicate" in acks[0]
    assert MonitorMessage.objects.filter(control_id="RACE").count() == 1
    assert VitalSign.objects.count() == 2
    assert first_chain_break() is None


def test_the_batch_path_raises_the_same_alerts_as_the_single_action(clinic, visit_in_chair, nurse):
    low = {**NORMAL, "spo2": 86, "systolic": 182}
    do_record_vitals(nurse, visit_in_chair, **low, taken_at=timezone.now() - timedelta(minutes=30))
    by_hand = sorted(VitalAlert.objects.values_list("code", flat=True))
    assert by_hand  # the values are out of range, so the comparison below means something
    VitalAlert.objects.all().delete()
    [stored] = do_record_monitor_vitals([MonitorReading(VisitRef.of(visit_in_chair), MONITOR_ID, low,
                                                        timezone.now() - timedelta(minutes=10))])
    assert isinstance(stored, int)
    vital = VitalSign.objects.get(pk=stored)
    assert vital.confirmed_at is None and vital.entered_by is None and vital.source == "monitor"
    assert sorted(VitalAlert.objects.filter(vital_sign=stored).values_list("code", flat=True)) == by_hand
    event = AuditEvent.objects.filter(action="VITALS_RECORDED", object_id=str(stored)).get()
    assert event.details["source"] == "monitor" and event.details["alerts"] == by_hand
    assert event.patient_ref == visit_in_chair.patient_id and event.clinic_ref == clinic.pk


def test_an_identical_reading_within_90_seconds_is_a_resend_also_inside_one_batch(clinic, visit_in_chair):
    taken = timezone.now() - timedelta(minutes=5)
    same = [MonitorReading(VisitRef.of(visit_in_chair), MONITOR_ID, NORMAL, taken),
            MonitorReading(VisitRef.of(visit_in_chair), MONITOR_ID, NORMAL, taken + timedelta(seconds=30))]
    first, second = do_record_monitor_vitals(same)
    assert first == second and isinstance(first, int)
    [again] = do_record_monitor_vitals([MonitorReading(VisitRef.of(visit_in_chair), MONITOR_ID, NORMAL, taken)])
    assert again == first
    [later] = do_record_monitor_vitals([MonitorReading(VisitRef.of(visit_in_chair), MONITOR_ID, NORMAL,
                                                       taken + timedelta(seconds=200))])
    assert isinstance(later, int) and later != first
    assert VitalSign.objects.count() == 2


def test_the_batch_path_refuses_what_the_single_action_refuses(clinic, visit_in_chair, patient):
    future = timezone.now() + timedelta(minutes=10)
    results = do_record_monitor_vitals([
        MonitorReading(VisitRef.of(visit_in_chair), "", NORMAL),
        MonitorReading(VisitRef.of(visit_in_chair), MONITOR_ID, {}),
        MonitorReading(VisitRef.of(visit_in_chair), MONITOR_ID, NORMAL, future),
        MonitorReading(VisitRef.of(visit_in_chair), MONITOR_ID, {**NORMAL, "heart_rate": 400}),
        MonitorReading(VisitRef.of(visit_in_chair), MONITOR_ID, NORMAL),
    ])
    assert [type(r).__name__ for r in results] == ["InfusionError"] * 4 + ["int"]
    assert "device id" in str(results[0]) and "at least one" in str(results[1]) and "future" in str(results[2])
    assert VitalSign.objects.count() == 1


def test_record_events_writes_what_record_event_would_and_the_chain_verifies(clinic, patient, nurse):
    record_event(nurse, "BEFORE", clinic=clinic)
    events = record_events([EventSpec(nurse, "ONE", patient=patient, details={"n": 1}),
                            EventSpec(None, "TWO", clinic=clinic, obj=patient, details={"when": timezone.now()})])
    record_event(None, "AFTER", clinic=clinic)
    assert [e.action for e in AuditEvent.objects.order_by("id")][-4:] == ["BEFORE", "ONE", "TWO", "AFTER"]
    one = AuditEvent.objects.get(pk=events[0].pk)
    assert (one.actor_label, one.clinic_ref, one.patient_ref, one.patient_label) == (
        nurse.email, patient.clinic_id, patient.pk, patient.display_name)
    assert AuditEvent.objects.get(pk=events[1].pk).object_id == str(patient.pk)
    assert first_chain_break() is None
    AuditEvent.objects.filter(pk=events[0].pk).update(details={"n": 2})  # tampering is still caught
    assert first_chain_break() is not None and first_chain_break().event_id == events[0].pk  # type: ignore[union-attr]
    assert record_events([]) == []


def test_the_queries_of_a_batch_do_not_grow_with_its_size(clinic, visit_in_chair):
    def batch(prefix: str, n: int, hours_ago: int) -> int:
        start = timezone.now() - timedelta(hours=hours_ago)
        items = [Incoming(build_oru(device_id=MONITOR_ID, control_id=f"{prefix}{k}", readings={"heart_rate": 60 + k},
                                    taken_at=start + timedelta(minutes=4 * k)).encode(), "x", timezone.now())
                 for k in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            acks = Processor(clinic.pk)(items)
        assert codes(acks) == ["AA"] * n
        return len(ctx)

    assert batch("A", 1, 4) == batch("B", 20, 3)
    assert VitalSign.objects.count() == 21


def test_messages_arriving_together_on_many_connections_share_a_batch(clinic):
    """The ingestor waits a moment for the other connections' messages and stores them together."""
    sizes: list[int] = []

    def process(items: Sequence[Incoming]) -> list[str]:
        sizes.append(len(items))
        return [build_oru(device_id="X", control_id="ACK", readings={}, taken_at=timezone.now())] * len(items)

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = MLLPServer(Ingestor(process, linger_s=0.5), host="127.0.0.1", port=0)
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    try:
        async def five() -> None:
            message = build_oru(device_id="X", control_id="M", readings=NORMAL, taken_at=timezone.now())
            conns = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(5)]
            await asyncio.sleep(0.1)  # all five connected before any sends
            await asyncio.gather(*(send_on(r, w, message) for r, w in conns))

        async def send_on(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, message: str) -> None:
            writer.write(wrap(message.encode()))
            await writer.drain()
            await reader.read(65536)
            writer.close()

        run_async(five())
        assert sizes == [5]
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_a_visit_left_in_the_chair_since_yesterday_does_not_collect_readings(clinic, visit_in_chair):
    """Nobody discharged yesterday's patient: today's monitor readings must not land on their chart."""
    from ketaclinic.schedule.models import Visit

    length = visit_in_chair.ends_at - visit_in_chair.starts_at
    yesterday = visit_in_chair.starts_at - timedelta(days=1)
    Visit.objects.filter(pk=visit_in_chair.pk).update(starts_at=yesterday, ends_at=yesterday + length)
    [ack] = Processor(clinic.pk)([incoming("LATE")])
    assert "MSA|AE|LATE|No patient is in Chair 1 now" in ack
    assert not VitalSign.objects.exists()
    assert MonitorMessage.objects.get().status == "error"


def test_the_same_control_id_at_another_clinic_is_not_a_duplicate(clinic, other_clinic, visit_in_chair):
    [theirs] = Processor(other_clinic.pk)([incoming("SHARED-1", device="THEIR-MON")])
    assert "MSA|AE|SHARED-1|" in theirs
    [ours] = Processor(clinic.pk)([incoming("SHARED-1")])
    assert "MSA|AA|SHARED-1|Stored" in ours and "Duplicate" not in ours
    assert VitalSign.objects.filter(visit=visit_in_chair).count() == 1
    assert MonitorMessage.objects.filter(control_id="SHARED-1").count() == 2


def test_the_batch_path_follows_a_protocol_change_at_once(clinic, visit_in_chair, medical_director):
    """The feed keeps each protocol version's rules (versions are never edited) but reads which
    version is current on every batch: a change applies to the very next reading."""
    from ketaclinic.clinics.actions import do_change_protocol_setting

    reading = {**NORMAL, "spo2": 93}  # below the default notify level of 94
    [before] = do_record_monitor_vitals([MonitorReading(VisitRef.of(visit_in_chair), MONITOR_ID, reading,
                                                        timezone.now() - timedelta(minutes=20))])
    assert VitalAlert.objects.filter(vital_sign=before).exists()
    do_change_protocol_setting(medical_director, clinic, "monitoring.alert_spo2_notify", 93, "Our oximeters read low")
    [after] = do_record_monitor_vitals([MonitorReading(VisitRef.of(visit_in_chair), MONITOR_ID, reading,
                                                       timezone.now() - timedelta(minutes=10))])
    assert isinstance(after, int) and after != before
    assert not VitalAlert.objects.filter(vital_sign=after).exists()


def test_insert_rows_stores_exactly_what_the_orm_stores(clinic, visit_in_chair, nurse):
    """insert_rows (one JSON array on PostgreSQL) against Model.save: every column read back equal —
    microsecond times with offsets, decimals, nulls, JSON, choices — and ids in row order."""
    from datetime import UTC
    from datetime import timezone as fixed_zone
    from decimal import Decimal

    from ketaclinic.bulk import insert_rows

    taken = timezone.now().astimezone(fixed_zone(timedelta(hours=-5))).replace(microsecond=123457)
    created = timezone.now().astimezone(UTC)

    def vital(**extra) -> VitalSign:
        return VitalSign(clinic=clinic, visit=visit_in_chair, taken_at=taken, phase="infusion", source="monitor",
                         device_id="MON-Ü", created_at=created, systolic=131, diastolic=None,
                         heart_rate=77, spo2=97, respiratory_rate=14, temperature_c=Decimal("36.8"), **extra)

    by_orm = vital(entered_by=nurse)
    by_orm.save()
    batch = [vital(entered_by=nurse), vital(repeat=True, symptoms=True), vital(rass=-1)]
    insert_rows(batch)
    assert [v.pk for v in batch] == sorted(v.pk for v in batch) and by_orm.pk not in [v.pk for v in batch]

    def columns(pk: int) -> dict:
        row = VitalSign.objects.filter(pk=pk).values().get()
        row.pop("id")
        return row

    assert columns(batch[0].pk) == columns(by_orm.pk)
    assert columns(batch[1].pk) == {**columns(by_orm.pk), "repeat": True, "symptoms": True, "entered_by_id": None}
    assert columns(batch[2].pk)["rass"] == -1 and columns(batch[2].pk)["taken_at"] == taken

    message = MonitorMessage(clinic=clinic, control_id="JSON-1", sending_app="A", raw="MSH|…", status="accepted",
                             ack_code="AA", readings={"spo2": 97, "note": ["ü", None]}, received_at=taken)
    insert_rows([message])
    stored = MonitorMessage.objects.get(pk=message.pk)
    assert stored.readings == {"spo2": 97, "note": ["ü", None]} and stored.received_at == taken
    assert stored.visit_id is None and stored.reviewed_at is None and stored.reason == ""
