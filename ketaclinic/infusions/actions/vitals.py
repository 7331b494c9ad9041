"""Vitals: recording (staff or bedside monitor), alerts, acknowledgement, confirmation, amendment."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from ketaclinic.accounts.models import User
from ketaclinic.audit.log import record_event
from ketaclinic.infusions.actions.common import (
    ON_FLOOR,
    InfusionError,
    lock_visit,
    now_or,
    phase_for,
    require_charting,
)
from ketaclinic.infusions.models import AlertStatus, Phase, VitalAlert, VitalSign, VitalSource
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.vitals import VitalsReading, assess_vitals
from ketaclinic.schedule.models import Visit

VITAL_FIELDS = ("systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate")
TEMPERATURE_RANGE = (Decimal("30.0"), Decimal("45.0"))
# A second identical reading from the same source within this window is a double submit.
DUPLICATE_WINDOW = timedelta(seconds=90)


def _reading(values: dict[str, Any], repeat: bool, symptoms: bool, rass: int | None) -> VitalsReading:
    try:
        return VitalsReading(**{k: values[k] for k in VITAL_FIELDS if values.get(k) is not None},
                             repeat=repeat, symptoms=symptoms, rass=rass)
    except InputError as exc:
        raise InfusionError(f"{exc.field.replace('_', ' ').capitalize()} {exc.message}.", exc.field) from exc


def _temperature(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        temp = Decimal(str(value)).quantize(Decimal("0.1"))
    except InvalidOperation:
        raise InfusionError("Temperature must be a number in °C.", "temperature_c") from None
    if not TEMPERATURE_RANGE[0] <= temp <= TEMPERATURE_RANGE[1]:
        raise InfusionError("Temperature must be between 30 and 45 °C.", "temperature_c")
    return temp


@transaction.atomic
def do_record_vitals(
    acting_user: User | None,
    visit: Visit,
    *,
    systolic: int | None = None,
    diastolic: int | None = None,
    heart_rate: int | None = None,
    spo2: int | None = None,
    respiratory_rate: int | None = None,
    temperature_c: Decimal | float | str | None = None,
    rass: int | None = None,
    repeat: bool = False,
    symptoms: bool = False,
    phase: str | None = None,
    source: str = VitalSource.MANUAL,
    device_id: str = "",
    taken_at: datetime | None = None,
    now: datetime | None = None,
) -> VitalSign:
    """Record one set of vitals and raise an alert for every protocol finding.

    Who: licensed clinical staff (nurse, provider, medical director) of the visit's clinic, or the
    bedside-monitor feed with `acting_user=None`, `source="monitor"` and the `device_id`; a monitor
    reading waits for a nurse to confirm it (do_confirm_vitals). The phase defaults from the visit
    status (baseline before the pump starts, infusion, recovery).
    Writes: VitalSign, VitalAlert per finding, AuditEvent. Raises InfusionError (field named) on an
    implausible value, PermissionDenied for the wrong person. An identical reading from the same
    source within 90 s returns the first one (double submit, or a monitor re-sending).
    """
    at = now_or(now)
    if acting_user is None:
        if source != VitalSource.MONITOR or not device_id:
            raise InfusionError("Only a bedside monitor (with its device id) may record without a user.")
    else:
        require_charting(acting_user, visit)
    if source not in VitalSource.values:
        raise InfusionError(f"Unknown source {source!r}.", "source")
    lock_visit(visit)
    if visit.status not in ON_FLOOR:
        raise InfusionError("Vitals can be charted only while the patient is at the clinic for this visit.")
    taken = taken_at or at
    if taken > at + timedelta(minutes=2):
        raise InfusionError("The time taken cannot be in the future.", "taken_at")
    values = {"systolic": systolic, "diastolic": diastolic, "heart_rate": heart_rate, "spo2": spo2,
              "respiratory_rate": respiratory_rate}
    if all(v is None for v in values.values()) and rass is None and temperature_c in (None, ""):
        raise InfusionError("Enter at least one value.")
    reading = _reading(values, repeat, symptoms, rass)
    temp = _temperature(temperature_c)
    ph = phase or phase_for(visit)
    if ph not in Phase.values:
        raise InfusionError(f"Unknown phase {ph!r}.", "phase")

    duplicate: VitalSign | None = VitalSign.objects.filter(
        visit=visit, source=source, entered_by=acting_user, device_id=device_id, phase=ph,
        taken_at__gte=taken - DUPLICATE_WINDOW, taken_at__lte=taken + DUPLICATE_WINDOW,
        temperature_c=temp, rass=rass, amends__isnull=True, **values,
    ).first()
    if duplicate is not None:
        return duplicate

    vital = VitalSign.objects.create(
        clinic=visit.clinic, visit=visit, taken_at=taken, phase=ph, temperature_c=temp, rass=rass,
        repeat=repeat, symptoms=symptoms, source=source, device_id=device_id, entered_by=acting_user,
        confirmed_by=acting_user if source == VitalSource.MANUAL else None,
        confirmed_at=at if source == VitalSource.MANUAL else None, created_at=at, **values,
    )
    findings = assess_vitals(reading, ph, visit.clinic.protocol())
    for f in findings:
        VitalAlert.objects.create(
            clinic=visit.clinic, visit=visit, vital_sign=vital, vital=f.vital, code=f.code, severity=f.severity,
            message=f.message, suggested_action=f.action, raised_at=at,
        )
    record_event(acting_user, "VITALS_RECORDED", patient=visit.patient, obj=vital, at=at,
                 details={"visit": visit.pk, "phase": ph, "source": source, "device": device_id,
                          "values": {k: v for k, v in values.items() if v is not None},
                          "alerts": [f.code for f in findings]})
    return vital


@transaction.atomic
def do_confirm_vitals(acting_user: User, vital: VitalSign, *, now: datetime | None = None) -> VitalSign:
    """A nurse confirms a monitor-fed reading as valid for the record. Writes: VitalSign confirmation, audit."""
    require_charting(acting_user, vital.visit)
    if vital.confirmed_at is not None:
        return vital  # already confirmed: a second click changes nothing
    at = now_or(now)
    VitalSign.objects.filter(pk=vital.pk, confirmed_at__isnull=True).update(confirmed_by=acting_user, confirmed_at=at)
    vital.refresh_from_db()
    record_event(acting_user, "VITALS_CONFIRMED", patient=vital.visit.patient, obj=vital, at=at)
    return vital


@transaction.atomic
def do_amend_vitals(acting_user: User, original: VitalSign, *, reason: str, now: datetime | None = None,
                    **values: Any) -> VitalSign:
    """Correct a reading: a new row that amends the original (kept, with who, when and why).

    The new values are assessed again; alerts on the original stay as they were.
    """
    require_charting(acting_user, original.visit)
    if not reason.strip():
        raise InfusionError("Say why the reading is being corrected.", "amend_reason")
    if VitalSign.objects.filter(amends=original).exists():
        raise InfusionError("This reading was already corrected; correct the newest version.")
    at = now_or(now)
    fields = {k: values.get(k, getattr(original, k)) for k in (*VITAL_FIELDS, "temperature_c", "rass")}
    reading = _reading(fields, original.repeat, original.symptoms, fields["rass"])
    temp = _temperature(fields.pop("temperature_c"))
    rass = fields.pop("rass")
    amended = VitalSign.objects.create(
        clinic=original.clinic, visit=original.visit, taken_at=original.taken_at, phase=original.phase,
        temperature_c=temp, rass=rass, repeat=original.repeat, symptoms=original.symptoms, source=original.source,
        device_id=original.device_id, entered_by=acting_user, confirmed_by=acting_user, confirmed_at=at,
        created_at=at, amends=original, amend_reason=reason.strip(), **fields,
    )
    for f in assess_vitals(reading, original.phase, original.visit.clinic.protocol()):
        VitalAlert.objects.create(
            clinic=original.clinic, visit=original.visit, vital_sign=amended, vital=f.vital, code=f.code,
            severity=f.severity, message=f.message, suggested_action=f.action, raised_at=at,
        )
    record_event(acting_user, "VITALS_AMENDED", patient=original.visit.patient, obj=amended, at=at,
                 details={"amends": original.pk, "reason": reason.strip()})
    return amended


@transaction.atomic
def do_acknowledge_alert(acting_user: User, alert: VitalAlert, *, action_taken: str,
                         now: datetime | None = None) -> VitalAlert:
    """A licensed user acknowledges an alert and says what they did. Writes: the acknowledgement, audit."""
    require_charting(acting_user, alert.visit)
    if not action_taken.strip():
        raise InfusionError("Say what was done (for example: paused the pump, notified the provider).",
                            "action_taken")
    at = now_or(now)
    # Conditional update: two nurses acknowledging at once → the first one counts.
    updated = VitalAlert.objects.filter(pk=alert.pk, status=AlertStatus.OPEN).update(
        status=AlertStatus.ACKNOWLEDGED, acknowledged_by=acting_user, acknowledged_at=at,
        action_taken=action_taken.strip())
    alert.refresh_from_db()
    if updated:
        record_event(acting_user, "ALERT_ACKNOWLEDGED", patient=alert.visit.patient, obj=alert, at=at,
                     details={"code": alert.code, "action_taken": alert.action_taken})
    return alert
