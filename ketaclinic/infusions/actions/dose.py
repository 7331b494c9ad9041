"""Dose orders (provider, with acknowledgements and co-signatures) and pump events (start … stop)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from ketaclinic.accounts.models import User
from ketaclinic.audit.log import record_event
from ketaclinic.infusions.actions.common import (
    GateNotMet,
    InfusionError,
    is_licensed,
    lock_visit,
    now_or,
    require_charting,
    require_prescriber,
    set_status,
)
from ketaclinic.infusions.models import CheckIn, DoseOrder, PumpEvent, PumpEventKind
from ketaclinic.infusions.readiness import latest_checkin, readiness, unmet
from ketaclinic.protocol.dose import DoseCalculation, DoseOrderInput, calculate_dose
from ketaclinic.protocol.errors import InputError
from ketaclinic.schedule.models import Visit, VisitStatus


@dataclass(frozen=True)
class DoseRequest:
    """What the provider typed. None = the protocol default."""

    dose_mg_per_kg: Decimal | None
    weight_basis: str | None
    concentration_mg_per_ml: Decimal
    bag_volume_ml: Decimal | None
    duration_minutes: Decimal | None


def _number(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise InfusionError("Enter a number.", field) from None


def previous_order(visit: Visit) -> DoseOrder | None:
    """The patient's last signed order at an earlier visit (for titration limits and the order form)."""
    return (DoseOrder.objects.current().filter(visit__patient_id=visit.patient_id, visit__starts_at__lt=visit.starts_at)
            .order_by("-visit__starts_at", "-ordered_at").first())


def calculate_for_visit(visit: Visit, request: DoseRequest, checkin: CheckIn | None = None) -> DoseCalculation:
    """Run the protocol dose rules on today's weight. Raises InfusionError (field named)."""
    c = checkin or latest_checkin(visit)
    if c is None or not c.weight_kg:
        raise InfusionError("Record today's weight at check-in first.", "weight_kg")
    prev = previous_order(visit)
    inp = DoseOrderInput(
        weight_kg=c.weight_kg, height_cm=c.height_cm, sex=visit.patient.sex_at_birth,  # type: ignore[arg-type]
        weight_basis=request.weight_basis or None,  # type: ignore[arg-type]
        concentration_mg_per_ml=request.concentration_mg_per_ml, dose_mg_per_kg=request.dose_mg_per_kg,
        duration_minutes=request.duration_minutes, bag_volume_ml=request.bag_volume_ml,
        previous_dose_mg_per_kg=prev.dose_mg_per_kg if prev else None, weight_measured_days_ago=0,
    )
    try:
        return calculate_dose(inp, visit.clinic.protocol())
    except InputError as exc:
        raise InfusionError(f"{exc.message[:1].upper()}{exc.message[1:]}.", exc.field) from exc


def parse_request(*, dose_mg_per_kg: Any, weight_basis: Any, concentration_mg_per_ml: Any, bag_volume_ml: Any,
                  duration_minutes: Any) -> DoseRequest:
    conc = _number(concentration_mg_per_ml, "concentration_mg_per_ml")
    if conc is None:
        raise InfusionError("Enter the vial strength (mg/mL).", "concentration_mg_per_ml")
    if weight_basis not in (None, "", "actual", "ideal", "adjusted"):
        raise InfusionError("Choose actual, ideal or adjusted body weight.", "weight_basis")
    return DoseRequest(
        dose_mg_per_kg=_number(dose_mg_per_kg, "dose_mg_per_kg"), weight_basis=weight_basis or None,
        concentration_mg_per_ml=conc, bag_volume_ml=_number(bag_volume_ml, "bag_volume_ml"),
        duration_minutes=_number(duration_minutes, "duration_minutes"),
    )


def check_cosigner(orderer: User, visit: Visit, cosigner: User | None, password: str) -> User:
    """The second signature: another licensed person at this clinic who re-enters their own password."""
    if cosigner is None:
        raise InfusionError("A second licensed person must co-sign this hard limit.", "cosigner")
    if cosigner.pk == orderer.pk:
        raise InfusionError("The co-signer must be a different person.", "cosigner")
    if not cosigner.is_active or not is_licensed(cosigner, visit.clinic):
        raise InfusionError("The co-signer must be a licensed clinician at this clinic.", "cosigner")
    if not password or not cosigner.check_password(password):
        raise InfusionError("The co-signer's password is not right.", "cosigner_password")
    return cosigner


@transaction.atomic
def do_order_dose(acting_user: User, visit: Visit, request: DoseRequest, *, acknowledgement_reason: str = "",
                  cosigner: User | None = None, cosigner_password: str = "", cosign_reason: str = "",
                  amend_reason: str = "", now: datetime | None = None) -> DoseOrder:
    """Sign a dose order. Who: provider or medical director.

    Soft-limit findings need `acknowledgement_reason`; any hard stop needs a different licensed
    clinician of this clinic as `cosigner`, who re-enters their password, plus `cosign_reason`.
    A new order before the pump starts amends the previous one (needs `amend_reason`); after the
    start the order is fixed (change the rate with a pump event, within the order).
    Writes: DoseOrder, AuditEvent (DOSE_ORDERED; DOSE_OVERRIDDEN when a hard stop was co-signed).
    """
    require_prescriber(acting_user, visit)
    at = now_or(now)
    lock_visit(visit)
    if visit.status not in (VisitStatus.ARRIVED, VisitStatus.IN_CHAIR):
        raise InfusionError("A dose is ordered before the infusion starts.")
    calc = calculate_for_visit(visit, request)
    current = DoseOrder.objects.current().filter(visit=visit).first()
    if current is not None and not amend_reason.strip():
        raise InfusionError("This visit already has an order; say why it is being replaced.", "amend_reason")
    if calc.findings and not acknowledgement_reason.strip():
        raise InfusionError("Acknowledge the findings with a reason.", "acknowledgement_reason")
    signer = None
    if calc.has_hard_stop:
        if not cosign_reason.strip():
            raise InfusionError("The co-signer gives the reason for crossing the hard limit.", "cosign_reason")
        signer = check_cosigner(acting_user, visit, cosigner, cosigner_password)
    order = DoseOrder.objects.create(
        clinic=visit.clinic, visit=visit, protocol_version=visit.clinic.current_protocol_version(),
        weight_kg=calc.actual_weight_kg, height_cm=latest_checkin(visit).height_cm,  # type: ignore[union-attr]
        weight_basis=calc.weight_basis, dosing_weight_kg=calc.dosing_weight_kg, dose_mg_per_kg=calc.dose_mg_per_kg,
        dose_mg=calc.dose_mg, concentration_mg_per_ml=calc.concentration_mg_per_ml,
        bag_volume_ml=calc.diluent_volume_ml, drug_volume_ml=calc.drug_volume_ml,
        total_volume_ml=calc.total_volume_ml, final_concentration_mg_per_ml=calc.final_concentration_mg_per_ml,
        duration_minutes=calc.duration_minutes, rate_ml_per_h=calc.rate_ml_per_h,
        findings=[f.to_dict() for f in calc.findings], acknowledgement_reason=acknowledgement_reason.strip(),
        ordered_by=acting_user, ordered_at=at, cosigned_by=signer, cosigned_at=at if signer else None,
        cosign_reason=cosign_reason.strip() if signer else "", amends=current,
        amend_reason=amend_reason.strip() if current else "",
    )
    details = {"visit": visit.pk, "dose_mg": str(order.dose_mg), "mg_per_kg": str(order.dose_mg_per_kg),
               "rate_ml_per_h": str(order.rate_ml_per_h), "findings": [f.code for f in calc.findings],
               "acknowledgement_reason": order.acknowledgement_reason, "amends": current.pk if current else None}
    record_event(acting_user, "DOSE_ORDERED", patient=visit.patient, obj=order, at=at, details=details)
    if signer is not None:
        record_event(signer, "DOSE_OVERRIDDEN", patient=visit.patient, obj=order, at=at,
                     details={"hard_stops": [f.code for f in calc.findings if f.severity == "hard_stop"],
                              "reason": order.cosign_reason, "ordered_by": acting_user.email})
    return order


# ---- Pump -----------------------------------------------------------------------------------

ALLOWED_AFTER: dict[str | None, set[str]] = {
    None: {PumpEventKind.START},
    PumpEventKind.START: {PumpEventKind.PAUSE, PumpEventKind.RATE_CHANGE, PumpEventKind.STOP},
    PumpEventKind.RATE_CHANGE: {PumpEventKind.PAUSE, PumpEventKind.RATE_CHANGE, PumpEventKind.STOP},
    PumpEventKind.RESUME: {PumpEventKind.PAUSE, PumpEventKind.RATE_CHANGE, PumpEventKind.STOP},
    PumpEventKind.PAUSE: {PumpEventKind.RESUME, PumpEventKind.STOP},
    PumpEventKind.STOP: set(),
}


def start_blockers(visit: Visit, *, now: datetime | None = None) -> list[str]:
    """Everything that stops the pump from starting now, in plain words (empty = may start)."""
    problems = [f"{i.label}: {i.detail}" for i in unmet(readiness(visit, now=now))]
    order = DoseOrder.objects.current().filter(visit=visit).first()
    if order is None:
        problems.append("Dose order: a provider must sign the order.")
    if visit.status != VisitStatus.IN_CHAIR:
        problems.append("The patient must be in a chair with the pre-checks done.")
    return problems


@transaction.atomic
def do_record_pump_event(acting_user: User, visit: Visit, kind: str, *, rate_ml_per_h: Any = None,
                         volume_infused_ml: Any = None, reason: str = "", at: datetime | None = None,
                         now: datetime | None = None) -> PumpEvent:
    """Chart a pump event. Who: licensed clinical staff.

    start: only when the readiness gate passes (every item met or overridden by a provider) and a
      dose order is signed; the programmed rate is the order's. Visit → infusing.
    pause / resume / rate_change (rate at or below the ordered rate, with a reason) / stop.
    stop: visit → recovering; `volume_infused_ml` is what the pump shows.
    Raises GateNotMet or InfusionError. Writes: PumpEvent, visit status, AuditEvent.
    """
    require_charting(acting_user, visit)
    moment = now_or(now)
    when = at or moment
    lock_visit(visit)
    if kind not in PumpEventKind.values:
        raise InfusionError("Unknown pump event.", "kind")
    events = list(PumpEvent.objects.filter(visit=visit).order_by("at", "id"))
    last = events[-1] if events else None
    if kind not in ALLOWED_AFTER[last.kind if last else None]:
        state = "not started" if last is None else {"pause": "paused", "stop": "stopped"}.get(last.kind, "running")
        raise InfusionError(f"The pump is {state}: “{PumpEventKind(kind).label}” is not possible now.", "kind")
    if last is not None and when < last.at:
        raise InfusionError("This time is before the previous pump event.", "at")
    if when > moment + timedelta(minutes=2):
        raise InfusionError("The time cannot be in the future.", "at")
    order = DoseOrder.objects.current().filter(visit=visit).first()
    rate = _number(rate_ml_per_h, "rate_ml_per_h")
    volume = _number(volume_infused_ml, "volume_infused_ml")
    if kind == PumpEventKind.START:
        blockers = unmet(readiness(visit, now=moment))
        if blockers:
            raise GateNotMet(blockers)
        if order is None:
            raise InfusionError("A provider must sign the dose order before the pump starts.")
        if visit.status != VisitStatus.IN_CHAIR:
            raise InfusionError("The patient must be in a chair with the pre-checks done.")
        if rate is not None and rate != order.rate_ml_per_h:
            raise InfusionError(f"Program the ordered rate, {order.rate_ml_per_h} mL/h.", "rate_ml_per_h")
        rate = order.rate_ml_per_h
    if order is None:
        raise InfusionError("There is no signed dose order for this visit.")
    if kind == PumpEventKind.RATE_CHANGE:
        if last is not None and last.kind == kind and last.rate_ml_per_h == rate and last.entered_by_id == \
                acting_user.pk and moment - last.created_at < timedelta(seconds=60):
            return last  # a double submit
        if rate is None or rate <= 0:
            raise InfusionError("Enter the new rate in mL/h.", "rate_ml_per_h")
        if rate > order.rate_ml_per_h:
            raise InfusionError(f"Faster than the ordered {order.rate_ml_per_h} mL/h needs a new provider order.",
                                "rate_ml_per_h")
        if not reason.strip():
            raise InfusionError("Say why the rate changed.", "reason")
    if kind == PumpEventKind.RESUME:
        previous_rate = next((e.rate_ml_per_h for e in reversed(events) if e.rate_ml_per_h), order.rate_ml_per_h)
        rate = rate or previous_rate
        if rate is not None and rate > order.rate_ml_per_h:
            raise InfusionError(f"Faster than the ordered {order.rate_ml_per_h} mL/h needs a new provider order.",
                                "rate_ml_per_h")
    if kind in (PumpEventKind.PAUSE, PumpEventKind.STOP):
        rate = Decimal(0)
    if kind == PumpEventKind.PAUSE and not reason.strip():
        raise InfusionError("Say why the pump was paused.", "reason")
    if volume is not None and (volume < 0 or volume > order.total_volume_ml * Decimal("1.1")):
        raise InfusionError(f"The infused volume must be between 0 and the bag's {order.total_volume_ml} mL.",
                            "volume_infused_ml")
    event = PumpEvent.objects.create(clinic=visit.clinic, visit=visit, dose_order=order, kind=kind, at=when,
                                     rate_ml_per_h=rate, volume_infused_ml=volume, reason=reason.strip(),
                                     entered_by=acting_user, created_at=moment)
    if kind == PumpEventKind.START:
        set_status(visit, VisitStatus.INFUSING, when)
    elif kind == PumpEventKind.STOP:
        set_status(visit, VisitStatus.RECOVERING, when)
    record_event(acting_user, f"PUMP_{kind.upper()}", patient=visit.patient, obj=event, at=moment,
                 details={"visit": visit.pk, "rate_ml_per_h": str(rate) if rate is not None else None,
                          "at": when.isoformat(), "reason": reason.strip(),
                          "volume_infused_ml": str(volume) if volume is not None else None})
    return event
