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

from django.db import DatabaseError, IntegrityError, transaction
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


@dataclass
class Seen:
    ack_code: str
    reason: str
    received_at: datetime


class Batch:
    """What one batch looks up once instead of once per message (one transaction, milliseconds old)."""

    def __init__(self, clinic_id: int, headers: list[Header], *, careful: bool = False) -> None:
        self.careful = careful
        self.pending: list[MonitorMessage] = []
        self.chairs = {c.monitor_device_id: c for c in Chair.objects.filter(clinic_id=clinic_id, active=True)
                       .exclude(monitor_device_id="")}
        self._visits: dict[int, Visit | None] = {}
        ids = {h.control_id for h in headers if h.control_id}
        self.seen: dict[tuple[str, str], Seen] = {
            (m.sending_app, m.control_id): Seen(m.ack_code, m.reason, m.received_at)
            for m in MonitorMessage.objects.filter(clinic_id=clinic_id, control_id__in=ids)
            .only("sending_app", "control_id", "ack_code", "reason", "received_at")
        } if ids else {}

    def visit_in(self, chair: Chair) -> Visit | None:
        if chair.pk not in self._visits:
            self._visits[chair.pk] = (Visit.objects.select_related("patient", "course")
                                      .filter(chair=chair, status__in=IN_CHAIR_STATUSES)
                                      .order_by("-starts_at").first())
        return self._visits[chair.pk]


class Processor:
    """Callable for the Ingestor: one clinic's listener. Runs in the listener's database thread."""

    def __init__(self, clinic_id: int) -> None:
        self.clinic_id = clinic_id
        self._clinic: Clinic | None = None
        self._protocol_key: object = None

    @property
    def clinic(self) -> Clinic:
        if self._clinic is None:
            self._clinic = Clinic.objects.get(pk=self.clinic_id)
        return self._clinic

    def _refresh_protocol(self) -> None:
        """Build the clinic's protocol once per protocol version, not once per reading.

        The vitals action asks `visit.clinic.protocol()`; every visit this listener files gets
        this Clinic instance, whose `protocol` answers from the memo until a new version is saved
        (checked once per batch).
        """
        clinic = self.clinic
        version = clinic.protocol_versions.order_by("-number").values_list("pk", flat=True).first()
        if version != self._protocol_key or "protocol" not in clinic.__dict__:
            built = type(clinic).protocol(clinic)
            clinic.__dict__["protocol"] = lambda: built
            self._protocol_key = version

    def __call__(self, items: Sequence[Incoming]) -> list[str]:
        """ACKs for a batch, in order. Fast path: one transaction, inbox rows inserted together.
        If the database refuses anything, the batch is done again message by message, each in its
        own savepoint, so one bad message cannot hold back the others."""
        try:
            return self._run_batch(items, careful=False)
        except DatabaseError:
            log.warning("MLLP batch of %d failed; retrying message by message", len(items), exc_info=True)
        try:
            return self._run_batch(items, careful=True)
        except DatabaseError:
            log.exception("MLLP batch of %d could not be committed", len(items))
            self._clinic = None
            return [build_ack(_header_or_none(item.raw), "AE", "Temporary error storing the message; please send "
                              "it again.", now=timezone.now(), ack_id=_ack_id()) for item in items]

    def _run_batch(self, items: Sequence[Incoming], *, careful: bool) -> list[str]:
        with transaction.atomic():
            self._refresh_protocol()
            headers = [h for h in (_header_or_none(item.raw) for item in items) if h is not None]
            batch = Batch(self.clinic_id, headers, careful=careful)
            acks = [self.process_one(item, batch) for item in items]
            if batch.pending:
                MonitorMessage.objects.bulk_create(batch.pending)
        return acks

    def process_one(self, item: Incoming, batch: Batch) -> str:
        now = item.received_at
        header: Header | None = None
        text = item.raw.decode("utf-8", "replace")
        try:
            text = decode(item.raw)
            header = read_header(text)
            seen = batch.seen.get((header.sending_app, header.control_id))
            if seen is not None:
                return self._ack(header, seen.ack_code, f"Duplicate of message received "
                                 f"{seen.received_at:%Y-%m-%d %H:%M:%S} UTC: {seen.reason or 'stored'}", now)
            if batch.careful:
                with transaction.atomic():  # this message's vitals and inbox row stand or fall together
                    result, message_kwargs = self._store_vitals(text, now, batch)
                    self._keep(header, text, item, result, now, batch, **message_kwargs)
            else:
                result, message_kwargs = self._store_vitals(text, now, batch)
                self._keep(header, text, item, result, now, batch, **message_kwargs)
            return self._ack(header, result.code, result.reason, now)
        except MessageError as exc:
            if header is None:
                header = _header_or_none(item.raw)
            result = Result(exc.code, exc.reason, InboxStatus.REJECTED if exc.code == "AR" else InboxStatus.ERROR)
        except IntegrityError:
            # Another listener process stored the same control id between our check and our insert.
            existing = self._existing(header) if header is not None else None
            return self._ack(header, existing.ack_code if existing else "AA", "Duplicate message", now)
        if not batch.careful:
            self._keep(header, text, item, result, now, batch)
            return self._ack(header, result.code, result.reason, now)
        try:
            with transaction.atomic():
                self._keep(header, text, item, result, now, batch)
        except IntegrityError:
            return self._ack(header, result.code, "Duplicate message: " + result.reason, now)
        return self._ack(header, result.code, result.reason, now)

    def _existing(self, header: Header) -> MonitorMessage | None:
        if not header.control_id:
            return None
        return (MonitorMessage.objects.filter(clinic_id=self.clinic_id, sending_app=header.sending_app,
                                              control_id=header.control_id)
                .only("ack_code", "reason", "received_at").first())

    def _store_vitals(self, text: str, now: datetime, batch: Batch) -> tuple[Result, dict[str, object]]:
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
        chair = batch.chairs.get(oru.device_id)
        if chair is None:
            return Result("AE", f"Unknown monitor {oru.device_id!r}: no chair has this monitor id.",
                          InboxStatus.ERROR), info
        visit = batch.visit_in(chair)
        if visit is None:
            return Result("AE", f"No patient is in {chair.name} now.", InboxStatus.ERROR), info
        visit.clinic = self.clinic
        info["visit"] = visit
        if not oru.readings:
            return Result("AE", "No blood pressure, heart rate, SpO2 or breathing rate in the message.",
                          InboxStatus.ERROR), info
        try:
            # The action's own savepoint undoes a refused reading.
            do_record_vitals(None, visit, **oru.readings, source=VitalSource.MONITOR,  # type: ignore[arg-type]
                             device_id=oru.device_id, taken_at=oru.taken_at, now=now)
        except InfusionError as exc:
            return Result("AE", str(exc), InboxStatus.ERROR), info
        return Result("AA", f"Stored for {chair.name}.", InboxStatus.ACCEPTED), info

    def _keep(self, header: Header | None, text: str, item: Incoming, result: Result, now: datetime,
              batch: Batch, **fields: object) -> None:
        control_id = (header.control_id if header else "") or fallback_control_id(text)
        sending_app = header.sending_app if header else ""
        message = MonitorMessage(
            clinic_id=self.clinic_id, control_id=control_id, sending_app=sending_app,
            raw=text.replace("\x00", "\ufffd")[:100_000], status=result.status, ack_code=result.code,
            reason=result.reason[:300], peer=item.peer[:100], received_at=now, **fields)
        if batch.careful:
            message.save(force_insert=True)
        else:
            batch.pending.append(message)  # inserted with the others at the end of the batch
        batch.seen[(sending_app, control_id)] = Seen(result.code, result.reason, now)

    def _ack(self, header: Header | None, code: str, text: str, now: datetime) -> str:
        return build_ack(header, code, text, now=now, ack_id=_ack_id(), facility=self.clinic.slug)


def _ack_id() -> str:
    return uuid.uuid4().hex[:20]


def _header_or_none(raw: bytes) -> Header | None:
    try:
        return read_header(raw.decode("utf-8", "replace"))
    except MessageError:
        return None
