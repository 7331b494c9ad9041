"""Vitals: recording (staff or bedside monitor), alerts, acknowledgement, confirmation, amendment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction

from ketaclinic.accounts.models import User
from ketaclinic.audit.log import append_events, event_row, record_event
from ketaclinic.bulk import any_of, insert_values
from ketaclinic.clinics.models import ProtocolVersion
from ketaclinic.infusions.actions.common import (
    ON_FLOOR,
    InfusionError,
    lock_visit,
    now_or,
    phase_for_status,
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


def _checked(status: str, values: dict[str, int | None], *, taken: datetime, at: datetime,
             temperature_c: Any, rass: int | None, repeat: bool, symptoms: bool,
             phase: str | None) -> tuple[VitalsReading, Decimal | None, str]:
    """The checks every reading passes (staff or monitor, one or a batch), given the visit's
    status. Raises InfusionError."""
    if status not in ON_FLOOR:
        raise InfusionError("Vitals can be charted only while the patient is at the clinic for this visit.")
    if taken > at + timedelta(minutes=2):
        raise InfusionError("The time taken cannot be in the future.", "taken_at")
    if all(v is None for v in values.values()) and rass is None and temperature_c in (None, ""):
        raise InfusionError("Enter at least one value.")
    reading = _reading(values, repeat, symptoms, rass)
    temp = _temperature(temperature_c)
    ph = phase or phase_for_status(status)
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
    reading, temp, ph = _checked(visit.status, values, taken=taken, at=at, temperature_c=temperature_c, rass=rass,
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


@dataclass(frozen=True)
class VisitRef:
    """What filing a monitor reading needs of its visit: ids, and the patient's name for the audit
    row (the monitor feed finds these with one query per batch; no model instances)."""

    id: int
    clinic_id: int
    patient_id: int
    patient_label: str

    @classmethod
    def of(cls, visit: Visit) -> VisitRef:
        return cls(visit.pk, visit.clinic_id, visit.patient_id, visit.patient.display_name)


@dataclass
class MonitorReading:
    """One monitor message's readings for `do_record_monitor_vitals`."""

    visit: VisitRef
    device_id: str
    values: dict[str, int]
    taken_at: datetime | None = None


@dataclass
class _Earlier:
    """A stored (or just filed) monitor reading, as the double-submit rule compares it."""

    pk: int
    visit_id: int
    device_id: str
    phase: str
    taken_at: datetime
    values: tuple[int | None, ...]


_EARLIER_SQL = ("SELECT id, visit_id, device_id, phase, taken_at, systolic, diastolic, heart_rate, spo2, "
                "respiratory_rate FROM infusions_vitalsign WHERE {in_visits} AND taken_at >= %s "
                "AND taken_at <= %s AND source = 'monitor' AND entered_by_id IS NULL AND amends_id IS NULL "
                "AND temperature_c IS NULL AND rass IS NULL ORDER BY taken_at, id")


@transaction.atomic(savepoint=False)  # the caller's batch transaction; an error undoes the whole batch
def do_record_monitor_vitals(readings: Sequence[MonitorReading], *,
                             now: datetime | None = None) -> list[int | InfusionError]:
    """Record many bedside-monitor readings at once: the monitor feed's batch path.

    Each reading gets exactly what do_record_vitals(None, visit, source="monitor", ...) would
    give it — the same checks, the same 90-second duplicate rule (also between readings of the
    same batch), the same alert rules, one audit event each — but the visits are locked, the
    duplicates looked up and the rows inserted with one query each for the whole batch, and no
    model instance is made per reading (this runs for every batch of the feed).
    Returns, in order, the id of the stored (or earlier identical) VitalSign, or the
    InfusionError that refused the reading; a refused reading stores nothing and does not hold
    back the others.
    """
    at = now_or(now)
    if not readings:
        return []
    visit_ids = sorted({r.visit.id for r in readings})
    # One lock statement, in id order, so two batches never wait on each other in a circle.
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    in_ids, id_params = any_of("v.id", visit_ids)
    with connection.cursor() as cursor:
        # ... with the id of the visit's clinic's current protocol version (no query of its own)
        cursor.execute("SELECT v.id, v.status, (SELECT pv.id FROM clinics_protocolversion pv "  # noqa: S608
                       "WHERE pv.clinic_id = v.clinic_id ORDER BY pv.number DESC LIMIT 1) "
                       f"FROM schedule_visit v WHERE {in_ids} ORDER BY v.id{lock}", id_params)
        status_of: dict[int, str] = {}
        version_of: dict[int, int | None] = {}
        for visit_id, status, version_id in cursor.fetchall():
            status_of[visit_id], version_of[visit_id] = status, version_id
    checked: list[tuple[MonitorReading, VitalsReading, str, datetime, dict[str, int | None]] | InfusionError] = []
    for item in readings:
        try:
            if not item.device_id:
                raise InfusionError("Only a bedside monitor (with its device id) may record without a user.")
            status = status_of.get(item.visit.id)
            if status is None:
                raise InfusionError("Vitals can be charted only while the patient is at the clinic for this visit.")
            if not set(item.values) <= _VITAL_NAMES:
                raise InfusionError(f"Unknown vital {sorted(set(item.values) - _VITAL_NAMES)[0]!r}.")
            values: dict[str, int | None] = {k: item.values.get(k) for k in VITAL_FIELDS}
            taken = item.taken_at or at
            reading, _, ph = _checked(status, values, taken=taken, at=at, temperature_c=None, rass=None,
                                      repeat=False, symptoms=False, phase=None)
            checked.append((item, reading, ph, taken, values))
        except InfusionError as exc:
            checked.append(exc)

    ok = [c for c in checked if not isinstance(c, InfusionError)]
    earlier: list[_Earlier] = []
    if ok:
        # Every monitor reading of these visits within 90 s of the batch's time span, through the
        # (visit, taken_at) index; the rest of the double-submit match is checked here. A visit
        # has at most a few hundred readings, so even a batch spanning hours stays small.
        first = min(taken for *_, taken, _ in ok) - DUPLICATE_WINDOW
        last = max(taken for *_, taken, _ in ok) + DUPLICATE_WINDOW
        in_visits, visit_params = any_of("visit_id", visit_ids)
        with connection.cursor() as cursor:
            cursor.execute(_EARLIER_SQL.format(in_visits=in_visits), [*visit_params, first, last])
            # (SQLite hands raw queries naive UTC times)
            earlier = [_Earlier(pk, visit_id, device, phase, taken.replace(tzinfo=taken.tzinfo or UTC), tuple(rest))
                       for pk, visit_id, device, phase, taken, *rest in cursor.fetchall()]
    results: list[_Earlier | InfusionError] = []
    fresh: list[tuple[MonitorReading, str, datetime, dict[str, int | None], Any, _Earlier]] = []
    for entry in checked:
        if isinstance(entry, InfusionError):
            results.append(entry)
            continue
        item, reading, ph, taken, values = entry
        key = tuple(values.values())
        same = next((e for e in earlier if e.visit_id == item.visit.id and e.device_id == item.device_id
                     and e.phase == ph and e.values == key and abs(e.taken_at - taken) <= DUPLICATE_WINDOW), None)
        if same is not None:
            results.append(same)
            continue
        findings = assess_vitals(reading, ph, _protocol(version_of[item.visit.id]))
        mine = _Earlier(0, item.visit.id, item.device_id, ph, taken, key)
        earlier.append(mine)  # a later identical reading in this batch is a re-send of this one
        fresh.append((item, ph, taken, values, findings, mine))
        results.append(mine)
    if fresh:
        ids = insert_values(VitalSign, [
            {"clinic_id": item.visit.clinic_id, "visit_id": item.visit.id, "taken_at": taken, "phase": ph,
             "source": VitalSource.MONITOR, "device_id": item.device_id, "created_at": at, **values}
            for item, ph, taken, values, _, _ in fresh])
        for (*_, mine), pk in zip(fresh, ids, strict=True):
            mine.pk = pk
        insert_values(VitalAlert, [
            {"clinic_id": item.visit.clinic_id, "visit_id": item.visit.id, "vital_sign_id": mine.pk,
             "vital": f.vital, "code": f.code, "severity": f.severity, "message": f.message,
             "suggested_action": f.action, "raised_at": at}
            for item, _, _, _, findings, mine in fresh for f in findings])
        append_events([
            event_row("VITALS_RECORDED", at=at, clinic_id=item.visit.clinic_id, patient_id=item.visit.patient_id,
                      patient_label=item.visit.patient_label, object_type="VitalSign", object_id=str(mine.pk),
                      details={"visit": item.visit.id, "phase": ph, "source": str(VitalSource.MONITOR),
                               "device": item.device_id,
                               "values": {k: v for k, v in values.items() if v is not None},
                               "alerts": [f.code for f in findings]})
            for item, ph, _, values, findings, mine in fresh])
    return [r if isinstance(r, InfusionError) else r.pk for r in results]


_VITAL_NAMES = frozenset(VITAL_FIELDS)
# Protocol versions are never edited (each change adds one), so a version's protocol can be kept.
_PROTOCOL_BY_VERSION: dict[int, Protocol] = {}


def _protocol(version_id: int | None) -> Protocol:
    """The protocol of this version (a clinic without versions follows the default): what
    Clinic.protocol() gives, for the monitor feed's batches, which read the current version's id
    along with the visit locks."""
    if version_id is None:
        return default_protocol()
    protocol = _PROTOCOL_BY_VERSION.get(version_id)
    if protocol is None:
        if len(_PROTOCOL_BY_VERSION) > 256:
            _PROTOCOL_BY_VERSION.clear()
        protocol = _PROTOCOL_BY_VERSION[version_id] = ProtocolVersion.objects.get(pk=version_id).protocol()
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
