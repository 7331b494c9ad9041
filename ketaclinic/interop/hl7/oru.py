"""HL7 v2 ORU^R01 vitals from bedside monitors: parsing and acknowledgements (pure; no database).

A monitor names itself in OBX-18 (equipment instance) or in PV1-3 (assigned location: point of
care ^ room ^ bed); the first non-empty of OBX-18, PV1-3.3, PV1-3.1 is the device id matched
against Chair.monitor_device_id. Readings are recognised by LOINC or IEEE 11073 (MDC) codes in
OBX-3; times come from OBX-14, then OBR-7, then MSH-7 (clinic time when no offset is given).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

# OBX-3 code (LOINC or MDC) → VitalSign field
VITAL_CODES: dict[str, str] = {
    "8480-6": "systolic", "150021": "systolic", "MDC_PRESS_BLD_NONINV_SYS": "systolic",
    "8462-4": "diastolic", "150022": "diastolic", "MDC_PRESS_BLD_NONINV_DIA": "diastolic",
    "8867-4": "heart_rate", "147842": "heart_rate", "MDC_ECG_HEART_RATE": "heart_rate",
    "149530": "heart_rate", "MDC_PULS_OXIM_PULS_RATE": "heart_rate",
    "59408-5": "spo2", "2708-6": "spo2", "150456": "spo2", "MDC_PULS_OXIM_SAT_O2": "spo2",
    "9279-1": "respiratory_rate", "151562": "respiratory_rate", "MDC_RESP_RATE": "respiratory_rate",
}
# Result status (OBX-11) values that are real measurements; others (X cannot obtain, D delete…) are skipped.
USABLE_RESULT_STATUS = {"", "F", "R", "C", "P"}


class MessageError(ValueError):
    """The message cannot be used. `code` is the ACK code to answer with (AR reject, AE error)."""

    def __init__(self, reason: str, code: str = "AR") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass
class OruMessage:
    control_id: str
    sending_app: str
    sending_facility: str
    receiving_app: str
    receiving_facility: str
    version: str
    device_id: str
    taken_at: datetime | None
    readings: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    header: Header | None = None  # MSH as read_header gives it (to acknowledge the message)


@dataclass(frozen=True)
class Header:
    """The bits of MSH needed to acknowledge even a message we cannot otherwise use."""

    control_id: str
    sending_app: str
    sending_facility: str
    receiving_app: str
    receiving_facility: str
    version: str
    message_type: str


def fallback_control_id(raw: str) -> str:
    """A stable id for a message without MSH-10, so re-sends of it are still stored once."""
    return "sha1:" + hashlib.sha1(raw.encode("utf-8", "replace")).hexdigest()[:32]  # noqa: S324 - an id, not security


def read_header(text: str) -> Header:
    """MSH fields by plain splitting (works even when the rest of the message is malformed)."""
    first = text.lstrip("\r\n").split("\r", 1)[0]
    if not first.startswith("MSH") or len(first) < 8:
        raise MessageError("The message does not start with an MSH segment.")
    sep = first[3]
    fields = first.split(sep)
    # MSH-1 is the separator itself, so MSH-n is fields[n-1]
    def get(n: int) -> str:
        return fields[n - 1].strip() if len(fields) >= n else ""

    comp = get(2)[:1] or "^"
    return Header(control_id=get(10)[:64], sending_app=get(3).split(comp)[0][:100],
                  sending_facility=get(4).split(comp)[0][:100], receiving_app=get(5).split(comp)[0][:100],
                  receiving_facility=get(6).split(comp)[0][:100], version=get(12).split(comp)[0] or "2.5",
                  message_type=get(9))


def parse_ts(value: str, zone: ZoneInfo) -> datetime | None:
    """HL7 TS (YYYYMMDD[HH[MM[SS[.S…]]]][+/-ZZZZ]) → aware UTC datetime; None when empty."""
    value = value.strip().split("^")[0]
    if not value:
        return None
    offset = None
    for sign in ("+", "-"):
        if sign in value[8:]:
            idx = value.rindex(sign)
            value, off = value[:idx], value[idx + 1:]
            if len(off) != 4 or not off.isdigit():
                raise MessageError(f"Bad time zone offset in time {value!r}.")
            minutes = int(off[:2]) * 60 + int(off[2:])
            offset = timezone(timedelta(minutes=minutes if sign == "+" else -minutes))
            break
    main, _, frac = value.partition(".")
    if not main.isdigit() or len(main) not in (8, 10, 12, 14):
        raise MessageError(f"Bad time {value!r}: expected YYYYMMDDHHMMSS.")
    padded = main.ljust(14, "0")
    try:
        naive = datetime(  # noqa: DTZ001 - the zone is attached just below
            int(padded[0:4]), int(padded[4:6]), int(padded[6:8]), int(padded[8:10]), int(padded[10:12]),
            int(padded[12:14]), int((frac + "000000")[:6]) if frac.isdigit() else 0)
    except ValueError:
        raise MessageError(f"Bad time {value!r}.") from None
    aware = naive.replace(tzinfo=offset or zone)
    return aware.astimezone(UTC)


def _component(fields: list[str], field_no: int, component: int, repetition_sep: str, component_sep: str) -> str:
    """Field `field_no` (fields[0] is the segment name), component `component` (1-based), first
    repetition, as text."""
    if len(fields) <= field_no:
        return ""
    value = fields[field_no]
    if repetition_sep in value:
        value = value.split(repetition_sep, 1)[0]
    if component_sep not in value:
        return value.strip() if component == 1 else ""
    parts = value.split(component_sep)
    return parts[component - 1].strip() if len(parts) >= component else ""


def _number(code: str, raw_value: str) -> int:
    """An OBX-5 value as the whole number stored (0–1000). Raises MessageError (AE)."""
    if raw_value.isascii() and raw_value.isdigit():  # the usual case: no Decimal needed
        number: Decimal | int = int(raw_value)
    else:
        try:
            number = Decimal(raw_value)
        except InvalidOperation:
            raise MessageError(f"OBX {code}: value {raw_value!r} is not a number.", "AE") from None
        if not number.is_finite():
            raise MessageError(f"OBX {code}: value {raw_value!r} is out of range.", "AE")
    if not 0 <= number <= 1000:
        raise MessageError(f"OBX {code}: value {raw_value!r} is out of range.", "AE")
    return number if isinstance(number, int) else int(number.to_integral_value())


def parse_oru(text: str, zone: ZoneInfo) -> OruMessage:
    """Parse one ORU^R01. Raises MessageError (AR) for anything that is not a usable ORU^R01.

    Plain splitting with the separators the message declares in MSH-1 and MSH-2. (A full HL7
    parser costs about a millisecond a message; the monitor feed needs a few fields of four
    segment types, and escape sequences never occur in the numbers, codes and ids it reads.
    tests/interop/test_hl7_fast_path.py checks it against python-hl7.)"""
    header = read_header(text)
    first = text.lstrip("\r\n")
    kind = header.message_type.split(first[4:5] or "^")  # MSH-9 in the declared component separator
    if kind[:2] != ["ORU", "R01"]:
        raise MessageError(f"Only ORU^R01 observation messages are accepted, not {header.message_type or 'none'}.")
    if not header.control_id:
        raise MessageError("MSH-10 (message control id) is empty.")
    field_sep = first[3]
    encoding = first[4:8].split(field_sep, 1)[0]
    cs = encoding[0] if len(encoding) > 0 else "^"
    rs = encoding[1] if len(encoding) > 1 else "~"
    pv1: list[str] | None = None
    obr: list[str] | None = None
    device = ""
    readings: dict[str, int] = {}
    skipped: list[str] = []
    obx_time: datetime | None = None
    for line in first.replace("\n", "\r").split("\r"):
        name = line[:3]
        if name not in ("OBX", "PV1", "OBR"):
            continue
        fields = line.split(field_sep)
        if fields[0] != name:
            continue  # e.g. "OBXZ": not the segment we read
        if name == "PV1":
            pv1 = pv1 or fields
            continue
        if name == "OBR":
            obr = obr or fields
            continue
        code = _component(fields, 3, 1, rs, cs)
        if not device:
            device = _component(fields, 18, 1, rs, cs)
        vital = VITAL_CODES.get(code)
        if vital is None:
            skipped.append(code or "(no code)")
            continue
        status = _component(fields, 11, 1, rs, cs).upper()
        if status not in USABLE_RESULT_STATUS:
            skipped.append(f"{code} status {status}")
            continue
        readings[vital] = _number(code, _component(fields, 5, 1, rs, cs))
        if obx_time is None:
            obx_time = parse_ts(_component(fields, 14, 1, rs, cs), zone)
    pv1_bed = (_component(pv1, 3, 3, rs, cs) or _component(pv1, 3, 1, rs, cs)) if pv1 is not None else ""
    obr_time = _component(obr, 7, 1, rs, cs) if obr is not None else ""
    taken_at = obx_time or parse_ts(obr_time, zone) or parse_ts(_msh7(text), zone)
    return OruMessage(control_id=header.control_id, sending_app=header.sending_app,
                      sending_facility=header.sending_facility, receiving_app=header.receiving_app,
                      receiving_facility=header.receiving_facility, version=header.version,
                      device_id=(device or pv1_bed)[:64], taken_at=taken_at, readings=readings, skipped=skipped,
                      header=header)


def _msh7(text: str) -> str:
    first = text.lstrip("\r\n").split("\r", 1)[0]
    fields = first.split(first[3])
    return fields[6] if len(fields) > 6 else ""


def _escape(text: str) -> str:
    """HL7 escape sequences for the delimiters, and no segment breaks inside a text field."""
    out = text.replace("\\", "\\E\\").replace("|", "\\F\\").replace("^", "\\S\\").replace("&", "\\T\\")
    return out.replace("~", "\\R\\").replace("\r", " ").replace("\n", " ")[:200]


def build_ack(header: Header | None, code: str, text: str, *, now: datetime, ack_id: str,
              facility: str = "") -> str:
    """An ACK for `header` (or a generic one when the header could not be read)."""
    h = header or Header("", "", "", "", "", "2.5", "")
    stamp = now.astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")
    segments = [
        f"MSH|^~\\&|KETACLINIC|{_escape(facility or h.receiving_facility)}|{_escape(h.sending_app)}|"
        f"{_escape(h.sending_facility)}|{stamp}||ACK^R01^ACK|{ack_id}|P|{_escape(h.version) or '2.5'}",
        f"MSA|{code}|{_escape(h.control_id)}|{_escape(text)}",
    ]
    if code != "AA":
        # ERR-3 HL7 error code (207 application internal error, 100 segment sequence, 200 unsupported),
        # ERR-4 severity E
        err = "207^Application internal error^HL70357" if code == "AE" else "200^Unsupported message^HL70357"
        segments.append(f"ERR|||{err}|E||||{_escape(text)}")
    return "\r".join(segments) + "\r"


def build_oru(*, device_id: str, control_id: str, readings: dict[str, int], taken_at: datetime,
              sending_app: str = "BEDSIDE", facility: str = "KETACLINIC") -> str:
    """An ORU^R01 as a bedside monitor sends it (simulator, benches and tests)."""
    stamp = taken_at.astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")
    loinc = {"systolic": ("8480-6", "Systolic blood pressure", "mm[Hg]"),
             "diastolic": ("8462-4", "Diastolic blood pressure", "mm[Hg]"),
             "heart_rate": ("8867-4", "Heart rate", "/min"),
             "spo2": ("59408-5", "Oxygen saturation by pulse oximetry", "%"),
             "respiratory_rate": ("9279-1", "Respiratory rate", "/min")}
    segments = [
        f"MSH|^~\\&|{sending_app}|{device_id}|KETACLINIC|{facility}|{stamp}||ORU^R01^ORU_R01|{control_id}|P|2.5|||"
        f"AL|NE||UNICODE UTF-8",
        "PID|1||UNKNOWN",
        f"PV1|1|O|INFUSION^^{device_id}",
        f"OBR|1|||VITALS^Vital signs^L|||{stamp}",
    ]
    for n, (name, value) in enumerate(readings.items(), start=1):
        code, text, unit = loinc[name]
        segments.append(f"OBX|{n}|NM|{code}^{text}^LN||{value}|{unit}^^UCUM|||||F|||{stamp}||||{device_id}")
    return "\r".join(segments) + "\r"
