"""Transcribing a finished visit's paper chart (downtime, or a clinic moving onto ketaclinic).

The live actions refuse to chart on a discharged visit; this one exists for exactly that case and
for nothing else: the visit must already be discharged and hold no infusion record yet. Every row
keeps its clinical time, and one audit event says who transcribed it and from what.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from ketaclinic.accounts.models import User
from ketaclinic.audit.log import record_event
from ketaclinic.infusions.actions.common import InfusionError, lock_visit, now_or, require_prescriber
from ketaclinic.infusions.actions.dose import DoseRequest, calculate_for_visit
from ketaclinic.infusions.models import (
    AdverseEvent,
    CheckIn,
    Discharge,
    DischargeScore,
    DoseOrder,
    Observation,
    PumpEvent,
    PumpEventKind,
    RescueMedication,
    VitalAlert,
    VitalSign,
)
from ketaclinic.protocol.discharge import assess_discharge
from ketaclinic.protocol.vitals import VitalsReading, assess_vitals
from ketaclinic.schedule.models import Visit, VisitStatus


@transaction.atomic
def do_transcribe_paper_record(
    acting_user: User, visit: Visit, *, source_note: str, nurse: User, weight_kg: Any, height_cm: Any,
    dose: DoseRequest, started_at: datetime, vitals: list[dict[str, Any]], observations: list[dict[str, Any]],
    adverse_events: list[dict[str, Any]], aldrete: dict[str, int], escort_name: str, escort_relationship: str,
    now: datetime | None = None,
) -> DoseOrder:
    """Enter a discharged visit's paper record. Who: a provider (who signs the transcription).

    `vitals`: dicts with `taken_at` and values; the phase follows the pump times. Alerts are
    raised exactly as live and stored acknowledged by the nurse ("managed at the time, see paper
    chart"). Writes: CheckIn, DoseOrder, PumpEvents, VitalSigns, VitalAlerts, Observations,
    AdverseEvents, RescueMedications, DischargeScore, Discharge, AuditEvent.
    """
    require_prescriber(acting_user, visit)
    at = now_or(now)
    lock_visit(visit)
    if visit.status != VisitStatus.DISCHARGED:
        raise InfusionError("Only a finished (discharged) visit can be transcribed from paper.")
    if DoseOrder.objects.filter(visit=visit).exists() or Discharge.objects.filter(visit=visit).exists():
        raise InfusionError("This visit already has an infusion record.")
    if not source_note.strip():
        raise InfusionError("Say where the record comes from.", "source_note")
    clinic = visit.clinic
    protocol = clinic.protocol()
    checkin = CheckIn.objects.create(
        clinic=clinic, visit=visit, health_update_reviewed=True, weight_kg=weight_kg, height_cm=height_cm,
        no_alcohol_or_drugs=True, medications_confirmed=True, ride_name=escort_name, ride_confirmed=True,
        pregnancy=CheckIn.Pregnancy.NOT_APPLICABLE,
        recorded_by=nurse, recorded_at=started_at - timedelta(minutes=20))
    calc = calculate_for_visit(visit, dose, checkin)
    order = DoseOrder.objects.create(
        clinic=clinic, visit=visit, protocol_version=visit.protocol_version, weight_kg=calc.actual_weight_kg,
        height_cm=height_cm, weight_basis=calc.weight_basis, dosing_weight_kg=calc.dosing_weight_kg,
        dose_mg_per_kg=calc.dose_mg_per_kg, dose_mg=calc.dose_mg, concentration_mg_per_ml=calc.concentration_mg_per_ml,
        bag_volume_ml=calc.diluent_volume_ml, drug_volume_ml=calc.drug_volume_ml, total_volume_ml=calc.total_volume_ml,
        final_concentration_mg_per_ml=calc.final_concentration_mg_per_ml, duration_minutes=calc.duration_minutes,
        rate_ml_per_h=calc.rate_ml_per_h, findings=[f.to_dict() for f in calc.findings],
        acknowledgement_reason="Transcribed: acknowledged on the paper order" if calc.findings else "",
        ordered_by=acting_user, ordered_at=started_at - timedelta(minutes=10))
    stopped_at = started_at + timedelta(minutes=float(calc.duration_minutes))
    PumpEvent.objects.create(clinic=clinic, visit=visit, dose_order=order, kind=PumpEventKind.START, at=started_at,
                             rate_ml_per_h=calc.rate_ml_per_h, entered_by=nurse, created_at=at)
    PumpEvent.objects.create(clinic=clinic, visit=visit, dose_order=order, kind=PumpEventKind.STOP, at=stopped_at,
                             rate_ml_per_h=0, volume_infused_ml=calc.total_volume_ml, entered_by=nurse, created_at=at)
    for v in vitals:
        taken = v["taken_at"]
        phase = "baseline" if taken < started_at else "infusion" if taken <= stopped_at else "recovery"
        values = {k: v.get(k) for k in ("systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate")}
        sign = VitalSign.objects.create(clinic=clinic, visit=visit, taken_at=taken, phase=phase, entered_by=nurse,
                                        confirmed_by=nurse, confirmed_at=taken, created_at=at, **values)
        for f in assess_vitals(VitalsReading(**{k: x for k, x in values.items() if x is not None}), phase, protocol):
            VitalAlert.objects.create(
                clinic=clinic, visit=visit, vital_sign=sign, vital=f.vital, code=f.code, severity=f.severity,
                message=f.message, suggested_action=f.action, raised_at=taken, status="acknowledged",
                acknowledged_by=nurse, acknowledged_at=taken + timedelta(minutes=1),
                action_taken=v.get("action_taken", "Managed at the time; see the paper chart."))
    for o in observations:
        Observation.objects.create(clinic=clinic, visit=visit, kind=o["kind"], value=o.get("value"),
                                   text=o.get("text", ""), observed_at=o["observed_at"], entered_by=nurse)
    for e in adverse_events:
        ae = AdverseEvent.objects.create(
            clinic=clinic, visit=visit, event_type=e["event_type"], severity=e["severity"], onset_at=e["onset_at"],
            action_taken=e["action_taken"], outcome=e.get("outcome", ""), provider_notified=acting_user,
            provider_notified_at=e["onset_at"], entered_by=nurse, created_at=at)
        if e.get("rescue"):
            drug, amount, unit, route = e["rescue"]
            RescueMedication.objects.create(clinic=clinic, visit=visit, adverse_event=ae, drug=drug, dose=amount,
                                            unit=unit, route=route, given_at=e["onset_at"] + timedelta(minutes=3),
                                            ordered_by=acting_user, given_by=nurse, created_at=at)
    scored_at = stopped_at + timedelta(minutes=protocol.discharge.observe_min_after_iv)
    result = assess_discharge("aldrete", aldrete, protocol.discharge.observe_min_after_iv, protocol)
    DischargeScore.objects.create(clinic=clinic, visit=visit, score="aldrete", components=dict(result.components),
                                  total=result.total, minutes_since_end=protocol.discharge.observe_min_after_iv,
                                  ready=result.ready, reasons=list(result.reasons), scored_by=nurse,
                                  scored_at=scored_at)
    Discharge.objects.create(clinic=clinic, visit=visit, escort_name=escort_name,
                             escort_relationship=escort_relationship, escort_matches_ride=True, discharged_by=nurse,
                             discharged_at=visit.status_changed_at or scored_at + timedelta(minutes=5))
    record_event(acting_user, "INFUSION_RECORD_TRANSCRIBED", patient=visit.patient, obj=order, at=at,
                 details={"visit": visit.pk, "source": source_note.strip(), "nurse": nurse.email,
                          "vitals": len(vitals), "adverse_events": len(adverse_events)})
    return order
