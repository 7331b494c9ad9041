"""Writing and verifying the audit chain. Call `record_event` inside the action's transaction."""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.audit.models import AuditEvent
from ketaclinic.bulk import insert_values

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ketaclinic.clinics.models import Clinic
    from ketaclinic.patients.models import Patient

GENESIS = "0" * 64
# The request's client address, set by AuditContextMiddleware so actions need not pass it.
current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_ip", default=None)
_CHAIN_LOCK_KEY = 7_302_114  # arbitrary constant for pg_advisory_xact_lock


def _lock_chain() -> None:
    """Serialise writers so two events never claim the same previous hash.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: transactions are IMMEDIATE
    (settings), so the write lock is already held for the whole transaction.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


@dataclass(frozen=True)
class EventSpec:
    """One event for `record_events`: the same arguments as `record_event`."""

    actor: User | AnonymousUser | None
    action: str
    clinic: Clinic | None = None
    patient: Patient | None = None
    obj: Any = None
    details: dict[str, Any] | None = None
    at: datetime | None = None


def _build_event(spec: EventSpec, prev_hash: str) -> AuditEvent:
    event = _unchained_event(spec)
    event.prev_hash = prev_hash
    event.hash = event.compute_hash()
    return event


def _unchained_event(spec: EventSpec) -> AuditEvent:
    """The event's row without its place in the chain (prev_hash and hash are set by the caller)."""
    row = _event_row(spec)
    return AuditEvent(at=row.at, actor_id=row.actor_id, actor_label=row.actor_label, clinic_id=row.clinic_ref,
                      clinic_ref=row.clinic_ref, patient_id=row.patient_ref, patient_ref=row.patient_ref,
                      patient_label=row.patient_label, action=row.action, object_type=row.object_type,
                      object_id=row.object_id, ip=row.ip, details=row.details)


@dataclass
class EventRow:
    """An audit event as the plain values its row holds, for writers of many events at once
    (`append_events`): no model instance per event. Build one with `event_row`."""

    at: datetime  # UTC
    action: str
    actor_id: int | None
    actor_label: str
    clinic_ref: int | None
    patient_ref: int | None
    patient_label: str
    object_type: str
    object_id: str
    ip: str | None
    details: dict[str, Any]  # JSON-native

    def payload(self) -> dict[str, Any]:
        """Exactly AuditEvent.payload() of the row this becomes."""
        return {"at": self.at.isoformat(timespec="microseconds"), "actor": self.actor_id,
                "actor_label": self.actor_label, "clinic": self.clinic_ref, "patient": self.patient_ref,
                "patient_label": self.patient_label, "action": self.action, "object_type": self.object_type,
                "object_id": self.object_id, "ip": self.ip, "details": self.details}


def event_row(action: str, *, at: datetime, clinic_id: int | None = None, patient_id: int | None = None,
              patient_label: str = "", object_type: str = "", object_id: str = "",
              details: dict[str, Any] | None = None) -> EventRow:
    """A system event (no acting user) from ids, for batch writers that hold no model instances.
    `details` must be JSON-native (str, int, float, bool, None, lists and dicts of them)."""
    return EventRow(at.astimezone(UTC), action, None, "anonymous", clinic_id, patient_id, patient_label,
                    object_type, object_id, current_ip.get(), details or {})


def _event_row(spec: EventSpec) -> EventRow:
    actor, clinic, patient, obj = spec.actor, spec.clinic, spec.patient, spec.obj
    real_actor = actor if isinstance(actor, User) else None
    if clinic is None and patient is not None:
        clinic = patient.clinic
    return EventRow(
        # Normalised so the hash computed now equals the hash of the row read back later:
        # the database returns UTC datetimes and JSON-native details.
        at=(spec.at or timezone.now()).astimezone(UTC),
        action=spec.action,
        actor_id=real_actor.pk if real_actor is not None else None,
        actor_label=real_actor.email if real_actor is not None else "anonymous",
        clinic_ref=clinic.pk if clinic is not None else None,
        patient_ref=patient.pk if patient is not None else None,
        patient_label=patient.display_name if patient is not None else "",
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "pk", "") or "") if obj is not None else "",
        ip=current_ip.get(),
        details=json.loads(json.dumps(spec.details or {}, default=str)),
    )


def _last_hash() -> str:
    # the newest row's hash (raw: batch writers call this for every batch)
    with connection.cursor() as cursor:
        cursor.execute("SELECT hash FROM audit_auditevent ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
    return row[0] if row else GENESIS


def record_event(
    actor: User | AnonymousUser | None,
    action: str,
    *,
    clinic: Clinic | None = None,
    patient: Patient | None = None,
    obj: Any = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain (joins the caller's transaction)."""
    with transaction.atomic(savepoint=False):
        _lock_chain()
        event = _build_event(EventSpec(actor, action, clinic, patient, obj, details, at), _last_hash())
        event.save()
        return event


def record_events(specs: Sequence[EventSpec]) -> list[AuditEvent]:
    """Append several events, in order, with one chain lock and one insert. Each row is exactly
    what `record_event` would have written for it, so the chain verifies the same way. Joins the
    caller's transaction. (Batch writers holding ids rather than instances use `append_events`.)"""
    rows = [_event_row(spec) for spec in specs]
    chained = append_events(rows)
    return [AuditEvent(pk=pk, at=row.at, actor_id=row.actor_id, actor_label=row.actor_label,
                       clinic_id=row.clinic_ref, clinic_ref=row.clinic_ref, patient_id=row.patient_ref,
                       patient_ref=row.patient_ref, patient_label=row.patient_label, action=row.action,
                       object_type=row.object_type, object_id=row.object_id, ip=row.ip, details=row.details,
                       prev_hash=prev_hash, hash=digest)
            for row, (pk, prev_hash, digest) in zip(rows, chained, strict=True)]


def append_events(rows: Sequence[EventRow]) -> list[tuple[int, str, str]]:
    """Append these events, in order, with one chain lock and one insert; returns each one's
    (id, prev_hash, hash). Joins the caller's transaction.

    Everything but the chaining is done before the lock is taken — the canonical JSON each hash
    covers — so while the chain is locked (other writers, other listener processes, wait) only
    the hashes are chained and the rows inserted."""
    if not rows:
        return []
    with transaction.atomic(savepoint=False):
        bodies = [json.dumps(row.payload(), sort_keys=True, separators=(",", ":"), default=str) for row in rows]
        _lock_chain()
        previous = _last_hash()
        values: list[dict[str, Any]] = []
        for row, body in zip(rows, bodies, strict=True):
            # exactly AuditEvent.compute_hash, with the payload's JSON made once above
            digest = hashlib.sha256(f"{previous}|{body}".encode()).hexdigest()
            values.append({"at": row.at, "actor_id": row.actor_id, "actor_label": row.actor_label,
                           "clinic_id": row.clinic_ref, "clinic_ref": row.clinic_ref, "patient_id": row.patient_ref,
                           "patient_ref": row.patient_ref, "patient_label": row.patient_label, "action": row.action,
                           "object_type": row.object_type, "object_id": row.object_id, "ip": row.ip,
                           "details": row.details, "prev_hash": previous, "hash": digest})
            previous = digest
        ids = insert_values(AuditEvent, values)
        # The chain is walked by id: one multi-row INSERT numbers its rows in list order. Refuse
        # (and roll back) rather than write a chain that would not verify, should that ever differ.
        if ids != sorted(ids):
            raise RuntimeError("Audit events were not numbered in order; nothing was written.")
        return [(pk, value["prev_hash"], value["hash"]) for pk, value in zip(ids, values, strict=True)]


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


def iter_chain_breaks() -> Iterator[ChainBreak]:
    """Walk the chain in order and yield every broken link (edited, inserted or deleted rows)."""
    previous = GENESIS
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != previous:
            yield ChainBreak(event.pk, "previous-hash link does not match: a row before it was changed or deleted")
        if event.compute_hash() != event.hash:
            yield ChainBreak(event.pk, "row content does not match its hash: this row was edited")
        previous = event.hash


def first_chain_break() -> ChainBreak | None:
    return next(iter_chain_breaks(), None)
