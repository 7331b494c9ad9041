"""Derived views of the infusion record: the pump course, the vitals schedule, the board rows and
the controlled-substance reconciliation. Reads only; no writes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet

from ketaclinic.infusions.models import (
    CallRequest,
    ControlledSubstanceEntry,
    CsKind,
    DoseOrder,
    PumpEvent,
    PumpEventKind,
    VitalAlert,
    VitalSign,
)
from ketaclinic.protocol.config import Protocol
from ketaclinic.schedule.models import Visit, VisitStatus


@dataclass(frozen=True)
class PumpCourse:
    """Programmed (the order) against actual (the events)."""

    started_at: datetime | None
    stopped_at: datetime | None
    running_minutes: float
    paused_minutes: float
    estimated_volume_ml: Decimal
    reported_volume_ml: Decimal | None
    programmed_minutes: Decimal | None
    programmed_volume_ml: Decimal | None
    estimated_mg: Decimal | None

    @property
    def actual_minutes(self) -> float:
        return self.running_minutes + self.paused_minutes


def pump_course(order: DoseOrder | None, events: list[PumpEvent], now: datetime) -> PumpCourse:
    started = stopped = None
    running = paused = 0.0
    volume = Decimal(0)
    rate = Decimal(0)
    reported = None
    last_at: datetime | None = None
    for e in events:
        if last_at is not None:
            minutes = (e.at - last_at).total_seconds() / 60
            if rate > 0:
                running += minutes
                volume += rate * Decimal(minutes) / 60
            else:
                paused += minutes
        if e.kind == PumpEventKind.START:
            started = e.at
        if e.kind == PumpEventKind.STOP:
            stopped = e.at
            reported = e.volume_infused_ml
        rate = e.rate_ml_per_h or Decimal(0)
        last_at = e.at
    if last_at is not None and stopped is None:
        minutes = max(0.0, (now - last_at).total_seconds() / 60)
        if rate > 0:
            running += minutes
            volume += rate * Decimal(minutes) / 60
        else:
            paused += minutes
    if order is not None:
        volume = min(volume, order.total_volume_ml)
    used = reported if reported is not None else volume
    return PumpCourse(
        started_at=started, stopped_at=stopped, running_minutes=round(running, 1), paused_minutes=round(paused, 1),
        estimated_volume_ml=volume.quantize(Decimal("0.1")), reported_volume_ml=reported,
        programmed_minutes=order.duration_minutes if order else None,
        programmed_volume_ml=order.total_volume_ml if order else None,
        estimated_mg=(used * order.final_concentration_mg_per_ml).quantize(Decimal("0.1")) if order else None,
    )


@dataclass(frozen=True)
class VitalsDue:
    due_at: datetime | None
    label: str

    def overdue(self, now: datetime) -> bool:
        return self.due_at is not None and now > self.due_at

    def minutes_left(self, now: datetime) -> int | None:
        return None if self.due_at is None else int((self.due_at - now).total_seconds() // 60)


def next_vitals_due(visit: Visit, vitals: list[VitalSign], events: list[PumpEvent], protocol: Protocol) -> VitalsDue:
    """When the next set of vitals is due, from the protocol's monitoring intervals.

    Before the start: a baseline set as soon as the patient is in the chair. During the infusion:
    every `vitals_interval_during_min` from the start (or the last reading). At the end: a set at
    the pump stop. In recovery: every `vitals_interval_after_min` after that.
    """
    m = protocol.monitoring
    last = vitals[-1].taken_at if vitals else None
    start = next((e.at for e in events if e.kind == PumpEventKind.START), None)
    stop = next((e.at for e in events if e.kind == PumpEventKind.STOP), None)
    if visit.status == VisitStatus.ARRIVED:
        return VitalsDue(None, "in the waiting room")
    if visit.status == VisitStatus.IN_CHAIR:
        if not any(v.phase == "baseline" for v in vitals):
            return VitalsDue(visit.status_changed_at or visit.starts_at, "baseline")
        return VitalsDue(None, "before start")
    if visit.status == VisitStatus.INFUSING and start is not None:
        anchor = max(t for t in (start, last) if t is not None)
        return VitalsDue(anchor + timedelta(minutes=m.vitals_interval_during_min), "infusion")
    if visit.status == VisitStatus.RECOVERING and stop is not None:
        if last is None or last < stop:
            return VitalsDue(stop, "end of infusion")
        return VitalsDue(last + timedelta(minutes=m.vitals_interval_after_min), "recovery")
    return VitalsDue(None, "")


BOARD_STATUSES = (VisitStatus.BOOKED, VisitStatus.CONFIRMED, VisitStatus.ARRIVED, VisitStatus.IN_CHAIR,
                  VisitStatus.INFUSING, VisitStatus.RECOVERING)


def board_visits(clinic_id: int, day_start: datetime, day_end: datetime) -> QuerySet[Visit]:
    """Today's visits still at or due at the clinic, with everything the board shows prefetched.

    Queries: visits (+ patient, chair, course), vitals, pump events, open alerts, open calls,
    discharge scores, current dose orders — a fixed number however many rows.
    """
    return (Visit.objects.filter(clinic_id=clinic_id, starts_at__gte=day_start, starts_at__lt=day_end,
                                 status__in=BOARD_STATUSES)
            .select_related("patient", "chair", "course")
            .prefetch_related(
                Prefetch("vital_signs", queryset=VitalSign.objects.current().order_by("taken_at", "id"),
                         to_attr="board_vitals"),
                Prefetch("pump_events", queryset=PumpEvent.objects.order_by("at", "id"), to_attr="board_pump"),
                Prefetch("vital_alerts", queryset=VitalAlert.objects.filter(status="open"), to_attr="board_alerts"),
                Prefetch("call_requests", queryset=CallRequest.objects.filter(answered_at__isnull=True),
                         to_attr="board_calls"),
                Prefetch("discharge_scores", to_attr="board_scores"),
                Prefetch("dose_orders", queryset=DoseOrder.objects.current(), to_attr="board_orders"),
            ).order_by("chair__name", "starts_at"))


@dataclass
class LotLine:
    lot: str
    expires_on: Any
    received: Decimal = Decimal(0)
    drawn: Decimal = Decimal(0)
    given: Decimal = Decimal(0)
    wasted: Decimal = Decimal(0)
    disposed: Decimal = Decimal(0)
    last_count: Decimal | None = None
    balance_at_count: Decimal | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def balance(self) -> Decimal:
        return self.received - self.drawn - self.disposed


@dataclass
class VisitLine:
    visit: Visit
    drawn: Decimal = Decimal(0)
    given: Decimal = Decimal(0)
    wasted: Decimal = Decimal(0)
    ordered_mg: Decimal | None = None
    problems: list[str] = field(default_factory=list)


def cs_reconciliation(clinic_id: int, since: datetime, until: datetime) -> tuple[list[LotLine], list[VisitLine]]:
    """Per lot and per visit: does the log add up? Each line lists its discrepancies in words."""
    entries = list(ControlledSubstanceEntry.objects.filter(clinic_id=clinic_id).select_related("witness")
                   .order_by("at", "id"))
    lots: dict[str, LotLine] = {}
    visit_lines: dict[int, VisitLine] = {}
    running: dict[str, Decimal] = defaultdict(Decimal)
    for e in entries:
        line = lots.setdefault(e.lot, LotLine(e.lot, e.expires_on))
        if e.kind == CsKind.RECEIVED:
            line.received += e.mg
            running[e.lot] += e.mg
        elif e.kind == CsKind.DRAWN:
            line.drawn += e.mg
            running[e.lot] -= e.mg
        elif e.kind == CsKind.GIVEN:
            line.given += e.mg
        elif e.kind == CsKind.WASTED:
            line.wasted += e.mg
            if e.witness_id is None:
                line.problems.append(f"Waste of {e.mg} mg on {e.at:%Y-%m-%d} has no witness.")
        elif e.kind == CsKind.DISPOSED:
            line.disposed += e.mg
            running[e.lot] -= e.mg
            if e.witness_id is None:
                line.problems.append(f"Disposal of {e.mg} mg on {e.at:%Y-%m-%d} has no witness.")
        elif e.kind == CsKind.COUNTED:
            line.last_count = e.mg
            line.balance_at_count = running[e.lot]
        if e.visit_id is not None and e.kind in (CsKind.DRAWN, CsKind.GIVEN, CsKind.WASTED) and since <= e.at < until:
            vl = visit_lines.setdefault(e.visit_id, VisitLine(visit=None))  # type: ignore[arg-type]
            setattr(vl, e.kind, getattr(vl, e.kind) + e.mg)
    for line in lots.values():
        counted = line.last_count is not None and line.balance_at_count is not None
        if counted and line.last_count != line.balance_at_count:
            line.problems.append(f"Count {line.last_count} mg differs from the log ({line.balance_at_count} mg).")
        if line.balance < 0:
            line.problems.append("More drawn or disposed of than received.")
        if line.drawn != line.given + line.wasted:
            line.problems.append("Drawn does not equal given plus wasted.")
    infused = (Visit.objects.filter(clinic_id=clinic_id, starts_at__gte=since, starts_at__lt=until,
                                    pump_events__kind=PumpEventKind.START).distinct()
               .select_related("patient").order_by("starts_at"))
    orders = {o.visit_id: o for o in DoseOrder.objects.current().filter(visit__in=infused)}
    result: list[VisitLine] = []
    for visit in infused:
        vl = visit_lines.pop(visit.pk, VisitLine(visit=visit))
        vl.visit = visit
        order = orders.get(visit.pk)
        vl.ordered_mg = order.dose_mg if order else None
        if vl.drawn == 0:
            vl.problems.append("Infusion started but no drug is logged.")
        elif vl.drawn != vl.given + vl.wasted:
            vl.problems.append("Drawn does not equal given plus wasted.")
        if order is not None and vl.given and abs(vl.given - order.dose_mg) > Decimal("0.5"):
            vl.problems.append(f"Given {vl.given} mg but {order.dose_mg} mg was ordered.")
        result.append(vl)
    # Drug logged for a visit whose pump never started: it must have been wasted or returned.
    for visit in Visit.objects.filter(pk__in=list(visit_lines)).select_related("patient").order_by("starts_at"):
        vl = visit_lines[visit.pk]
        vl.visit = visit
        vl.problems.append("Drug drawn but the infusion never started.")
        result.append(vl)
    return sorted(lots.values(), key=lambda x: x.lot), result
