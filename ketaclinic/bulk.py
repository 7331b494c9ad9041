"""Bulk SQL for the hot paths (the bedside-monitor feed writes and looks up many small rows a
batch): rows inserted from plain values with one statement, and "one of these values" as one
array parameter. Everything else uses the ORM."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models


@dataclass(frozen=True)
class _Plan:
    sql: str
    columns: dict[str, tuple[str, Callable[[Any], Any]]]  # attname → (column, to JSON)
    defaults: dict[str, Any]  # column → JSON value of the field's default (constant defaults only)
    computed: list[tuple[str, str, models.Field[Any, Any]]]  # (attname, column, field) with other defaults


_INSERT_PLANS: dict[type[models.Model], _Plan] = {}


def insert_rows(objs: Sequence[models.Model]) -> None:
    """INSERT unsaved instances of one model with one statement and set their ids, in order
    (`insert_values` with each instance's field values)."""
    if not objs:
        return
    ids = insert_values(type(objs[0]), [vars(obj) for obj in objs])
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def insert_values(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> list[int]:
    """INSERT rows of one model, given as {field attname: Python value}, with one statement;
    returns their ids in row order. A field left out takes its default.

    `bulk_create` for a plain model (no signals, no parents), made cheap for the hot paths that
    write many small rows (the bedside-monitor feed): no model instance per row. On PostgreSQL
    the rows travel as one JSON array expanded by json_populate_recordset into the table's own
    row type: one parameter and the same statement text for every batch, instead of
    bulk_create's per-field preparation or a VALUES list whose hundreds of placeholders psycopg
    would split again for every batch. Other databases (SQLite in development and tests):
    bulk_create.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        names = {f.attname for f in model._meta.concrete_fields}
        objs = model._default_manager.bulk_create(
            [model(**{k: v for k, v in row.items() if k in names}) for row in rows])
        return [obj.pk for obj in objs]
    plan = _insert_plan(model)
    values = []
    for row in rows:
        value = plan.defaults.copy()
        for attname, column, field in plan.computed:
            if attname not in row:
                value[column] = plan.columns[attname][1](field.get_default())
        for attname, given in row.items():
            entry = plan.columns.get(attname)
            if entry is not None:
                value[entry[0]] = entry[1](given)
        values.append(value)
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, [json.dumps(values, separators=(",", ":"))])
        ids = [r[0] for r in cursor.fetchall()]
    if len(ids) != len(rows):
        raise RuntimeError(f"{model.__name__}: {len(rows)} rows inserted but {len(ids)} ids returned.")
    return ids


def _insert_plan(model: type[models.Model]) -> _Plan:
    plan = _INSERT_PLANS.get(model)
    if plan is None:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
        quote = connection.ops.quote_name
        table, names = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
        # only the model's own (quoted) table and column names go into the text; rows are a parameter
        sql = (f"INSERT INTO {table} ({names}) SELECT {names} "  # noqa: S608
               f"FROM json_populate_recordset(NULL::{table}, %s::json) RETURNING {quote(model._meta.pk.column)}")
        # Defaults that are the same every time (a value, or an empty dict or list: each row's
        # copy is JSON text at once) are converted once; other callables are called per row.
        constant = [f for f in fields if not callable(f.default) or f.default in (dict, list)]
        plan = _Plan(sql, {f.attname: (f.column, _to_json(f)) for f in fields},
                     {f.column: _to_json(f)(f.get_default()) for f in constant},
                     [(f.attname, f.column, f) for f in fields if f not in constant])
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


def any_of(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """SQL saying `column` is one of `values`, and its parameters: one array parameter on
    PostgreSQL (the statement's text stays the same whatever the batch size), an IN list
    elsewhere. `column` is written by the caller, never taken from input."""
    if not values:
        raise ValueError("any_of needs at least one value.")
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)
