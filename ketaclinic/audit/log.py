"""Writing and verifying the audit chain. Call `record_event` inside the action's transaction."""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterator
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
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        real_actor = actor if isinstance(actor, User) else None
        if clinic is None and patient is not None:
            clinic = patient.clinic
        event = AuditEvent(
            # Normalised so the hash computed now equals the hash of the row read back later:
            # the database returns UTC datetimes and JSON-native details.
            at=(at or timezone.now()).astimezone(UTC),
            actor=real_actor,
            actor_label=real_actor.email if real_actor is not None else "anonymous",
            clinic=clinic,
            clinic_ref=clinic.pk if clinic is not None else None,
            patient=patient,
            patient_ref=patient.pk if patient is not None else None,
            patient_label=patient.display_name if patient is not None else "",
            action=action,
            object_type=type(obj).__name__ if obj is not None else "",
            object_id=str(getattr(obj, "pk", "") or "") if obj is not None else "",
            ip=current_ip.get(),
            details=json.loads(json.dumps(details or {}, default=str)),
            prev_hash=last or GENESIS,
        )
        event.hash = event.compute_hash()
        event.save()
        return event


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
