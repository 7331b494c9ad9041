"""Reads of preparation records. Visits are fetched through ketaclinic.schedule.access, so a
user who may not see the visit gets Http404 before anything here is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied

from ketaclinic.accounts.roles import Perm, has_perm
from ketaclinic.preparation.models import (
    DayOfAttestation,
    HealthUpdate,
    Intention,
    PreparationPlan,
    RideDetails,
    RideKind,
)
from ketaclinic.schedule.access import get_visit_for_user
from ketaclinic.schedule.models import Visit


@dataclass(frozen=True)
class PreparationSummary:
    """What the patient told us for one visit, for check-in and the readiness gate.

    Every field is None/empty when the patient has not answered. `health_update_flags` are
    the codes of answers that need provider review (see preparation.health).
    """

    ride_name: str
    ride_phone: str
    ride_relationship: str
    ride_is_car_service: bool
    ride_confirmed_at: datetime | None
    last_solid_food_at: datetime | None
    last_clear_liquids_at: datetime | None
    last_alcohol_at: datetime | None
    no_alcohol_or_drugs: bool | None
    medications_taken: str
    health_update_submitted_at: datetime | None
    health_update_flags: tuple[str, ...]


EMPTY_SUMMARY = PreparationSummary(
    ride_name="", ride_phone="", ride_relationship="", ride_is_car_service=False, ride_confirmed_at=None,
    last_solid_food_at=None, last_clear_liquids_at=None, last_alcohol_at=None, no_alcohol_or_drugs=None,
    medications_taken="", health_update_submitted_at=None, health_update_flags=(),
)


def latest_ride(plan: PreparationPlan) -> RideDetails | None:
    return RideDetails.objects.filter(plan=plan).order_by("-recorded_at", "-id").first()


def latest_health_update(plan: PreparationPlan) -> HealthUpdate | None:
    return HealthUpdate.objects.filter(plan=plan).order_by("-submitted_at", "-id").first()


def latest_attestation(plan: PreparationPlan) -> DayOfAttestation | None:
    return DayOfAttestation.objects.filter(plan=plan).order_by("-recorded_at", "-id").first()


def latest_intention(plan: PreparationPlan) -> Intention | None:
    return Intention.objects.filter(plan=plan).order_by("-written_at", "-id").first()


def summarize(plan: PreparationPlan | None) -> PreparationSummary:
    """The summary of one plan (no permission check: callers fetched the visit through access)."""
    if plan is None:
        return EMPTY_SUMMARY
    ride = latest_ride(plan)
    update = latest_health_update(plan)
    attest = latest_attestation(plan)
    return PreparationSummary(
        ride_name=ride.escort_name if ride else "",
        ride_phone=ride.escort_phone if ride else "",
        ride_relationship=ride.relationship if ride else "",
        ride_is_car_service=bool(ride and ride.kind == RideKind.CAR_SERVICE),
        ride_confirmed_at=plan.ride_confirmed_at,
        last_solid_food_at=attest.last_solid_food_at if attest else None,
        last_clear_liquids_at=attest.last_clear_liquids_at if attest else None,
        last_alcohol_at=attest.last_alcohol_at if attest else None,
        no_alcohol_or_drugs=attest.no_alcohol_or_drugs if attest else None,
        medications_taken=attest.medications_taken if attest else "",
        health_update_submitted_at=update.submitted_at if update else None,
        health_update_flags=tuple(update.flags) if update else (),
    )


def visit_preparation_summary(visit: Visit) -> PreparationSummary:
    """What the patient told us for `visit` (ride, attestations, health update).

    For the infusion stage's check-in and readiness gate. The caller must already have fetched
    `visit` through ketaclinic.schedule.access; this reads only that visit's plan. A visit
    with no plan yet gives the empty summary (nothing answered).
    """
    plan = PreparationPlan.objects.filter(visit=visit).first()
    return summarize(plan)


def get_visit_for_patient_portal(user: Any, visit_id: int) -> Visit:
    """A visit for the patient's own portal pages: only the visit's own patient (else Http404).

    Staff use the read-only staff view of the same page through get_visit_for_preparation.
    """
    visit = get_visit_for_user(user, visit_id)
    if visit.patient.user_id != getattr(user, "pk", None):
        from django.http import Http404

        raise Http404
    return visit


def get_visit_for_preparation(user: Any, visit_id: int) -> tuple[Visit, bool]:
    """The visit and whether `user` is its patient. Staff with view-patients at its clinic or
    the patient; anyone else Http404."""
    visit = get_visit_for_user(user, visit_id)
    is_owner = visit.patient.user_id == getattr(user, "pk", None)
    if not is_owner and not has_perm(user, visit.clinic, Perm.VIEW_PATIENTS):
        raise PermissionDenied
    return visit, is_owner


def visible_intention(plan: PreparationPlan, user: Any, *, is_owner: bool) -> Intention | None:
    """The patient's intention: always for the patient, for staff only when shared."""
    intention = latest_intention(plan)
    if intention is None or is_owner or intention.shared:
        return intention
    return None
