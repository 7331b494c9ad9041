"""Storing monitor messages: runs in the listener's database thread, never on the event loop.

A batch is every message that arrived (on any connection) while the previous batch was being
stored. For each message:
1. decode the bytes (MSH-18 charset; UTF-8 when absent) — undecodable → AR, kept in the inbox;
2. read MSH; a control id (MSH-10) already stored for this sender, or earlier in the same
   batch → answer as before, store nothing;
3. parse the ORU^R01 — unusable → AR/AE, kept;
4. find the chair whose monitor id matches, and the visit in that chair now (in chair, infusing,
   recovering) — none → AE, kept for review;
5. record the vitals through infusions' batch monitor path (source "monitor", the same checks,
   double-submit rule and alert rules as do_record_vitals, one audit event each) — an
   implausible value → AE, kept; else AA and the message is kept, linked to the visit.
Lookups, the visit locks, the vitals, alerts, audit events and inbox rows are one query each
per batch, in one transaction with one audit-chain lock; ACKs go out only after the commit.
This runs for every batch of every monitor, so it works on ids and plain values (tuples from
written-out SQL, rows inserted as values): no model instance is made per message.
If the database refuses the batch (another listener stored a control id first, a lost
connection), it is done again message by message, each in its own savepoint, so one bad
message cannot hold back the others; if even that fails every message is answered AE (resend),
and the re-send is then stored once thanks to step 2 and the unique constraint.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from ketaclinic.bulk import any_of, insert_values
from ketaclinic.clinics.models import Clinic
from ketaclinic.infusions.actions.vitals import MonitorReading, VisitRef, do_record_monitor_vitals
from ketaclinic.interop.hl7.mllp import Incoming
from ketaclinic.interop.hl7.oru import Header, MessageError, build_ack, fallback_control_id, parse_oru, read_header
from ketaclinic.interop.models import InboxStatus, MonitorMessage
from ketaclinic.schedule.models import VisitStatus

log = logging.getLogger(__name__)

# A monitor reading belongs to the visit whose patient is in the chair now.
IN_CHAIR_STATUSES = (VisitStatus.IN_CHAIR, VisitStatus.INFUSING, VisitStatus.RECOVERING)
# ... and started (or is booked to start) within this long of the reading's arrival.
IN_CHAIR_WINDOW = timedelta(hours=18)
CHARSETS = {"": "utf-8", "UNICODE UTF-8": "utf-8", "UTF-8": "utf-8", "ASCII": "ascii", "8859/1": "latin-1",
            "8859/15": "iso-8859-15"}


@dataclass(slots=True)
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


@dataclass(slots=True)
class Seen:
    ack_code: str
    reason: str
    received_at: datetime


@dataclass(slots=True)
class InChair:
    """A chair with a monitor, and the visit in it now (None when nobody is in it)."""

    name: str
    visit: VisitRef | None


@dataclass(slots=True)
class Work:
    """One message on its way through a batch."""

    item: Incoming
    text: str
    header: Header | None = None
    key: tuple[str, str] = ("", "")
    refused: Result | None = None  # why it cannot be used, when it can't (applies unless it is a duplicate)
    result: Result | None = None
    duplicate_ack: tuple[str, str] | None = None  # (code, text) when it repeats a stored message
    duplicate_of: Work | None = None  # an earlier message of this batch with the same control id
    device_id: str = ""
    readings: dict[str, int] = field(default_factory=dict)
    taken_at: datetime | None = None
    chair: InChair | None = None


class Processor:
    """Callable for the Ingestor: one clinic's listener. Runs in the listener's database thread."""

    def __init__(self, clinic_id: int) -> None:
        self.clinic_id = clinic_id
        self._clinic: Clinic | None = None

    @property
    def clinic(self) -> Clinic:
        if self._clinic is None:
            self._clinic = Clinic.objects.get(pk=self.clinic_id)
        return self._clinic

    def __call__(self, items: Sequence[Incoming]) -> list[str]:
        """ACKs for a batch, in order; every message stored (or refused) before this returns."""
        try:
            with transaction.atomic():
                return self._run(items, careful=False)
        except DatabaseError:
            log.warning("MLLP batch of %d failed; retrying message by message", len(items), exc_info=True)
        try:
            with transaction.atomic():
                return [self._one_alone(item) for item in items]
        except DatabaseError:
            log.exception("MLLP batch of %d could not be committed", len(items))
            self._clinic = None
            return [build_ack(_header_or_none(item.raw), "AE", "Temporary error storing the message; please send "
                              "it again.", now=timezone.now(), ack_id=_ack_id()) for item in items]

    def _one_alone(self, item: Incoming) -> str:
        """One message in its own savepoint: its vitals and its inbox row stand or fall together."""
        try:
            with transaction.atomic():
                return self._run([item], careful=True)[0]
        except IntegrityError:
            # Another listener process stored the same control id between our check and our insert.
            header = _header_or_none(item.raw)
            existing = self._existing(header) if header is not None else None
            if existing is None:
                return build_ack(header, "AE", "Temporary error storing the message; please send it again.",
                                 now=timezone.now(), ack_id=_ack_id(), facility=self.clinic.slug)
            return self._ack(header, existing.ack_code, "Duplicate message", item.received_at)

    def _run(self, items: Sequence[Incoming], *, careful: bool) -> list[str]:
        works = [self._read(item) for item in items]
        known = self._stored(works)
        first_of: dict[tuple[str, str], Work] = {}
        fresh: list[Work] = []
        for work in works:
            if work.key in known:
                seen = known[work.key]
                work.duplicate_ack = (seen.ack_code, f"Duplicate of message received "
                                      f"{seen.received_at:%Y-%m-%d %H:%M:%S} UTC: {seen.reason or 'stored'}")
            elif work.key in first_of:
                work.duplicate_of = first_of[work.key]
            else:
                first_of[work.key] = work
                work.result = work.refused
                fresh.append(work)
        self._match(fresh)
        self._store_vitals([w for w in fresh if w.result is None])
        rows = [self._message_row(w) for w in fresh]
        if careful:
            for row in rows:
                MonitorMessage(**row).save(force_insert=True)
        else:
            insert_values(MonitorMessage, rows)
        return [self._answer(w) for w in works]

    def _read(self, item: Incoming) -> Work:
        """Steps 1–3 for one message (no database): the text, its header, the key it is stored
        under, and what it says (or why it cannot be used)."""
        work = Work(item, "")
        try:
            work.text = decode(item.raw)
        except MessageError as exc:
            work.text = item.raw.decode("utf-8", "replace")
            work.refused = _refused(exc)
            work.header = _header_or_none(item.raw)
        else:
            try:
                oru = parse_oru(work.text, self.clinic.zone)
            except MessageError as exc:
                work.refused = _refused(exc)
                work.header = _header_or_none(item.raw)
            else:
                work.header, work.device_id, work.readings, work.taken_at = (oru.header, oru.device_id,
                                                                             oru.readings, oru.taken_at)
                if not oru.device_id:
                    work.refused = Result("AE", "No monitor id in the message (OBX-18 or PV1-3).", InboxStatus.ERROR)
        header = work.header
        work.key = ((header.sending_app if header else ""),
                    (header.control_id if header else "") or fallback_control_id(work.text))
        return work

    def _stored(self, works: list[Work]) -> dict[tuple[str, str], Seen]:
        ids = sorted({w.key[1] for w in works})
        if not ids:
            return {}
        # By control id alone — the leading column of the unique index, so one probe per id
        # whatever the planner believes about the clinic (a fresh clinic's row estimate of zero
        # once made PostgreSQL walk the clinic's whole inbox instead); clinic checked here.
        where, params = any_of("control_id", ids)
        with connection.cursor() as cursor:
            cursor.execute("SELECT sending_app, control_id, clinic_id, ack_code, reason, received_at "  # noqa: S608
                           f"FROM interop_monitormessage WHERE {where}", params)
            return {(app, control_id): Seen(ack_code, reason, received_at)
                    for app, control_id, clinic_id, ack_code, reason, received_at in cursor.fetchall()
                    if clinic_id == self.clinic_id}

    def _match(self, works: list[Work]) -> None:
        """Step 4: the chair of each message's monitor, and the visit in it (one query)."""
        standing = [w for w in works if w.result is None]
        chairs = self._chairs({w.device_id for w in standing},
                              max((w.item.received_at for w in works), default=timezone.now()))
        for work in standing:
            work.chair = chair = chairs.get(work.device_id)
            if chair is None:
                work.result = Result("AE", f"Unknown monitor {work.device_id!r}: no chair has this monitor id.",
                                     InboxStatus.ERROR)
            elif chair.visit is None:
                work.result = Result("AE", f"No patient is in {chair.name} now.", InboxStatus.ERROR)
            elif not work.readings:
                work.result = Result("AE", "No blood pressure, heart rate, SpO2 or breathing rate in the message.",
                                     InboxStatus.ERROR)

    def _chairs(self, device_ids: set[str], now: datetime) -> dict[str, InChair]:
        """The active chairs with these monitor ids, and the visit in each now, in one query.

        A visit counts when it is in the chair (in chair, infusing, recovering) and starts within
        IN_CHAIR_WINDOW of now: the window keeps the look-up on the (clinic, starts_at) index
        however many visits the clinic has had, and a visit left "in chair" since yesterday (never
        discharged) does not collect today's readings. Only what filing needs is read (ids, the
        chair's and the patient's names); the vitals action re-reads the visit's state under its
        lock."""
        if not device_ids:
            return {}
        statuses = [status.value for status in IN_CHAIR_STATUSES]
        where, params = any_of("c.monitor_device_id", sorted(device_ids))
        in_status, status_params = any_of("v.status", statuses)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.monitor_device_id, c.name, v.id, v.patient_id, p.first_name, p.last_name "  # noqa: S608
                "FROM schedule_chair c "
                "LEFT JOIN schedule_visit v ON v.chair_id = c.id AND v.clinic_id = c.clinic_id "
                f"AND v.starts_at >= %s AND v.starts_at <= %s AND {in_status} "
                "LEFT JOIN patients_patient p ON p.id = v.patient_id "
                f"WHERE c.clinic_id = %s AND c.active AND {where} ORDER BY c.id, v.starts_at DESC",
                [now - IN_CHAIR_WINDOW, now + IN_CHAIR_WINDOW, *status_params, self.clinic_id, *params])
            rows = cursor.fetchall()
        chairs: dict[str, InChair] = {}
        for device_id, name, visit_id, patient_id, first_name, last_name in rows:
            if device_id in chairs:
                continue  # a later-starting visit in this chair was taken already
            visit = (VisitRef(visit_id, self.clinic_id, patient_id, f"{first_name} {last_name}")
                     if visit_id is not None else None)
            chairs[device_id] = InChair(name, visit)
        return chairs

    def _store_vitals(self, works: list[Work]) -> None:
        """Step 5 for every message still standing, in one call to the vitals batch action."""
        if not works:
            return
        now = max(w.item.received_at for w in works)
        outcomes = do_record_monitor_vitals(
            [MonitorReading(w.chair.visit, w.device_id, w.readings, w.taken_at)  # type: ignore[union-attr,arg-type]
             for w in works], now=now)
        for work, outcome in zip(works, outcomes, strict=True):
            if isinstance(outcome, Exception):
                work.result = Result("AE", str(outcome), InboxStatus.ERROR)
            else:
                work.result = Result("AA", f"Stored for {work.chair.name}.", InboxStatus.ACCEPTED)  # type: ignore[union-attr]

    def _message_row(self, work: Work) -> dict[str, Any]:
        result = work.result
        assert result is not None  # noqa: S101 - every fresh message has a result by now
        chair = work.chair
        return {"clinic_id": self.clinic_id, "control_id": work.key[1], "sending_app": work.key[0],
                "raw": work.text.replace("\x00", "\ufffd")[:100_000], "status": result.status,
                "ack_code": result.code, "reason": result.reason[:300], "peer": work.item.peer[:100],
                "received_at": work.item.received_at, "device_id": work.device_id, "readings": work.readings,
                "visit_id": chair.visit.id if chair is not None and chair.visit is not None else None}

    def _answer(self, work: Work) -> str:
        now = work.item.received_at
        if work.duplicate_ack is not None:
            return self._ack(work.header, *work.duplicate_ack, now)
        if work.duplicate_of is not None:
            first = work.duplicate_of
            assert first.result is not None  # noqa: S101
            return self._ack(work.header, first.result.code, f"Duplicate of message received "
                             f"{first.item.received_at:%Y-%m-%d %H:%M:%S} UTC: {first.result.reason or 'stored'}",
                             now)
        assert work.result is not None  # noqa: S101
        return self._ack(work.header, work.result.code, work.result.reason, now)

    def _existing(self, header: Header) -> MonitorMessage | None:
        if not header.control_id:
            return None
        return (MonitorMessage.objects.filter(clinic_id=self.clinic_id, sending_app=header.sending_app,
                                              control_id=header.control_id)
                .only("ack_code", "reason", "received_at").first())

    def _ack(self, header: Header | None, code: str, text: str, now: datetime) -> str:
        return build_ack(header, code, text, now=now, ack_id=_ack_id(), facility=self.clinic.slug)


def _refused(exc: MessageError) -> Result:
    return Result(exc.code, exc.reason, InboxStatus.REJECTED if exc.code == "AR" else InboxStatus.ERROR)


def _ack_id() -> str:
    return os.urandom(10).hex()


def _header_or_none(raw: bytes) -> Header | None:
    try:
        return read_header(raw.decode("utf-8", "replace"))
    except MessageError:
        return None
