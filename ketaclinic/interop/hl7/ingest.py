"""Storing monitor messages: runs in the listener's database thread, never on the event loop.

For each message, in one savepoint of the batch transaction:
1. decode the bytes (MSH-18 charset; UTF-8 when absent) — undecodable → AR, kept in the inbox;
2. read MSH; a control id (MSH-10) already stored for this sender → answer as before, store nothing;
3. parse the ORU^R01 — unusable → AR/AE, kept;
4. find the chair whose monitor id matches, and the visit in that chair now (in chair, infusing,
   recovering) — none → AE, kept for review;
5. record the vitals through infusions' do_record_vitals (source "monitor", same alert rules) —
   an implausible value → AE, kept; else AA and the message is kept, linked to the visit.
The batch commits once; if the commit fails every message is answered AE (resend), and the
monitor's re-send is then stored once thanks to step 2 and the unique constraint.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import DatabaseError, IntegrityError, close_old_connections, transaction
from django.utils import timezone

from ketaclinic.clinics.models import Clinic
from ketaclinic.interop.hl7.mllp import Incoming
from ketaclinic.interop.hl7.oru import Header, MessageError, build_ack, fallback_control_id, parse_oru, read_header
from ketaclinic.interop.models import InboxStatus, MonitorMessage
from ketaclinic.schedule.models import Chair, Visit, VisitStatus

log = logging.getLogger(__name__)

# A monitor reading belongs to the visit whose patient is in the chair now.
IN_CHAIR_STATUSES = (VisitStatus.IN_CHAIR, VisitStatus.INFUSING, VisitStatus.RECOVERING)
CHARSETS = {"": "utf-8", "UNICODE UTF-8": "utf-8", "UTF-8": "utf-8", "ASCII": "ascii", "8859/1": "latin-1",
            "8859/15": "iso-8859-15"}


@dataclass
class Result:
    code: str
    reason: str
    status: str


def decode(raw: bytes) -> str:
    """The message text in the charset MSH-18 names (UTF-8 when it names none). Raises MessageError."""
    first = raw.split(b"\r", 1)[0].decode("latin-1")
    charset = ""
    if first.startswith("MSH") and len(first) > 3:
        fields = first.split(first[3])
        charset = fields[17].strip().upper() if len(fields) > 17 else ""
    codec = CHARSETS.get(charset)
    if codec is None:
        raise MessageError(f"Character set {charset!r} (MSH-18) is not supported; send UTF-8.")
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError:
        raise MessageError(f"The message is not valid {codec.upper()} text (MSH-18 {charset or 'empty'}).") from None
    if "\x00" in text:
        raise MessageError("The message contains NUL characters.")
    return text


class Processor:
    """Callable for the Ingestor: one clinic's listener."""

    def __init__(self, clinic_id: int) -> None:
        self.clinic_id = clinic_id
        self._clinic: Clinic | None = None

    @property
    def clinic(self) -> Clinic:
        if self._clinic is None:
            self._clinic = Clinic.objects.get(pk=self.clinic_id)
        return self._clinic

    def __call__(self, items: Sequence[Incoming]) -> list[str]:
        close_old_connections()
        try:
            with transaction.atomic():
                acks = [self.process_one(item) for item in items]
        except DatabaseError:
            log.exception("MLLP batch of %d could not be committed", len(items))
            self._clinic = None
            acks = [build_ack(_header_or_none(item.raw), "AE", "Temporary error storing the message; please send "
                              "it again.", now=timezone.now(), ack_id=_ack_id()) for item in items]
        return acks

    def process_one(self, item: Incoming) -> str:
        now = item.received_at
        header: Header | None = None
        text = item.raw.decode("utf-8", "replace")
        try:
            text = decode(item.raw)
            header = read_header(text)
            existing = self._existing(header)
            if existing is not None:
                return self._ack(header, existing.ack_code, f"Duplicate of message received "
                                 f"{existing.received_at:%Y-%m-%d %H:%M:%S} UTC: {existing.reason or 'stored'}", now)
            with transaction.atomic():
                result, message_kwargs = self._store_vitals(text, now)
                self._keep(header, text, item, result, now, **message_kwargs)
            return self._ack(header, result.code, result.reason, now)
        except MessageError as exc:
            if header is None:
                header = _header_or_none(item.raw)
            result = Result(exc.code, exc.reason, InboxStatus.REJECTED if exc.code == "AR" else InboxStatus.ERROR)
        except IntegrityError:
            # Another listener stored the same control id between our check and our insert.
            existing = self._existing(header) if header is not None else None
            code = existing.ack_code if existing else "AA"
            return self._ack(header, code, "Duplicate message", now)
        try:
            with transaction.atomic():
                self._keep(header, text, item, result, now)
        except IntegrityError:
            return self._ack(header, result.code, "Duplicate message: " + result.reason, now)
        return self._ack(header, result.code, result.reason, now)

    def _existing(self, header: Header) -> MonitorMessage | None:
        if not header.control_id:
            return None
        return (MonitorMessage.objects.filter(clinic_id=self.clinic_id, sending_app=header.sending_app,
                                              control_id=header.control_id)
                .only("ack_code", "reason", "received_at").first())

    def _store_vitals(self, text: str, now: datetime) -> tuple[Result, dict[str, object]]:
        from ketaclinic.infusions.actions import InfusionError, do_record_vitals
        from ketaclinic.infusions.models import VitalSource

        try:
            oru = parse_oru(text, self.clinic.zone)
        except MessageError as exc:
            status = InboxStatus.REJECTED if exc.code == "AR" else InboxStatus.ERROR
            return Result(exc.code, exc.reason, status), {}
        info: dict[str, object] = {"device_id": oru.device_id, "readings": oru.readings}
        if not oru.device_id:
            return Result("AE", "No monitor id in the message (OBX-18 or PV1-3).", InboxStatus.ERROR), info
        chair = Chair.objects.filter(clinic_id=self.clinic_id, monitor_device_id=oru.device_id, active=True).first()
        if chair is None:
            return Result("AE", f"Unknown monitor {oru.device_id!r}: no chair has this monitor id.",
                          InboxStatus.ERROR), info
        visit = (Visit.objects.select_related("clinic", "patient", "course")
                 .filter(chair=chair, status__in=IN_CHAIR_STATUSES).order_by("-starts_at").first())
        if visit is None:
            return Result("AE", f"No patient is in {chair.name} now.", InboxStatus.ERROR), info
        info["visit"] = visit
        if not oru.readings:
            return Result("AE", "No blood pressure, heart rate, SpO2 or breathing rate in the message.",
                          InboxStatus.ERROR), info
        try:
            with transaction.atomic():
                do_record_vitals(None, visit, **oru.readings, source=VitalSource.MONITOR,  # type: ignore[arg-type]
                                 device_id=oru.device_id, taken_at=oru.taken_at, now=now)
        except InfusionError as exc:
            return Result("AE", str(exc), InboxStatus.ERROR), info
        return Result("AA", f"Stored for {chair.name}.", InboxStatus.ACCEPTED), info

    def _keep(self, header: Header | None, text: str, item: Incoming, result: Result, now: datetime,
              **fields: object) -> None:
        control_id = (header.control_id if header else "") or fallback_control_id(text)
        MonitorMessage.objects.create(
            clinic_id=self.clinic_id, control_id=control_id, sending_app=header.sending_app if header else "",
            raw=text.replace("\x00", "\ufffd")[:100_000], status=result.status, ack_code=result.code,
            reason=result.reason[:300], peer=item.peer[:100], received_at=now, **fields)  # type: ignore[arg-type]

    def _ack(self, header: Header | None, code: str, text: str, now: datetime) -> str:
        return build_ack(header, code, text, now=now, ack_id=_ack_id(), facility=self.clinic.slug)


def _ack_id() -> str:
    return uuid.uuid4().hex[:20]


def _header_or_none(raw: bytes) -> Header | None:
    try:
        return read_header(raw.decode("utf-8", "replace"))
    except MessageError:
        return None
