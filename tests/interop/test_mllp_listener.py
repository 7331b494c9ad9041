"""The MLLP listener over real sockets: ACKs, storage through the vitals action, the inbox, dedupe.

The listener runs in its own thread and event loop with its database thread, as in production,
so these tests commit for real (transaction=True).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from ketaclinic.infusions.models import VitalAlert, VitalSign
from ketaclinic.interop.hl7.ingest import Processor
from ketaclinic.interop.hl7.mllp import FS, VT, FrameReader, Ingestor, MLLPServer, wrap
from ketaclinic.interop.hl7.oru import build_oru
from ketaclinic.interop.models import MonitorMessage
from ketaclinic.schedule.actions import do_create_chair
from tests.interop.conftest import MONITOR_ID, book_visit, run_async, running_listener

pytestmark = pytest.mark.django_db(transaction=True)

NORMAL = {"systolic": 124, "diastolic": 80, "heart_rate": 72, "spo2": 98, "respiratory_rate": 14}


@pytest.fixture
def listener(clinic) -> Iterator[MLLPServer]:
    with running_listener(Processor(clinic.pk)) as server:
        yield server


def connect(server: MLLPServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return sock


def read_acks(sock: socket.socket, count: int) -> list[dict[str, str]]:
    reader = FrameReader()
    frames: list[bytes] = []
    while len(frames) < count:
        data = sock.recv(65536)
        if not data:
            break
        frames += [f for f in reader.feed(data) if isinstance(f, bytes)]
    acks = []
    for frame in frames:
        segments = {s.split("|")[0]: s.split("|") for s in frame.decode().strip("\r").split("\r")}
        acks.append({"code": segments["MSA"][1], "control_id": segments["MSA"][2], "text": segments["MSA"][3]})
    return acks


def send(server: MLLPServer, *payloads: bytes) -> list[dict[str, str]]:
    with connect(server) as sock:
        for p in payloads:
            sock.sendall(wrap(p))
        return read_acks(sock, len(payloads))


def message(control_id: str = "M1", device: str = MONITOR_ID, readings: dict | None = None, **kw) -> bytes:
    kw.setdefault("taken_at", timezone.now() - timedelta(seconds=5))
    return build_oru(device_id=device, control_id=control_id, readings=readings or NORMAL, **kw).encode()


def test_a_reading_is_stored_as_monitor_vitals_and_acknowledged(listener, visit_in_chair):
    [ack] = send(listener, message("M1"))
    assert ack["code"] == "AA" and ack["control_id"] == "M1"
    vital = VitalSign.objects.get()
    assert (vital.visit_id, vital.source, vital.device_id) == (visit_in_chair.pk, "monitor", MONITOR_ID)
    assert (vital.systolic, vital.diastolic, vital.heart_rate, vital.spo2, vital.respiratory_rate) == (124, 80, 72,
                                                                                                        98, 14)
    assert vital.entered_by is None and vital.confirmed_at is None  # waits for a nurse to confirm
    stored = MonitorMessage.objects.get()
    assert (stored.status, stored.ack_code, stored.visit_id) == ("accepted", "AA", visit_in_chair.pk)


def test_the_same_alert_rules_run(listener, visit_in_chair):
    [ack] = send(listener, message("LOW", readings={**NORMAL, "spo2": 86}))
    assert ack["code"] == "AA"
    assert VitalAlert.objects.filter(visit=visit_in_chair, vital="spo2").exists()


def test_a_duplicate_control_id_is_stored_once(listener, visit_in_chair):
    first = message("DUP-1")
    acks = send(listener, first, first)
    acks += send(listener, first)  # re-sent on a new connection after a lost ACK
    assert [a["code"] for a in acks] == ["AA", "AA", "AA"]
    assert "Duplicate" in acks[1]["text"]
    assert VitalSign.objects.count() == 1
    assert MonitorMessage.objects.count() == 1


def test_an_unknown_monitor_gets_an_error_and_waits_in_the_inbox(listener, visit_in_chair):
    [ack] = send(listener, message("U1", device="MON-XYZ"))
    assert ack["code"] == "AE" and "Unknown monitor" in ack["text"]
    stored = MonitorMessage.objects.get()
    assert (stored.status, stored.device_id) == ("error", "MON-XYZ")
    assert VitalSign.objects.count() == 0


def test_no_patient_in_the_chair_gets_an_error(listener, patient, monitored_chair, provider, front_desk):
    book_visit(patient, monitored_chair, provider, front_desk, status="booked")
    [ack] = send(listener, message("E1"))
    assert ack["code"] == "AE" and "No patient is in Chair 1" in ack["text"]
    assert MonitorMessage.objects.get().status == "error"


def test_it_finds_the_patient_in_the_right_chair(listener, clinic, patient, other_patient, monitored_chair,
                                                provider, front_desk):
    other_chair = do_create_chair(None, clinic, "Chair 2", monitor_device_id="MON-0002")
    book_visit(patient, monitored_chair, provider, front_desk)
    theirs = book_visit(other_patient, other_chair, provider, front_desk)
    send(listener, message("C2", device="MON-0002"))
    assert VitalSign.objects.get().visit_id == theirs.pk


def test_an_unparseable_message_is_rejected_and_kept(listener):
    acks = send(listener, b"this is not HL7", b"MSH|^~\\&|A|B|C|D|20260302||ADT^A01|Q1|P|2.5\r")
    assert [a["code"] for a in acks] == ["AR", "AR"]
    assert "MSH" in acks[0]["text"] and r"ORU\S\R01" in acks[1]["text"]  # ^ travels escaped as \S\
    assert set(MonitorMessage.objects.values_list("status", flat=True)) == {"rejected"}


def test_wrong_encoding_is_rejected_and_declared_latin1_is_accepted(listener, visit_in_chair):
    text = message("ENC1").decode().replace("KETACLINIC|", "KETACLINIC\u00e9|", 1)
    latin = text.encode("latin-1")  # but MSH-18 says UTF-8
    [bad] = send(listener, latin)
    assert bad["code"] == "AR" and "UTF-8" in bad["text"]
    declared = text.replace("ENC1", "ENC2").replace("UNICODE UTF-8", "8859/1").encode("latin-1")
    [good] = send(listener, declared)
    assert good["code"] == "AA"
    assert VitalSign.objects.count() == 1


def test_a_frame_in_pieces_and_two_frames_in_one_packet(listener, visit_in_chair):
    one = wrap(message("P1"))
    two = wrap(message("P2", readings={**NORMAL, "heart_rate": 80})) + wrap(message("P3", readings={**NORMAL,
                                                                                               "heart_rate": 84}))
    with connect(listener) as sock:
        for i in range(0, len(one), 7):
            sock.sendall(one[i:i + 7])
        assert [a["control_id"] for a in read_acks(sock, 1)] == ["P1"]
        sock.sendall(two)
        assert [a["control_id"] for a in read_acks(sock, 2)] == ["P2", "P3"]
    assert VitalSign.objects.count() == 3


def test_a_disconnect_mid_frame_stores_nothing_and_the_listener_keeps_going(listener, visit_in_chair):
    with connect(listener) as sock:
        sock.sendall(VT + message("HALF")[:60])
    [ack] = send(listener, message("NEXT"))
    assert ack["code"] == "AA"
    assert list(MonitorMessage.objects.values_list("control_id", flat=True)) == ["NEXT"]


def test_a_cut_short_frame_gets_a_reject_and_the_next_frame_is_handled(listener, visit_in_chair):
    with connect(listener) as sock:
        sock.sendall(VT + b"MSH|^~\\&|garbage" + wrap(message("AFTER")))
        acks = read_acks(sock, 2)
    assert [a["code"] for a in acks] == ["AR", "AA"]


def test_an_implausible_value_is_an_error_for_review(listener, visit_in_chair):
    [ack] = send(listener, message("BAD", readings={**NORMAL, "spo2": 140}))
    assert ack["code"] == "AE"
    assert MonitorMessage.objects.get().status == "error"
    assert VitalSign.objects.count() == 0


def test_junk_and_stray_end_markers_do_not_break_the_connection(listener, visit_in_chair):
    with connect(listener) as sock:
        sock.sendall(b"\r\nnoise" + FS + b"\r" + wrap(message("J1")))
        [ack] = read_acks(sock, 1)
    assert ack["code"] == "AA"


def test_the_simulated_monitor_feed_is_filed(listener, visit_in_chair):
    import random

    from ketaclinic.interop.hl7.simulator import MonitorState, run_monitor

    acks: list[str] = []
    state = MonitorState(MONITOR_ID, random.Random(3))
    start = timezone.now() - timedelta(minutes=30)
    times = iter(start + timedelta(minutes=5 * n) for n in range(3))
    run_async(run_monitor("127.0.0.1", listener.port, state, count=3, interval_s=0, clock=lambda: next(times),
                            on_ack=lambda cid, code, latency: acks.append(code)))
    assert acks == ["AA", "AA", "AA"]
    readings = list(VitalSign.objects.order_by("taken_at").values_list("systolic", flat=True))
    assert len(readings) == 3 and all(90 < s < 180 for s in readings)


def test_the_commands_refuse_an_unknown_clinic():
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No clinic"):
        call_command("run_mllp_listener", "--clinic", "nowhere", "--port", "0")
    with pytest.raises(CommandError, match="No clinic"):
        call_command("simulate_monitors", "--clinic", "nowhere")


@pytest.fixture
def second_listener(clinic, listener) -> Iterator[MLLPServer]:
    """Another listener process's worth: its own event loop, database thread and connection."""
    with running_listener(Processor(clinic.pk)) as server:
        yield server


def test_the_same_message_sent_to_two_listeners_at_once_is_stored_once(listener, second_listener, visit_in_chair):
    """Two listeners (as --processes gives) race to store the same messages: each is stored once.
    A listener that cannot store a message at that moment answers AE, and the monitor sends it
    again, as monitors do (SQLite in tests locks out the second writer; PostgreSQL waits)."""
    from concurrent.futures import ThreadPoolExecutor

    payloads = {f"TWICE-{n}": message(f"TWICE-{n}", readings={**NORMAL, "heart_rate": 60 + n}) for n in range(6)}

    def monitor(server: MLLPServer) -> dict[str, str]:
        codes: dict[str, str] = {}
        for _ in range(20):
            waiting = [cid for cid in payloads if codes.get(cid) != "AA"]
            if not waiting:
                break
            for ack in send(server, *(payloads[cid] for cid in waiting)):
                assert ack["code"] in ("AA", "AE"), ack
                codes[ack["control_id"]] = ack["code"]
        return codes

    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = [pool.submit(monitor, server) for server in (listener, second_listener, listener, second_listener)]
        answers = [run.result(120) for run in runs]
    assert all(codes == dict.fromkeys(payloads, "AA") for codes in answers)
    assert sorted(MonitorMessage.objects.values_list("control_id", flat=True)) == sorted(payloads)
    assert sorted(VitalSign.objects.values_list("heart_rate", flat=True)) == [60, 61, 62, 63, 64, 65]


def test_listeners_can_share_a_port(clinic, visit_in_chair):
    """--processes: listeners bound with SO_REUSEPORT on one port all answer, and store each message once."""
    loops, servers = [], []
    try:
        for _ in range(2):
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, daemon=True).start()
            port = servers[0].port if servers else 0
            server = MLLPServer(Ingestor(Processor(clinic.pk)), host="127.0.0.1", port=port, reuse_port=True)
            asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
            loops.append(loop)
            servers.append(server)
        assert servers[0].port == servers[1].port
        for n in range(8):  # new connections: the kernel spreads them over both listeners
            [ack] = send(servers[0], message(f"SHARED-{n}", readings={**NORMAL, "heart_rate": 60 + n}))
            assert ack["code"] == "AA"
        assert MonitorMessage.objects.count() == VitalSign.objects.count() == 8
    finally:
        for loop, server in zip(loops, servers, strict=False):
            asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)


def test_several_processes_need_a_fixed_port(clinic):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="fixed --port"):
        call_command("run_mllp_listener", "--clinic", clinic.slug, "--port", "0", "--processes", "2")
    with pytest.raises(CommandError, match="between 1 and 32"):
        call_command("run_mllp_listener", "--clinic", clinic.slug, "--processes", "0")
