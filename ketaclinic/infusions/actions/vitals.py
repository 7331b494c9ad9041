"""Vitals: recording (staff or bedside monitor), alerts, acknowledgement, confirmation, amendment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction

from ketaclinic.accounts.models import User
from ketaclinic.audit.log import EventSpec, insert_rows, record_event, record_events
from ketaclinic.clinics.models import Clinic, ProtocolVersion
from ketaclinic.infusions.actions.common import (
    ON_FLOOR,
    InfusionError,
    lock_visit,
    now_or,
    phase_for,
    require_charting,
)
from ketaclinic.infusions.models import AlertStatus, Phase, VitalAlert, VitalSign, VitalSource
from ketaclinic.protocol.config import Protocol, default_protocol
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


def _checked(visit: Visit, values: dict[str, int | None], *, taken: datetime, at: datetime,
             temperature_c: Any, rass: int | None, repeat: bool, symptoms: bool,
             phase: str | None) -> tuple[VitalsReading, Decimal | None, str]:
    """The checks every reading passes (staff or monitor, one or a batch). Raises InfusionError."""
    if visit.status not in ON_FLOOR:
        raise InfusionError("Vitals can be charted only while the patient is at the clinic for this visit.")
    if taken > at + timedelta(minutes=2):
        raise InfusionError("The time taken cannot be in the future.", "taken_at")
    if all(v is None for v in values.values()) and rass is None and temperature_c in (None, ""):
        raise InfusionError("Enter at least one value.")
    reading = _reading(values, repeat, symptoms, rass)
    temp = _temperature(temperature_c)
    ph = phase or phase_for(visit)
    if ph not in Phase.values:
        raise InfusionError(f"Unknown phase {ph!r}.", "phase")
    return reading, temp, ph


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
    taken = taken_at or at
    values = {"systolic": systolic, "diastolic": diastolic, "heart_rate": heart_rate, "spo2": spo2,
              "respiratory_rate": respiratory_rate}
    reading, temp, ph = _checked(visit, values, taken=taken, at=at, temperature_c=temperature_c, rass=rass,
                                 repeat=repeat, symptoms=symptoms, phase=phase)

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


@dataclass
class MonitorReading:
    """One monitor message's readings for `do_record_monitor_vitals`."""

    visit: Visit
    device_id: str
    values: dict[str, int]
    taken_at: datetime | None = None


def _same_reading(row: VitalSign, visit_id: int, device_id: str, phase: str, taken: datetime,
                  values: dict[str, int | None]) -> bool:
    """What the duplicate query of do_record_vitals matches, for a monitor reading (no temperature or RASS)."""
    return (row.visit_id == visit_id and row.device_id == device_id and row.phase == phase
            and abs(row.taken_at - taken) <= DUPLICATE_WINDOW and row.temperature_c is None and row.rass is None
            and all(getattr(row, k) == v for k, v in values.items()))


@transaction.atomic(savepoint=False)  # the caller's batch transaction; an error undoes the whole batch
def do_record_monitor_vitals(readings: Sequence[MonitorReading], *,
                             now: datetime | None = None) -> list[VitalSign | InfusionError]:
    """Record many bedside-monitor readings at once: the monitor feed's batch path.

    Each reading gets exactly what do_record_vitals(None, visit, source="monitor", ...) would
    give it — the same checks, the same 90-second duplicate rule (also between readings of the
    same batch), the same alert rules, one audit event each — but the visits are locked, the
    duplicates looked up and the rows inserted with one query each for the whole batch.
    Returns, in order, the stored (or earlier identical) VitalSign, or the InfusionError that
    refused the reading; a refused reading stores nothing and does not hold back the others.
    """
    at = now_or(now)
    if not readings:
        return []
    visit_ids = sorted({r.visit.pk for r in readings})
    # One lock statement, in id order, so two batches never wait on each other in a circle.
    # Written out (raw), like the look-ups below: this runs for every batch of the monitor feed,
    # and compiling the ORM queries cost more than running them.
    marks = ", ".join(["%s"] * len(visit_ids))
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    fresh = {v.pk: v for v in Visit.objects.raw(
        f"SELECT id, status, status_changed_at, chair_id FROM schedule_visit WHERE id IN ({marks}) "  # noqa: S608
        f"ORDER BY id{lock}", visit_ids)}
    protocols: dict[int, Any] = {}
    checked: list[tuple[MonitorReading, VitalsReading, str, datetime, dict[str, int | None]] | InfusionError] = []
    for item in readings:
        visit = item.visit
        row = fresh.get(visit.pk)
        try:
            if not item.device_id:
                raise InfusionError("Only a bedside monitor (with its device id) may record without a user.")
            if row is None:
                raise InfusionError("Vitals can be charted only while the patient is at the clinic for this visit.")
            visit.status, visit.status_changed_at, visit.chair_id = row.status, row.status_changed_at, row.chair_id
            unknown = set(item.values) - set(VITAL_FIELDS)
            if unknown:
                raise InfusionError(f"Unknown vital {sorted(unknown)[0]!r}.")
            values: dict[str, int | None] = {k: item.values.get(k) for k in VITAL_FIELDS}
            taken = item.taken_at or at
            reading, _, ph = _checked(visit, values, taken=taken, at=at, temperature_c=None, rass=None,
                                      repeat=False, symptoms=False, phase=None)
            checked.append((item, reading, ph, taken, values))
        except InfusionError as exc:
            checked.append(exc)

    ok = [c for c in checked if not isinstance(c, InfusionError)]
    earlier: list[VitalSign] = []
    if ok:
        # Every reading of these visits within 90 s of the batch's time span, through the
        # (visit, taken_at) index; the rest of the double-submit match is checked here. A visit
        # has at most a few hundred readings, so even a batch spanning hours stays small.
        first = min(taken for *_, taken, _ in ok) - DUPLICATE_WINDOW
        last = max(taken for *_, taken, _ in ok) + DUPLICATE_WINDOW
        earlier = [v for v in VitalSign.objects.raw(
                       f"SELECT * FROM infusions_vitalsign WHERE visit_id IN ({marks}) "  # noqa: S608
                       "AND taken_at >= %s AND taken_at <= %s ORDER BY taken_at, id", [*visit_ids, first, last])
                   if v.source == VitalSource.MONITOR and v.entered_by_id is None and v.amends_id is None]
    results: list[VitalSign | InfusionError] = []
    new_rows: list[tuple[VitalSign, MonitorReading, str, dict[str, int | None], Any]] = []
    for entry in checked:
        if isinstance(entry, InfusionError):
            results.append(entry)
            continue
        item, reading, ph, taken, values = entry
        visit = item.visit
        same = next((v for v in earlier if _same_reading(v, visit.pk, item.device_id, ph, taken, values)), None)
        if same is not None:
            results.append(same)
            continue
        vital = VitalSign(
            clinic=visit.clinic, visit=visit, taken_at=taken, phase=ph, source=VitalSource.MONITOR,
            device_id=item.device_id, created_at=at, **values,
        )
        if visit.clinic_id not in protocols:
            protocols[visit.clinic_id] = _current_protocol(visit.clinic)
        findings = assess_vitals(reading, ph, protocols[visit.clinic_id])
        earlier.append(vital)  # a later identical reading in this batch is a re-send of this one
        new_rows.append((vital, item, ph, values, findings))
        results.append(vital)
    if not new_rows:
        return results
    # One multi-row INSERT each (insert_rows: bulk_create's per-field preparation costs more
    # than the rest of the batch's Python work on this path).
    insert_rows([v for v, *_ in new_rows])
    insert_rows([
        VitalAlert(clinic=vital.clinic, visit=item.visit, vital_sign=vital, vital=f.vital, code=f.code,
                   severity=f.severity, message=f.message, suggested_action=f.action, raised_at=at)
        for vital, item, _, _, findings in new_rows for f in findings
    ])
    record_events([
        EventSpec(None, "VITALS_RECORDED", clinic=item.visit.clinic, patient=item.visit.patient, obj=vital, at=at,
                  details={"visit": item.visit.pk, "phase": ph, "source": VitalSource.MONITOR,
                           "device": item.device_id, "values": {k: v for k, v in values.items() if v is not None},
                           "alerts": [f.code for f in findings]})
        for vital, item, ph, values, findings in new_rows
    ])
    return results


# Protocol versions are never edited (each change adds one), so a version's protocol can be kept.
_PROTOCOL_BY_VERSION: dict[int, Protocol] = {}


def _current_protocol(clinic: Clinic) -> Protocol:
    """clinic.protocol() for the monitor feed's batches: the newest version's id is read with one
    small query (the ORM query and the version's JSON cost more than the rest of a reading)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM clinics_protocolversion WHERE clinic_id = %s ORDER BY number DESC LIMIT 1",
                       [clinic.pk])
        row = cursor.fetchone()
    if row is None:
        return default_protocol()
    protocol = _PROTOCOL_BY_VERSION.get(row[0])
    if protocol is None:
        if len(_PROTOCOL_BY_VERSION) > 256:
            _PROTOCOL_BY_VERSION.clear()
        protocol = _PROTOCOL_BY_VERSION[row[0]] = ProtocolVersion.objects.get(pk=row[0]).protocol()
    return protocol


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
