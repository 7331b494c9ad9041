"""MLLP framing and ORU^R01 parsing (pure, no sockets or database)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ketaclinic.interop.hl7.mllp import FS, VT, FrameError, FrameReader, wrap
from ketaclinic.interop.hl7.oru import MessageError, build_ack, build_oru, parse_oru, parse_ts, read_header

NY = ZoneInfo("America/New_York")
AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def oru(**kw):
    kw.setdefault("device_id", "MON-1")
    kw.setdefault("control_id", "C1")
    kw.setdefault("readings", {"systolic": 128, "diastolic": 82, "heart_rate": 76, "spo2": 97,
                               "respiratory_rate": 14})
    kw.setdefault("taken_at", AT)
    return build_oru(**kw)


def test_frames_split_across_reads_come_out_whole():
    data = wrap(b"MSH|one") + wrap(b"MSH|two")
    reader = FrameReader()
    out = []
    for i in range(0, len(data), 3):
        out += reader.feed(data[i:i + 3])
    assert out == [b"MSH|one", b"MSH|two"]
    assert not reader.has_partial


def test_junk_between_frames_is_dropped_and_counted():
    reader = FrameReader()
    assert reader.feed(b"hello" + wrap(b"MSH|a") + b"\r\n") == [b"MSH|a"]
    assert reader.junk_bytes == 5


def test_a_frame_cut_short_by_a_new_start_is_reported():
    reader = FrameReader()
    out = reader.feed(VT + b"MSH|broken" + VT + b"MSH|ok" + FS + b"\r")
    assert isinstance(out[0], FrameError) and out[1] == b"MSH|ok"


def test_an_oversized_frame_is_reported_once_and_skipped():
    reader = FrameReader(max_bytes=10)
    out = reader.feed(VT + b"x" * 50 + FS + b"\r" + wrap(b"MSH|ok"))
    assert isinstance(out[0], FrameError) and "larger" in out[0].reason
    assert out[1] == b"MSH|ok"


def test_a_partial_frame_waits_for_the_rest():
    reader = FrameReader()
    assert reader.feed(VT + b"MSH|half") == []
    assert reader.has_partial
    assert reader.feed(b"-rest" + FS + b"\r") == [b"MSH|half-rest"]


def test_it_parses_vitals_device_and_time():
    message = parse_oru(oru(), NY)
    assert message.control_id == "C1"
    assert message.device_id == "MON-1"
    assert message.readings == {"systolic": 128, "diastolic": 82, "heart_rate": 76, "spo2": 97,
                                "respiratory_rate": 14}
    assert message.taken_at == AT


def test_it_reads_mdc_codes_and_the_bed_from_pv1():
    text = ("MSH|^~\\&|GW|ICU|KC|H|20260302100000||ORU^R01|X9|P|2.6\r"
            "PV1|1|O|INF^^BED-7\r"
            "OBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC||93.6|%|||||F\r"
            "OBX|2|NM|147842^MDC_ECG_HEART_RATE^MDC||101|/min|||||X\r")
    message = parse_oru(text, NY)
    assert message.device_id == "BED-7"
    assert message.readings == {"spo2": 94}  # the heart rate has status X (cannot obtain): skipped
    assert message.taken_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 10:00 New York, no offset given


@pytest.mark.parametrize("text, fragment", [
    ("PID|1\r", "MSH"),
    ("MSH|^~\\&|A|B|C|D|20260302||ADT^A01|1|P|2.5\r", "ORU^R01"),
    ("MSH|^~\\&|A|B|C|D|20260302||ORU^R01||P|2.5\r", "MSH-10"),
])
def test_it_rejects_messages_it_cannot_use(text, fragment):
    with pytest.raises(MessageError) as exc:
        parse_oru(text, NY)
    assert fragment in exc.value.reason and exc.value.code == "AR"


def test_a_non_numeric_value_is_an_application_error():
    text = oru().replace("|76|", "|seventy|")
    with pytest.raises(MessageError) as exc:
        parse_oru(text, NY)
    assert exc.value.code == "AE" and "not a number" in exc.value.reason


@pytest.mark.parametrize("value, expected", [
    ("20260302150000+0000", datetime(2026, 3, 2, 15, 0, tzinfo=UTC)),
    ("20260302100000-0500", datetime(2026, 3, 2, 15, 0, tzinfo=UTC)),
    ("202603021000", datetime(2026, 3, 2, 15, 0, tzinfo=UTC)),
    ("20260302150000.25+0000", datetime(2026, 3, 2, 15, 0, 0, 250000, tzinfo=UTC)),
    ("", None),
])
def test_hl7_times(value, expected):
    assert parse_ts(value, NY) == expected


@pytest.mark.parametrize("value", ["2026", "20261302000000", "20260302150000+05", "abc"])
def test_bad_hl7_times_are_refused(value):
    with pytest.raises(MessageError):
        parse_ts(value, NY)


def test_the_ack_echoes_the_control_id_and_escapes_the_reason():
    header = read_header(oru(control_id="ABC-1"))
    ack = build_ack(header, "AE", "Unknown monitor 'X|Y'", now=AT, ack_id="A1")
    segments = ack.strip("\r").split("\r")
    assert segments[0].split("|")[8] == "ACK^R01^ACK"
    assert segments[1].split("|")[:3] == ["MSA", "AE", "ABC-1"]
    assert "X\\F\\Y" in segments[1]
    assert segments[2].startswith("ERR|")
