"""Demo data for this stage (called by ketaclinic.demo.seed; must be idempotent)."""

from __future__ import annotations

from typing import Any


def seed(ctx: Any) -> None:
    """Nothing yet."""
