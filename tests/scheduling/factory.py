"""Small hand-made instances for the scheduler tests (plain dicts, defaults via setdefault)."""

from __future__ import annotations

import copy
from typing import Any

BASE: dict[str, Any] = {
    "slot_minutes": 10,
    "open_days": [
        {"date": "2027-01-04", "open": "08:00", "close": "18:00"},  # Monday
        {"date": "2027-01-05", "open": "08:00", "close": "18:00"},
        {"date": "2027-01-06", "open": "08:00", "close": "18:00"},
        {"date": "2027-01-07", "open": "08:00", "close": "18:00"},
        {"date": "2027-01-08", "open": "08:00", "close": "18:00"},
        {"date": "2027-01-11", "open": "08:00", "close": "18:00"},
    ],
    "chairs": ["C1", "C2"],
    "nurses": [
        {
            "id": "N1",
            "shifts": [
                {"date": d, "start": "08:00", "end": "18:00"}
                for d in ("2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08", "2027-01-11")
            ],
        }
    ],
    "courses": [],
}


def make_instance(**overrides: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data.update(overrides)
    return data


def course(cid: str, visits: int = 1, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"id": cid, "visits": visits}
    item.update(extra)
    return item


def plan(assignments: list[dict[str, Any]], unscheduled: list[str], objective: int, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "status": "feasible",
        "method": "test",
        "objective": objective,
        "bound": 10**6,
        "moved": 0,
        "assignments": assignments,
        "unscheduled": unscheduled,
        "solve_seconds": 0.0,
    }
    data.update(extra)
    return data


def visit(cid: str, k: int, chair: str, start: str) -> dict[str, Any]:
    return {"course": cid, "visit": k, "chair": chair, "start": start}
