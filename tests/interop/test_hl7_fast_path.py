"""The hot path reads HL7 v2 by plain splitting (oru.py); python-hl7, a full parser, is the reference.

For generated ORU^R01 messages shaped like what monitors and gateways send (LOINC or IEEE 11073
codes, the device id in OBX-18 or in PV1-3, extra segments, skipped results, decimal values,
times with and without offsets, other declared separators) the fast parser must read the same
fields python-hl7 reads. And the ACKs we build must read back through python-hl7 as we meant.
See docs/decisions/0003-hl7-fast-path.md.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import hl7
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketaclinic.interop.hl7.oru import VITAL_CODES, build_ack, parse_oru, parse_ts, read_header

ZONE = ZoneInfo("America/New_York")
ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._"
CODES_BY_VITAL: dict[str, list[str]] = {}
for _code, _name in VITAL_CODES.items():
    CODES_BY_VITAL.setdefault(_name, []).append(_code)
# (field, component, repetition, escape, subcomponent) as monitors declare them in MSH-1/MSH-2
SEPARATORS = [("|", "^", "~", "\\", "&"), ("#", "$", "*", "\\", "@")]


@st.composite
def stamps(draw: st.DrawFn) -> str:
    moment = draw(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)))
    text = moment.strftime("%Y%m%d%H%M%S")[:draw(st.sampled_from([8, 12, 14, 14, 14]))]
    if len(text) == 14 and draw(st.booleans()):
        text += f".{moment.microsecond:06d}"[:draw(st.integers(2, 7))]
    if draw(st.booleans()):
        minutes = draw(st.integers(-12 * 60, 14 * 60)) // 15 * 15
        text += f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    return text


@st.composite
def monitor_messages(draw: st.DrawFn) -> str:
    """An ORU^R01 as monitors and gateways send them."""
    f, c, r, e, s = draw(st.sampled_from(SEPARATORS))
    control_id = draw(st.text(ID_CHARS, min_size=1, max_size=30))
    app = draw(st.text(ID_CHARS, max_size=20))
    device = draw(st.text(ID_CHARS, min_size=1, max_size=20))
    where = draw(st.sampled_from(["obx18", "pv1_bed", "pv1_point_of_care"]))
    segments = [f"MSH{f}{c}{r}{e}{s}{f}{app}{c}{draw(st.text(ID_CHARS, max_size=8))}{f}{device}{f}KETACLINIC{f}"
                f"FAC{f}{draw(stamps())}{f}{f}ORU{c}R01{c}ORU_R01{f}{control_id}{f}P{f}2.5"
                + draw(st.sampled_from(["", f"{f}{f}{f}AL{f}NE{f}{f}UNICODE UTF-8"]))]
    if draw(st.booleans()):
        segments.append(f"EVN{f}R01{f}{draw(stamps())}")
    segments.append(f"PID{f}1{f}{f}UNKNOWN{r}ALT{f}{f}DOE{c}JANE")
    if where == "pv1_bed":
        segments.append(f"PV1{f}1{f}O{f}INFUSION{c}ROOM1{c}{device}")
    elif where == "pv1_point_of_care":
        segments.append(f"PV1{f}1{f}O{f}{device}")
    else:
        segments.append(f"PV1{f}1{f}O{f}INFUSION{c}{c}BED-ELSEWHERE")
    segments.append(f"OBR{f}1{f}{f}{f}VITALS{c}Vital signs{c}L{f}{f}{f}{draw(stamps())}")
    vitals = draw(st.lists(st.sampled_from(sorted(CODES_BY_VITAL)), min_size=1, max_size=7))
    for n, vital in enumerate(vitals, start=1):
        code = draw(st.sampled_from(CODES_BY_VITAL[vital]))
        value = draw(st.one_of(st.integers(0, 300).map(str),
                               st.decimals(0, 300, places=1, allow_nan=False).map(str)))
        status = draw(st.sampled_from(["F", "F", "R", "C", "X", "D", ""]))
        time = draw(st.one_of(st.just(""), stamps()))
        equipment = device if where == "obx18" and draw(st.booleans()) else ""
        segments.append(f"OBX{f}{n}{f}NM{f}{code}{c}{vital}{c}MDC{r}{code}{f}{f}{value}{f}/min{c}{c}UCUM{f}{f}{f}{f}"
                        f"{f}{status}{f}{f}{f}{time}{f}{f}{f}{f}{equipment}")
        if draw(st.integers(0, 4)) == 0:
            segments.append(f"NTE{f}1{f}{f}artefact check{r}second note")
        if draw(st.integers(0, 5)) == 0:  # a result the clinic does not chart
            segments.append(f"OBX{f}{n}{f}NM{f}8310-5{c}Body temperature{c}LN{f}{f}36.8{f}Cel{f}{f}{f}{f}{f}F")
    return "\r".join(segments) + "\r"


def _field(message: hl7.Message, segment: str, number: int, field: int, component: int = 1) -> str:
    """python-hl7's extract_field, with "" for a component the field does not have."""
    try:
        return str(message.extract_field(segment, number, field, 1, component))
    except IndexError:
        return ""


def reference(text: str) -> dict[str, object]:
    """What the message says, read with python-hl7 (the full parser) and the mapping rules of oru.py."""
    message = hl7.parse(text)
    msh = message.segment("MSH")
    obxs = message.segments("OBX")
    device = next((_field(message, "OBX", n, 18) for n in range(1, len(obxs) + 1)
                   if _field(message, "OBX", n, 18)), "")
    if not device:
        device = _field(message, "PV1", 1, 3, 3) or _field(message, "PV1", 1, 3, 1)
    readings: dict[str, int] = {}
    first_time = None
    for n in range(1, len(obxs) + 1):
        name = VITAL_CODES.get(_field(message, "OBX", n, 3))
        if name is None or _field(message, "OBX", n, 11).upper() not in {"", "F", "R", "C", "P"}:
            continue
        readings[name] = int(Decimal(_field(message, "OBX", n, 5)).to_integral_value())
        if first_time is None:
            first_time = parse_ts(_field(message, "OBX", n, 14), ZONE)
    taken_at = first_time or parse_ts(_field(message, "OBR", 1, 7), ZONE) or parse_ts(str(msh[7]), ZONE)
    return {"control_id": str(msh[10]), "sending_app": _field(message, "MSH", 1, 3),
            "device_id": device, "readings": readings, "taken_at": taken_at, "type": str(msh[9])}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(monitor_messages())
def test_the_fast_parser_reads_what_python_hl7_reads(text):
    expected = reference(text)
    got = parse_oru(text, ZONE)
    assert got.control_id == expected["control_id"]
    assert got.sending_app == expected["sending_app"]
    assert got.device_id == expected["device_id"]
    assert got.readings == expected["readings"]
    assert got.taken_at == expected["taken_at"]
    assert read_header(text).message_type.replace(text[4], "^") == str(expected["type"]).replace(text[4], "^")


def test_a_real_monitor_message_reads_the_same_both_ways():
    """A Philips-IntelliVue-gateway-shaped message: MDC codes, PV1 bed, OBX-18 device, NTE, unknown results."""
    text = ("MSH|^~\\&|IntelliVue^1234^EUI-64|PIIC|KETACLINIC|HARBOR|20261126101502-0500||ORU^R01^ORU_R01|"
            "PIIC-000871|P|2.6|||AL|NE||UNICODE UTF-8\r"
            "PID|||MRN0042^^^HOSP^MR||DOE^JANE||19800101|F\r"
            "PV1||I|ICU^INF^CHAIR-3\r"
            "OBR|1|||182777000^monitoring of patient^SCT|||20261126101500-0500\r"
            "OBX|1|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.1.1.1|131|266016^MDC_DIM_MMHG^MDC|||||R|||"
            "20261126101500-0500||||CHAIR-3-MX450\r"
            "OBX|2|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC|1.1.1.2|84|266016^MDC_DIM_MMHG^MDC|||||R\r"
            "NTE|1||cuff on left arm\r"
            "OBX|3|NM|147842^MDC_ECG_HEART_RATE^MDC|1.2.1.1|77.6|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R\r"
            "OBX|4|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.3.1.1|97|262688^MDC_DIM_PERCENT^MDC|||||X\r"
            "OBX|5|NM|150344^MDC_TEMP^MDC|1.4.1.1|36.9|268192^MDC_DIM_DEGC^MDC|||||R\r")
    expected, got = reference(text), parse_oru(text, ZONE)
    assert expected["readings"] == got.readings == {"systolic": 131, "diastolic": 84, "heart_rate": 78}
    assert expected["device_id"] == got.device_id == "CHAIR-3-MX450"
    assert expected["taken_at"] == got.taken_at == datetime(2026, 11, 26, 15, 15, tzinfo=UTC)
    assert expected["control_id"] == got.control_id == "PIIC-000871"


@given(st.text(min_size=0, max_size=80), st.sampled_from(["AA", "AE", "AR"]),
       st.text(ID_CHARS + "|^~\\&", min_size=1, max_size=30))
def test_acks_read_back_through_python_hl7(reason, code, control_id):
    header = read_header(f"MSH|^~\\&|MON|WARD|KC|HARBOR|20261126101502||ORU^R01|{control_id}|P|2.5\r")
    ack = build_ack(header, code, reason, now=datetime(2026, 11, 26, 15, 0, tzinfo=UTC) + timedelta(seconds=1),
                    ack_id="A1", facility="harbor")
    message = hl7.parse(ack)
    assert str(message.segment("MSH")[9]) == "ACK^R01^ACK"
    msa = message.segment("MSA")
    assert str(msa[1]) == code
    # escaped delimiters come back as the text we meant (line breaks become spaces; 200 characters)
    meant = reason.replace("\r", " ").replace("\n", " ")
    assert message.unescape(str(msa[3])) == meant[:len(message.unescape(str(msa[3])))]
    assert message.unescape(str(msa[2])) == header.control_id
    assert ("ERR" in [str(s[0]) for s in message]) == (code != "AA")
