"""Arrival, taking the patient to a chair, the check-in record and provider overrides of gate items."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.infusions.actions.common import (
    ON_FLOOR,
    InfusionError,
    lock_visit,
    now_or,
    require_charting,
    require_prescriber,
    set_status,
)
from ketaclinic.infusions.models import CheckIn, GateOverride
from ketaclinic.infusions.readiness import ITEM_LABELS
from ketaclinic.schedule.actions import chair_conflict
from ketaclinic.schedule.models import Chair, Visit, VisitStatus

CHECKIN_FIELDS = ("health_update_reviewed", "health_update_note", "weight_kg", "height_cm", "last_solid_food_at",
                  "last_clear_liquids_at", "last_alcohol_at", "no_alcohol_or_drugs", "medications_taken",
                  "medications_confirmed", "ride_name", "ride_phone", "ride_confirmed", "pregnancy")
WEIGHT_RANGE = (Decimal("25"), Decimal("350"))
HEIGHT_RANGE = (Decimal("100"), Decimal("250"))


@transaction.atomic
def do_mark_arrived(acting_user: User, visit: Visit, *, now: datetime | None = None) -> Visit:
    """Front desk (or any staff who sees patients) marks the patient arrived. Idempotent."""
    require_perm(acting_user, visit.clinic, Perm.VIEW_PATIENTS)
    at = now_or(now)
    lock_visit(visit)
    if visit.status in ON_FLOOR:
        return visit
    if visit.status not in (VisitStatus.BOOKED, VisitStatus.CONFIRMED):
        raise InfusionError(f"This visit is {visit.get_status_display().lower()}; it cannot be checked in.")
    if visit.starts_at.astimezone(visit.clinic.zone).date() != at.astimezone(visit.clinic.zone).date():
        raise InfusionError("Only today's visits can be marked arrived.")
    old = set_status(visit, VisitStatus.ARRIVED, at)
    record_event(acting_user, "PATIENT_ARRIVED", patient=visit.patient, obj=visit, at=at,
                 details={"from": old, "to": VisitStatus.ARRIVED})
    return visit


@transaction.atomic
def do_take_patient(acting_user: User, visit: Visit, chair: Chair, *, now: datetime | None = None) -> Visit:
    """A nurse takes an arrived patient to a chair for the pre-checks. Who: licensed clinical staff.

    Refuses a chair another patient on the floor is sitting in.
    """
    require_charting(acting_user, visit)
    at = now_or(now)
    lock_visit(visit)
    if chair.clinic_id != visit.clinic_id or not chair.active:
        raise InfusionError("Pick one of this clinic's chairs.", "chair")
    if visit.status != VisitStatus.ARRIVED:
        if visit.status == VisitStatus.IN_CHAIR and visit.chair_id == chair.pk:
            return visit  # double submit
        raise InfusionError("Only a patient who has arrived can be taken to a chair.")
    Chair.objects.select_for_update().filter(pk=chair.pk).first()
    busy = Visit.objects.filter(chair=chair, status__in=(VisitStatus.IN_CHAIR, VisitStatus.INFUSING,
                                                         VisitStatus.RECOVERING)).exclude(pk=visit.pk)
    if busy.exists():
        raise InfusionError(f"{chair.name} has a patient in it.", "chair")
    if chair.pk != visit.chair_id:
        # Another booking holds that chair during this visit's time (the PostgreSQL exclusion
        # constraint would refuse the change; SQLite relies on this check).
        conflict = chair_conflict(visit, chair)
        if conflict is not None:
            raise InfusionError(f"{chair.name} is booked for {conflict.patient} at "
                                f"{timezone.localtime(conflict.starts_at, visit.clinic.zone):%H:%M}. "
                                "Pick another chair.", "chair")
    old_chair = visit.chair.name if visit.chair_id and visit.chair else ""
    visit.chair = chair
    visit.save(update_fields=["chair"])
    set_status(visit, VisitStatus.IN_CHAIR, at)
    record_event(acting_user, "PATIENT_TAKEN_TO_CHAIR", patient=visit.patient, obj=visit, at=at,
                 details={"chair": chair.name, "booked_chair": old_chair, "nurse": acting_user.email})
    return visit


def _decimal(value: Any, field: str, bounds: tuple[Decimal, Decimal], unit: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.1"))
    except InvalidOperation:
        raise InfusionError(f"Enter a number in {unit}.", field) from None
    if not bounds[0] <= number <= bounds[1]:
        raise InfusionError(f"Must be between {bounds[0]} and {bounds[1]} {unit}.", field)
    return number


@transaction.atomic
def do_record_checkin(acting_user: User, visit: Visit, *, now: datetime | None = None, **values: Any) -> CheckIn:
    """Save the nurse's pre-infusion checks as a new version (the older ones stay).

    Who: licensed clinical staff. Fields not given keep the previous version's value.
    Raises InfusionError (field named) on an implausible weight or height, or attestation times
    in the future. Writes: CheckIn, AuditEvent.
    """
    require_charting(acting_user, visit)
    unknown = set(values) - set(CHECKIN_FIELDS)
    if unknown:
        raise InfusionError(f"Unknown field {sorted(unknown)[0]}.")
    at = now_or(now)
    lock_visit(visit)
    if visit.status not in (VisitStatus.ARRIVED, VisitStatus.IN_CHAIR):
        raise InfusionError("Check-in is done before the infusion starts.")
    previous = CheckIn.objects.filter(visit=visit).order_by("-recorded_at", "-id").first()
    data: dict[str, Any] = {f: getattr(previous, f) for f in CHECKIN_FIELDS} if previous else {}
    data.update(values)
    data["weight_kg"] = _decimal(data.get("weight_kg"), "weight_kg", WEIGHT_RANGE, "kg")
    data["height_cm"] = _decimal(data.get("height_cm"), "height_cm", HEIGHT_RANGE, "cm")
    for field in ("last_solid_food_at", "last_clear_liquids_at", "last_alcohol_at"):
        moment = data.get(field)
        if moment is not None and moment > at:
            raise InfusionError("This time is later than now.", field)
    if data.get("pregnancy") and data["pregnancy"] not in CheckIn.Pregnancy.values:
        raise InfusionError("Choose a pregnancy check result.", "pregnancy")
    for text in ("health_update_note", "medications_taken", "ride_name", "ride_phone"):
        data[text] = (data.get(text) or "").strip()
    if previous is not None and all(getattr(previous, f) == data.get(f, getattr(previous, f))
                                    for f in CHECKIN_FIELDS):
        return previous  # nothing changed: a double submit adds no version
    checkin = CheckIn.objects.create(clinic=visit.clinic, visit=visit, recorded_by=acting_user, recorded_at=at,
                                     **{k: v for k, v in data.items() if v is not None or k.endswith("_at")})
    record_event(acting_user, "CHECKIN_RECORDED", patient=visit.patient, obj=checkin, at=at,
                 details={"visit": visit.pk, "changed": sorted(k for k in values
                                                               if previous is None or getattr(previous, k) != data[k])})
    return checkin


@transaction.atomic
def do_override_gate_item(acting_user: User, visit: Visit, item: str, *, reason: str,
                          now: datetime | None = None) -> GateOverride:
    """A provider lets one unmet readiness item pass, with a reason. Who: provider or medical director.

    Writes: GateOverride, AuditEvent (GATE_ITEM_OVERRIDDEN). One override per item and visit.
    """
    require_prescriber(acting_user, visit)
    if item not in ITEM_LABELS:
        raise InfusionError("Unknown readiness item.", "item")
    if not reason.strip():
        raise InfusionError("Give the clinical reason for letting this item pass.", "reason")
    at = now_or(now)
    lock_visit(visit)
    if visit.status not in (VisitStatus.ARRIVED, VisitStatus.IN_CHAIR):
        raise InfusionError("Gate items can be overridden only before the infusion starts.")
    existing = GateOverride.objects.filter(visit=visit, item=item).first()
    if existing is not None:
        return existing
    override = GateOverride.objects.create(clinic=visit.clinic, visit=visit, item=item, reason=reason.strip(),
                                           overridden_by=acting_user, overridden_at=at)
    record_event(acting_user, "GATE_ITEM_OVERRIDDEN", patient=visit.patient, obj=override, at=at,
                 details={"item": item, "reason": reason.strip()})
    return override
