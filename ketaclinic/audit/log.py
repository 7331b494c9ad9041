"""Writing and verifying the audit chain. Call `record_event` inside the action's transaction."""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.audit.models import AuditEvent

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
    actor, clinic, patient, obj = spec.actor, spec.clinic, spec.patient, spec.obj
    real_actor = actor if isinstance(actor, User) else None
    if clinic is None and patient is not None:
        clinic = patient.clinic
    event = AuditEvent(
        # Normalised so the hash computed now equals the hash of the row read back later:
        # the database returns UTC datetimes and JSON-native details.
        at=(spec.at or timezone.now()).astimezone(UTC),
        actor=real_actor,
        actor_label=real_actor.email if real_actor is not None else "anonymous",
        clinic=clinic,
        clinic_ref=clinic.pk if clinic is not None else None,
        patient=patient,
        patient_ref=patient.pk if patient is not None else None,
        patient_label=patient.display_name if patient is not None else "",
        action=spec.action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "pk", "") or "") if obj is not None else "",
        ip=current_ip.get(),
        details=json.loads(json.dumps(spec.details or {}, default=str)),
        prev_hash=prev_hash,
    )
    event.hash = event.compute_hash()
    return event


def _last_hash() -> str:
    return AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS


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
    """Append several events, in order, with one chain lock and one insert (batch writers such as
    the bedside-monitor feed). Each row is exactly what `record_event` would have written for it,
    so the chain verifies the same way. Joins the caller's transaction."""
    if not specs:
        return []
    with transaction.atomic(savepoint=False):
        _lock_chain()
        previous = _last_hash()
        events = []
        for spec in specs:
            event = _build_event(spec, previous)
            events.append(event)
            previous = event.hash
        AuditEvent.objects.bulk_create(events)
        # The chain is walked by id: one multi-row INSERT numbers its rows in list order. Refuse
        # (and roll back) rather than write a chain that would not verify, should that ever differ.
        ids = [e.pk for e in events]
        if None in ids or ids != sorted(ids):
            raise RuntimeError("Audit events were not numbered in order; nothing was written.")
        return events


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
