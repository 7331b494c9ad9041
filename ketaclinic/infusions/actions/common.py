"""Shared pieces of the infusion-day actions: errors, locking, who may do what."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from ketaclinic.accounts.roles import LICENSED_ROLES, Perm, has_perm, roles_at
from ketaclinic.schedule.models import Visit, VisitStatus


class InfusionError(ValueError):
    """A rule refused the write. `field` names the form field at fault ("" for the whole form)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class GateNotMet(InfusionError):
    """The readiness gate has unmet items; `items` lists them."""

    def __init__(self, items: list[Any]) -> None:
        super().__init__("The infusion cannot start: " + "; ".join(i.label for i in items) + ".")
        self.items = items


ON_FLOOR = (VisitStatus.ARRIVED, VisitStatus.IN_CHAIR, VisitStatus.INFUSING, VisitStatus.RECOVERING)


def now_or(now: datetime | None) -> datetime:
    return now or timezone.now()


def lock_visit(visit: Visit) -> Visit:
    """Re-read the visit under a row lock (PostgreSQL) so status moves queue up; returns the fresh row."""
    fresh = Visit.objects.select_for_update().get(pk=visit.pk)
    visit.status = fresh.status
    visit.status_changed_at = fresh.status_changed_at
    visit.chair_id = fresh.chair_id
    return visit


def is_licensed(user: Any, clinic: Any) -> bool:
    return bool(roles_at(user, clinic) & {str(r) for r in LICENSED_ROLES})


def require_charting(user: Any, visit: Visit) -> None:
    """Nurse, provider or medical director of the visit's clinic."""
    if not has_perm(user, visit.clinic, Perm.CHART):
        raise PermissionDenied("Only licensed clinical staff can chart on this visit.")


def require_prescriber(user: Any, visit: Visit) -> None:
    if not has_perm(user, visit.clinic, Perm.PRESCRIBE):
        raise PermissionDenied("Only a provider can do this.")


def set_status(visit: Visit, status: str, at: datetime) -> str:
    """Move the visit (caller holds the lock and writes the audit event). Returns the old status."""
    old = visit.status
    visit.status = status
    visit.status_changed_at = at
    visit.save(update_fields=["status", "status_changed_at"])
    return old


def phase_for(visit: Visit) -> str:
    return phase_for_status(visit.status)


def phase_for_status(status: str) -> str:
    if status == VisitStatus.INFUSING:
        return "infusion"
    if status in (VisitStatus.RECOVERING, VisitStatus.DISCHARGED):
        return "recovery"
    return "baseline"
