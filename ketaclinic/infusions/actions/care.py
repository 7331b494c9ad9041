"""Observations, adverse events, rescue medicines and the patient's "call nurse" button."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, has_perm
from ketaclinic.audit.log import record_event
from ketaclinic.infusions.actions.common import (
    ON_FLOOR,
    InfusionError,
    lock_visit,
    now_or,
    phase_for,
    require_charting,
)
from ketaclinic.infusions.models import (
    AdverseEvent,
    AdverseEventSeverity,
    CallRequest,
    Observation,
    ObservationKind,
    RescueMedication,
    VitalAlert,
)
from ketaclinic.protocol.scales import CADSS6_MAX
from ketaclinic.protocol.vitals import assess_rass
from ketaclinic.schedule.models import Visit, VisitStatus

VALUE_RANGES = {ObservationKind.CADSS6: (0, CADSS6_MAX), ObservationKind.RASS: (-5, 4), ObservationKind.NAUSEA: (0, 3)}
# The same entry by the same person within this window is a double submit, not a second event.
DOUBLE_SUBMIT = timedelta(seconds=60)
ROUTES = ("IV", "PO", "ODT", "IM", "SL", "IN", "inhaled")


def _in_visit(visit: Visit) -> None:
    if visit.status not in ON_FLOOR:
        raise InfusionError("This can be charted only while the patient is here for this visit.")


@transaction.atomic
def do_record_observation(acting_user: User, visit: Visit, kind: str, *, value: int | None = None, text: str = "",
                          observed_at: datetime | None = None, now: datetime | None = None) -> Observation:
    """Chart CADSS-6, RASS, nausea, an emergence reaction or a note. Who: licensed clinical staff.

    A RASS outside the protocol band also raises an alert (acknowledged like a vitals alert).
    """
    require_charting(acting_user, visit)
    at = now_or(now)
    lock_visit(visit)
    _in_visit(visit)
    if kind not in ObservationKind.values:
        raise InfusionError("Choose what you observed.", "kind")
    if kind in VALUE_RANGES:
        lo, hi = VALUE_RANGES[ObservationKind(kind)]
        if value is None or not lo <= value <= hi:
            raise InfusionError(f"Enter a whole number from {lo} to {hi}.", "value")
    elif not text.strip():
        raise InfusionError("Describe what you saw.", "text")
    same: Observation | None = Observation.objects.filter(
        visit=visit, kind=kind, value=value, text=text.strip(), entered_by=acting_user, amends__isnull=True,
        observed_at__gte=at - DOUBLE_SUBMIT).first()
    if same is not None:
        return same  # a double submit
    obs = Observation.objects.create(clinic=visit.clinic, visit=visit, kind=kind, value=value, text=text.strip(),
                                     observed_at=observed_at or at, entered_by=acting_user)
    if kind == ObservationKind.RASS and value is not None:
        finding = assess_rass(value, phase_for(visit), visit.clinic.protocol())
        if finding is not None:
            VitalAlert.objects.create(clinic=visit.clinic, visit=visit, vital=finding.vital, code=finding.code,
                                      severity=finding.severity, message=finding.message,
                                      suggested_action=finding.action, raised_at=at)
    record_event(acting_user, "OBSERVATION_RECORDED", patient=visit.patient, obj=obs, at=at,
                 details={"kind": kind, "value": value})
    return obs


@transaction.atomic
def do_amend_observation(acting_user: User, original: Observation, *, reason: str, value: int | None = None,
                         text: str | None = None, now: datetime | None = None) -> Observation:
    """Correct an observation; the original stays, linked, with who, when and why."""
    require_charting(acting_user, original.visit)
    if not reason.strip():
        raise InfusionError("Say why this is being corrected.", "amend_reason")
    if Observation.objects.filter(amends=original).exists():
        raise InfusionError("Already corrected; correct the newest version.")
    at = now_or(now)
    new = Observation.objects.create(
        clinic=original.clinic, visit=original.visit, kind=original.kind,
        value=original.value if value is None else value, text=original.text if text is None else text.strip(),
        observed_at=original.observed_at, entered_by=acting_user, amends=original, amend_reason=reason.strip())
    record_event(acting_user, "OBSERVATION_AMENDED", patient=original.visit.patient, obj=new, at=at,
                 details={"amends": original.pk, "reason": reason.strip()})
    return new


def _provider(visit: Visit, user: User | None, field: str) -> User | None:
    if user is None:
        return None
    if not has_perm(user, visit.clinic, Perm.PRESCRIBE):
        raise InfusionError("Choose a provider of this clinic.", field)
    return user


@transaction.atomic
def do_record_adverse_event(acting_user: User, visit: Visit, *, event_type: str, severity: str, action_taken: str,
                            outcome: str = "", provider_notified: User | None = None,
                            onset_at: datetime | None = None, now: datetime | None = None) -> AdverseEvent:
    """Chart an adverse event. Moderate or worse needs the provider who was told. Who: licensed staff.

    The provider is told in person or by phone at the bedside; the record keeps who and when.
    Writes: AdverseEvent, AuditEvent.
    """
    require_charting(acting_user, visit)
    at = now_or(now)
    lock_visit(visit)
    _in_visit(visit)
    if not event_type.strip():
        raise InfusionError("Name the event (for example: vomiting, emergence reaction).", "event_type")
    if severity not in AdverseEventSeverity.values:
        raise InfusionError("Choose how severe it is.", "severity")
    if not action_taken.strip():
        raise InfusionError("Say what was done.", "action_taken")
    provider = _provider(visit, provider_notified, "provider_notified")
    if severity != AdverseEventSeverity.MILD and provider is None:
        raise InfusionError("A moderate or worse event must be reported to a provider: choose who was told.",
                            "provider_notified")
    same: AdverseEvent | None = AdverseEvent.objects.filter(
        visit=visit, event_type=event_type.strip(), severity=severity, entered_by=acting_user, amends__isnull=True,
        created_at__gte=at - DOUBLE_SUBMIT).first()
    if same is not None:
        return same  # a double submit
    ae = AdverseEvent.objects.create(
        clinic=visit.clinic, visit=visit, event_type=event_type.strip(), severity=severity,
        onset_at=onset_at or at, action_taken=action_taken.strip(), outcome=outcome.strip(),
        provider_notified=provider, provider_notified_at=at if provider else None, entered_by=acting_user,
        created_at=at)
    record_event(acting_user, "ADVERSE_EVENT_RECORDED", patient=visit.patient, obj=ae, at=at,
                 details={"type": ae.event_type, "severity": severity,
                          "provider_notified": provider.email if provider else None})
    if provider is not None and provider.pk != acting_user.pk:
        _email_provider_after_commit(provider.email, visit, severity, at)
    return ae


def _email_provider_after_commit(address: str, visit: Visit, severity: str, at: datetime) -> None:
    """A written copy of the bedside report for the provider who was told.

    No name or clinical detail in the email (it leaves the system): the chair, the time and a
    link to the chart, where the provider signs in to read the record.
    """
    chair = visit.chair.name if visit.chair else "the floor"
    when = timezone.localtime(at, visit.clinic.zone).strftime("%H:%M")
    link = f"{settings.SITE_URL}{reverse('infusions:visit', args=[visit.pk])}"
    body = (f"A {severity} adverse event was charted at {when} for the patient in {chair} "
            f"at {visit.clinic.name}, and you were named as the provider told.\n\n"
            f"Open the visit record (sign-in required): {link}\n")

    def send() -> None:
        send_mail(f"Adverse event charted ({severity}) — {visit.clinic.name}", body, None, [address])

    transaction.on_commit(send, robust=True)


@transaction.atomic
def do_amend_adverse_event(acting_user: User, original: AdverseEvent, *, reason: str, outcome: str | None = None,
                           severity: str | None = None, action_taken: str | None = None,
                           now: datetime | None = None) -> AdverseEvent:
    """Update an adverse event (typically its outcome later on): a new row amends the original, which stays."""
    require_charting(acting_user, original.visit)
    if not reason.strip():
        raise InfusionError("Say why the event is being updated.", "amend_reason")
    if severity is not None and severity not in AdverseEventSeverity.values:
        raise InfusionError("Choose how severe it is.", "severity")
    if AdverseEvent.objects.filter(amends=original).exists():
        raise InfusionError("Already updated; update the newest version.")
    at = now_or(now)
    new = AdverseEvent.objects.create(
        clinic=original.clinic, visit=original.visit, event_type=original.event_type,
        severity=severity or original.severity, onset_at=original.onset_at,
        action_taken=(action_taken or original.action_taken).strip(),
        outcome=(original.outcome if outcome is None else outcome).strip(),
        provider_notified=original.provider_notified, provider_notified_at=original.provider_notified_at,
        entered_by=acting_user, created_at=at, amends=original, amend_reason=reason.strip())
    record_event(acting_user, "ADVERSE_EVENT_AMENDED", patient=original.visit.patient, obj=new, at=at,
                 details={"amends": original.pk, "reason": reason.strip(), "outcome": new.outcome})
    return new


def _dose(value: object) -> Decimal:
    try:
        dose = Decimal(str(value))
    except InvalidOperation:
        raise InfusionError("Enter the dose as a number.", "dose") from None
    if not Decimal(0) < dose < Decimal(1000):
        raise InfusionError("Enter a dose above 0.", "dose")
    return dose


@transaction.atomic
def do_give_rescue_medication(acting_user: User, visit: Visit, *, drug: str, dose: object, unit: str, route: str,
                              ordered_by: User, adverse_event: AdverseEvent | None = None,
                              given_at: datetime | None = None, now: datetime | None = None) -> RescueMedication:
    """Chart a rescue medicine given on a provider's order. Who gives: licensed staff; who orders: a provider."""
    require_charting(acting_user, visit)
    at = now_or(now)
    lock_visit(visit)
    _in_visit(visit)
    if not drug.strip():
        raise InfusionError("Name the medicine.", "drug")
    amount = _dose(dose)
    if route not in ROUTES:
        raise InfusionError("Choose the route.", "route")
    if _provider(visit, ordered_by, "ordered_by") is None:
        raise InfusionError("Choose the provider who ordered it.", "ordered_by")
    if adverse_event is not None and adverse_event.visit_id != visit.pk:
        raise InfusionError("That event belongs to another visit.", "adverse_event")
    same = RescueMedication.objects.filter(visit=visit, drug=drug.strip(), dose=amount, route=route,
                                           given_by=acting_user, created_at__gte=at - DOUBLE_SUBMIT).first()
    if same is not None:
        return same  # a double submit
    med = RescueMedication.objects.create(
        clinic=visit.clinic, visit=visit, adverse_event=adverse_event, drug=drug.strip(), dose=amount,
        unit=unit.strip() or "mg", route=route, given_at=given_at or at, ordered_by=ordered_by,
        given_by=acting_user, created_at=at)
    record_event(acting_user, "RESCUE_MEDICATION_GIVEN", patient=visit.patient, obj=med, at=at,
                 details={"drug": med.drug, "dose": str(amount), "unit": med.unit, "route": route,
                          "ordered_by": ordered_by.email})
    return med


# Calls older than this are closed when the patient presses again (a stuck request never hides a new one).
CALL_STALE_AFTER = timedelta(hours=6)


@transaction.atomic
def do_request_nurse(acting_user: User, visit: Visit, *, now: datetime | None = None) -> CallRequest:
    """The patient in the chair presses "call nurse". Who: that patient only, while the visit is in progress.

    A second press while a call is open returns the open call.
    """
    patient = visit.patient
    if patient.user_id is None or patient.user_id != acting_user.pk:
        raise PermissionDenied("Only the patient can call from their own visit.")
    at = now_or(now)
    lock_visit(visit)
    if visit.status not in (VisitStatus.IN_CHAIR, VisitStatus.INFUSING, VisitStatus.RECOVERING):
        raise InfusionError("You can call the nurse from here while you are in the chair.")
    open_call = CallRequest.objects.filter(visit=visit, answered_at__isnull=True).first()
    if open_call is not None:
        return open_call
    try:
        with transaction.atomic():
            call = CallRequest.objects.create(clinic=visit.clinic, visit=visit, requested_at=at)
    except IntegrityError:  # another tap got there first
        return CallRequest.objects.get(visit=visit, answered_at__isnull=True)
    record_event(acting_user, "NURSE_CALLED", patient=patient, obj=call, at=at, details={"visit": visit.pk})
    return call


@transaction.atomic
def do_answer_call(acting_user: User, call: CallRequest, *, now: datetime | None = None) -> CallRequest:
    """A nurse answers a call (clears it from the board)."""
    require_charting(acting_user, call.visit)
    at = now_or(now)
    if CallRequest.objects.filter(pk=call.pk, answered_at__isnull=True).update(answered_by=acting_user,
                                                                                answered_at=at):
        record_event(acting_user, "NURSE_CALL_ANSWERED", patient=call.visit.patient, obj=call, at=at)
    call.refresh_from_db()
    return call


def can_chart(user: User, visit: Visit) -> bool:
    try:
        require_charting(user, visit)
    except PermissionDenied:
        return False
    return True
