"""Writing and verifying the audit chain. Call `record_event` inside the action's transaction."""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
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
    event = _unchained_event(spec)
    event.prev_hash = prev_hash
    event.hash = event.compute_hash()
    return event


def _unchained_event(spec: EventSpec) -> AuditEvent:
    """The event's row without its place in the chain (prev_hash and hash are set by the caller)."""
    actor, clinic, patient, obj = spec.actor, spec.clinic, spec.patient, spec.obj
    real_actor = actor if isinstance(actor, User) else None
    if clinic is None and patient is not None:
        clinic = patient.clinic
    return AuditEvent(
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
    """Append several events, in order, with one chain lock and one insert (batch writers such as
    the bedside-monitor feed). Each row is exactly what `record_event` would have written for it,
    so the chain verifies the same way. Joins the caller's transaction.

    Everything but the chaining is done before the lock is taken — the rows and the canonical
    JSON their hashes cover (`AuditEvent.payload`) — so while the chain is locked (other writers,
    other listener processes, wait) only the hashes are chained and the rows inserted."""
    if not specs:
        return []
    with transaction.atomic(savepoint=False):
        events = [_unchained_event(spec) for spec in specs]
        bodies = [_payload_json(event) for event in events]
        _lock_chain()
        previous = _last_hash()
        for event, body in zip(events, bodies, strict=True):
            event.prev_hash = previous
            # exactly AuditEvent.compute_hash, with the payload's JSON made once above
            event.hash = previous = hashlib.sha256(f"{previous}|{body}".encode()).hexdigest()
        insert_rows(events)
        # The chain is walked by id: one multi-row INSERT numbers its rows in list order. Refuse
        # (and roll back) rather than write a chain that would not verify, should that ever differ.
        ids = [e.pk for e in events]
        if None in ids or ids != sorted(ids):
            raise RuntimeError("Audit events were not numbered in order; nothing was written.")
        return events


def _payload_json(event: AuditEvent) -> str:
    return json.dumps(event.payload(), sort_keys=True, separators=(",", ":"), default=str)


_INSERT_PLANS: dict[type[models.Model], tuple[str, list[tuple[str, str, Callable[[Any], Any]]]]] = {}


def insert_rows(objs: Sequence[models.Model]) -> None:
    """INSERT unsaved instances of one model with one statement and set their ids, in order.

    `bulk_create` for a plain model (no signals, no parents, every field holding its Python
    value), made cheap for the hot paths that write many small rows (the bedside-monitor feed).
    On PostgreSQL the rows travel as one JSON array expanded by json_populate_recordset into the
    table's own row type: the statement text never changes, so it is parsed and prepared once,
    instead of bulk_create's per-field preparation or a VALUES list whose hundreds of
    placeholders psycopg would split again for every batch. Ids come back in row order.
    Other databases (SQLite in development and tests): bulk_create.
    """
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    sql, columns = _insert_plan(model)
    rows = json.dumps([{column: convert(getattr(obj, attname)) for column, attname, convert in columns}
                       for obj in objs], separators=(",", ":"))
    with connection.cursor() as cursor:
        cursor.execute(sql, [rows])
        ids = [r[0] for r in cursor.fetchall()]
    if len(ids) != len(objs):
        raise RuntimeError(f"{model.__name__}: {len(objs)} rows inserted but {len(ids)} ids returned.")
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def _insert_plan(model: type[models.Model]) -> tuple[str, list[tuple[str, str, Callable[[Any], Any]]]]:
    plan = _INSERT_PLANS.get(model)
    if plan is None:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
        quote = connection.ops.quote_name
        table, names = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
        # only the model's own (quoted) table and column names go into the text; rows are a parameter
        sql = (f"INSERT INTO {table} ({names}) SELECT {names} "  # noqa: S608
               f"FROM json_populate_recordset(NULL::{table}, %s::json) RETURNING {quote(model._meta.pk.column)}")
        plan = (sql, [(f.column, f.attname, _to_json(f)) for f in fields])
        _INSERT_PLANS[model] = plan
    return plan


def _same(value: Any) -> Any:
    return value


def _to_json(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """How a field's Python value goes into the JSON row (PostgreSQL reads it back exactly)."""
    if isinstance(field, models.DateTimeField | models.DateField | models.TimeField):
        # an aware datetime keeps its offset and microseconds: the stored instant is the same
        return lambda v: None if v is None else v.isoformat()
    if isinstance(field, models.DecimalField | models.UUIDField):
        return lambda v: None if v is None else str(v)
    if isinstance(field, models.JSONField | models.CharField | models.TextField | models.IntegerField
                  | models.BooleanField | models.ForeignKey | models.GenericIPAddressField):
        return _same  # JSON-native already (str, int, bool, None; JSON details as they are)
    raise TypeError(f"insert_rows does not handle {type(field).__name__} ({field}).")


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
