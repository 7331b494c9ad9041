"""Writes of the preparation stage. Every view, command and the demo call these.

Patient answers are append-only rows (a change adds a row; the newest counts). Each action
checks who may act, validates, writes, and records an audit event in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, has_perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.notifications.actions import cancel_messages
from ketaclinic.patients.models import Patient
from ketaclinic.preparation.models import (
    DayOfAttestation,
    HealthUpdate,
    Intention,
    MedicationInstructionRecord,
    PreparationPlan,
    PreparationTask,
    RideDetails,
    RideKind,
)
from ketaclinic.preparation.plans import PREFIX, ensure_preparation_for_visit
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.preparation import MEDICATION_INSTRUCTIONS, MedicationInstruction
from ketaclinic.schedule.models import ACTIVE_STATUSES, Visit


class PreparationError(ValueError):
    """Bad input; `field` names the form field (None: the whole form)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _is_patient(user: Any, visit: Visit) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and visit.patient.user_id == user.pk


def _require_patient_or_staff(user: Any, visit: Visit) -> None:
    if not _is_patient(user, visit):
        require_perm(user, visit.clinic, Perm.VIEW_PATIENTS)


def _require_open(visit: Visit) -> None:
    if visit.status not in ACTIVE_STATUSES:
        raise PreparationError(_("This visit has been cancelled, so there is nothing to prepare."))


def _locked_plan(visit: Visit, now: datetime) -> PreparationPlan:
    plan = ensure_preparation_for_visit(visit, now=now)
    return PreparationPlan.objects.select_for_update().get(pk=plan.pk)


# --- ride home -------------------------------------------------------------------------------


PHONE_RE = re.compile(r"^[0-9+()\-. ]{7,25}$")


@transaction.atomic
def do_record_ride(acting_user: User, visit: Visit, *, kind: str, escort_name: str = "", escort_phone: str = "",
                   relationship: str = "", car_service_name: str = "", confirm: bool = False,
                   now: datetime | None = None) -> RideDetails:
    """Record who takes the patient home, and (with `confirm`) confirm it for this visit.

    Who: the patient, or front desk / clinicians (e.g. on the phone). When the clinic requires
    an escort (protocol preparation.escort_required), an adult's name and phone are required
    even with a car service: a driver alone is not an escort (§5.2). A double submit of the
    same details adds no second row. Writes: RideDetails, PreparationPlan, AuditEvent;
    cancels a pending ride reminder once confirmed.
    """
    _require_patient_or_staff(acting_user, visit)
    _require_open(visit)
    now = now or timezone.now()
    escort_required = visit.clinic.protocol().preparation.escort_required
    values = {"kind": kind, "escort_name": escort_name.strip(), "escort_phone": escort_phone.strip(),
              "relationship": relationship.strip(), "car_service_name": car_service_name.strip()}
    if kind not in RideKind.values:
        raise PreparationError(_("Choose how you will get home."), "kind")
    if kind == RideKind.ADULT or escort_required:
        if not values["escort_name"]:
            raise PreparationError(_("Please give the name of the adult who will take you home."), "escort_name")
        if not PHONE_RE.match(values["escort_phone"]):
            raise PreparationError(_("Please give their phone number, for example 207-555-0142."), "escort_phone")
    elif values["escort_phone"] and not PHONE_RE.match(values["escort_phone"]):
        raise PreparationError(_("Please check the phone number, for example 207-555-0142."), "escort_phone")
    plan = _locked_plan(visit, now)
    current = RideDetails.objects.filter(plan=plan).order_by("-recorded_at", "-id").first()
    same = current is not None and all(getattr(current, k) == v for k, v in values.items())
    ride = current if same and current is not None else RideDetails.objects.create(
        plan=plan, recorded_at=now, recorded_by=acting_user, **values)
    if not same:
        record_event(acting_user, "RIDE_RECORDED", patient=visit.patient, obj=ride, at=now,
                     details={"kind": kind, "visit": visit.pk, "by_patient": _is_patient(acting_user, visit)})
        if plan.ride_confirmed_at is not None and not confirm:
            # New details need a new confirmation.
            plan.ride_confirmed_at = None
            plan.ride_confirmed_by = None
            plan.save(update_fields=["ride_confirmed_at", "ride_confirmed_by"])
    if confirm:
        _confirm(acting_user, plan, visit, now)
    return ride


def _confirm(acting_user: User, plan: PreparationPlan, visit: Visit, now: datetime) -> None:
    if plan.ride_confirmed_at is not None:
        return  # a double submit confirms once
    plan.ride_confirmed_at = now
    plan.ride_confirmed_by = acting_user
    plan.save(update_fields=["ride_confirmed_at", "ride_confirmed_by"])
    done = PreparationTask.objects.filter(plan=plan, done_at__isnull=True).update(
        done_at=now, done_by=acting_user, note="Ride confirmed.")
    record_event(acting_user, "RIDE_CONFIRMED", patient=visit.patient, obj=plan, at=now,
                 details={"visit": visit.pk, "tasks_closed": done, "by_patient": _is_patient(acting_user, visit)})


@transaction.atomic
def do_confirm_ride(acting_user: User, visit: Visit, *, now: datetime | None = None) -> PreparationPlan:
    """Confirm the ride already on file for this visit. Who: the patient or staff.

    Raises PreparationError when no ride is on file. Writes: PreparationPlan, AuditEvent."""
    _require_patient_or_staff(acting_user, visit)
    _require_open(visit)
    now = now or timezone.now()
    plan = _locked_plan(visit, now)
    if not RideDetails.objects.filter(plan=plan).exists():
        raise PreparationError(_("Please tell us who is taking you home first."))
    _confirm(acting_user, plan, visit, now)
    return plan


# --- health update ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HealthAnswers:
    new_illness: bool
    surgery: bool
    new_symptoms: bool
    new_medications: bool
    pregnant: str
    new_illness_details: str = ""
    surgery_details: str = ""
    new_symptoms_details: str = ""
    new_medications_details: str = ""
    bp_systolic: int | None = None
    bp_diastolic: int | None = None


def health_flags(answers: HealthAnswers, visit: Visit) -> list[str]:
    """Codes of answers a provider should look at before the infusion."""
    flags = [code for code in ("new_illness", "surgery", "new_symptoms", "new_medications")
             if getattr(answers, code)]
    if answers.pregnant in ("yes", "not_sure"):
        flags.append("pregnancy")
    if answers.bp_systolic is not None and answers.bp_diastolic is not None:
        bp = visit.clinic.protocol().blood_pressure
        if (answers.bp_systolic >= bp.bp_preinfusion_flag_systolic
                or answers.bp_diastolic >= bp.bp_preinfusion_flag_diastolic):
            flags.append("blood_pressure")
    return flags


def _medicine_names(details: str) -> list[str]:
    return [part.strip()[:200] for part in re.split(r"[,;\n]+", details) if part.strip()]


@transaction.atomic
def do_submit_health_update(acting_user: User, visit: Visit, answers: HealthAnswers, *,
                            now: datetime | None = None) -> HealthUpdate:
    """Record the pre-visit health update. Who: the patient, or staff for them.

    Answers that matter (new illness, surgery, symptoms, medicines, pregnancy, a high home
    blood pressure) re-run the screening rules with the changes
    (screening.actions.do_rerun_eligibility, which raises its own review flags) and flag the
    visit for provider review. A double submit of the same answers adds no second row.
    Writes: HealthUpdate, PreparationPlan, screening records, AuditEvent; cancels the pending
    health-update reminder.
    """
    from ketaclinic.screening.actions import do_rerun_eligibility

    _require_patient_or_staff(acting_user, visit)
    _require_open(visit)
    now = now or timezone.now()
    if (answers.bp_systolic is None) != (answers.bp_diastolic is None):
        raise PreparationError(_("Please give both blood pressure numbers, or neither."), "bp_systolic")
    for yes, details, field in ((answers.new_illness, answers.new_illness_details, "new_illness_details"),
                                (answers.surgery, answers.surgery_details, "surgery_details"),
                                (answers.new_symptoms, answers.new_symptoms_details, "new_symptoms_details"),
                                (answers.new_medications, answers.new_medications_details,
                                 "new_medications_details")):
        if yes and not details.strip():
            raise PreparationError(_("Please tell us a little more."), field)
    plan = _locked_plan(visit, now)
    flags = health_flags(answers, visit)
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in answers.__dict__.items()}
    previous = HealthUpdate.objects.filter(plan=plan).order_by("-submitted_at", "-id").first()
    if previous is not None and all(getattr(previous, k) == v for k, v in values.items()):
        return previous  # the same answers again (double submit)
    update = HealthUpdate.objects.create(plan=plan, flags=flags, submitted_at=now, submitted_by=acting_user,
                                         **values)
    record_event(acting_user, "HEALTH_UPDATE_SUBMITTED", patient=visit.patient, obj=update, at=now,
                 details={"visit": visit.pk, "flags": flags})
    cancel_messages(visit=visit, kind_prefix=f"{PREFIX}health_update", reason="health update received", now=now)
    if flags:
        changes: dict[str, Any] = {}
        if answers.new_medications:
            changes["medications"] = _medicine_names(answers.new_medications_details)
        if answers.bp_systolic is not None and answers.bp_diastolic is not None:
            changes["blood_pressure"] = {"systolic": answers.bp_systolic, "diastolic": answers.bp_diastolic}
        if answers.pregnant == "yes":
            changes["pregnancy"] = True
        notes = [f"{code}: {getattr(answers, code + '_details', '')}".strip() for code in flags
                 if code in ("new_illness", "surgery", "new_symptoms")]
        if notes:
            changes["note"] = "; ".join(notes)[:1000]
        do_rerun_eligibility(acting_user, visit.patient, reason="pre-visit health update", changes=changes,
                             visit=visit, now=now)
        plan.review_flagged_at = now
        plan.review_reasons = flags
        plan.save(update_fields=["review_flagged_at", "review_reasons"])
        record_event(acting_user, "VISIT_FLAGGED_FOR_REVIEW", patient=visit.patient, obj=plan, at=now,
                     details={"visit": visit.pk, "reasons": flags})
    return update


@transaction.atomic
def do_clear_review_flag(acting_user: User, visit: Visit, *, note: str, now: datetime | None = None) -> PreparationPlan:
    """A provider has looked at the health update and decides the visit may go ahead.

    Who: prescribers (provider, medical director). A note saying what was decided is required.
    Screening's own review flags are resolved separately in screening. Writes: PreparationPlan,
    AuditEvent."""
    require_perm(acting_user, visit.clinic, Perm.PRESCRIBE)
    if not note.strip():
        raise PreparationError("Write what you decided and why.", "note")
    now = now or timezone.now()
    plan = _locked_plan(visit, now)
    if not plan.is_flagged:
        raise PreparationError("This visit is not flagged for review.")
    plan.review_cleared_at = now
    plan.review_cleared_by = acting_user
    plan.review_note = note.strip()
    plan.save(update_fields=["review_cleared_at", "review_cleared_by", "review_note"])
    record_event(acting_user, "VISIT_REVIEW_CLEARED", patient=visit.patient, obj=plan, at=now,
                 details={"visit": visit.pk, "reasons": plan.review_reasons, "note": note.strip()})
    return plan


# --- day of the visit ------------------------------------------------------------------------


@transaction.atomic
def do_record_attestation(acting_user: User, visit: Visit, *, last_solid_food_at: datetime,
                          last_clear_liquids_at: datetime, no_alcohol_or_drugs: bool,
                          last_alcohol_at: datetime | None = None, medications_taken: str = "",
                          now: datetime | None = None) -> DayOfAttestation:
    """The patient's (or a nurse's, asking them) record of last food and drink on the day.

    Times must be aware and not in the future. Writes: DayOfAttestation, AuditEvent."""
    _require_patient_or_staff(acting_user, visit)
    _require_open(visit)
    now = now or timezone.now()
    for field, value in (("last_solid_food_at", last_solid_food_at), ("last_clear_liquids_at", last_clear_liquids_at),
                         ("last_alcohol_at", last_alcohol_at)):
        if value is None:
            continue
        if value.tzinfo is None:
            raise PreparationError(_("Please give a full date and time."), field)
        if value.astimezone(UTC) > now.astimezone(UTC):
            raise PreparationError(_("This time is in the future. Please check it."), field)
    plan = _locked_plan(visit, now)
    attestation = DayOfAttestation.objects.create(
        plan=plan, last_solid_food_at=last_solid_food_at, last_clear_liquids_at=last_clear_liquids_at,
        last_alcohol_at=last_alcohol_at, no_alcohol_or_drugs=no_alcohol_or_drugs,
        medications_taken=medications_taken.strip(), recorded_at=now, recorded_by=acting_user)
    record_event(acting_user, "DAY_OF_ATTESTED", patient=visit.patient, obj=attestation, at=now,
                 details={"visit": visit.pk, "no_alcohol_or_drugs": no_alcohol_or_drugs})
    return attestation


@transaction.atomic
def do_write_intention(acting_user: User, visit: Visit, *, text: str, shared: bool,
                       now: datetime | None = None) -> Intention:
    """The patient writes their intention for a visit. Only the patient; staff see it only when
    shared. Writes: Intention (a new row each time), AuditEvent (without the text)."""
    if not _is_patient(acting_user, visit):
        raise PermissionDenied("Only the patient writes their intentions.")
    if not text.strip():
        raise PreparationError(_("Write a few words, or leave the page."), "text")
    now = now or timezone.now()
    plan = _locked_plan(visit, now)
    current = Intention.objects.filter(plan=plan).order_by("-written_at", "-id").first()
    if current is not None and current.text == text.strip() and current.shared == shared:
        return current
    intention = Intention.objects.create(plan=plan, text=text.strip(), shared=shared, written_at=now)
    record_event(acting_user, "INTENTION_WRITTEN", patient=visit.patient, obj=intention, at=now,
                 details={"shared": shared})
    return intention


# --- medication instructions (prescribers) -----------------------------------------------------


@transaction.atomic
def do_add_medication_instruction(acting_user: User, patient: Patient, *, medication: str, instruction: str,
                                  agreed_by_name: str = "", reason: str = "",
                                  now: datetime | None = None) -> MedicationInstructionRecord:
    """Record a medication instruction agreed with the patient (e.g. hold the evening lorazepam
    before each visit). Who: prescribers. `agreed_by_name` defaults to the prescriber's name.
    Upcoming visits' plans pick it up; their pending reminders are recomputed by the sweep.
    Writes: MedicationInstructionRecord, AuditEvent."""
    require_perm(acting_user, patient.clinic, Perm.PRESCRIBE)
    now = now or timezone.now()
    agreed = (agreed_by_name or acting_user.full_name).strip()
    try:
        MedicationInstruction(medication.strip(), instruction, agreed)
    except InputError as exc:
        field = {"medication": "medication", "agreed_by": "agreed_by_name"}.get(exc.field, exc.field)
        raise PreparationError(f"This {exc.field.replace('_', ' ')} {exc.message}.", field) from None
    if instruction not in MEDICATION_INSTRUCTIONS:
        raise PreparationError("Choose an instruction.", "instruction")
    duplicate = MedicationInstructionRecord.objects.filter(
        patient=patient, medication__iexact=medication.strip(), instruction=instruction, ended_at__isnull=True).first()
    if duplicate is not None:
        return duplicate
    record = MedicationInstructionRecord.objects.create(
        clinic=patient.clinic, patient=patient, medication=medication.strip(), instruction=instruction,
        agreed_by_name=agreed, reason=reason.strip(), recorded_at=now, recorded_by=acting_user)
    record_event(acting_user, "MEDICATION_INSTRUCTION_ADDED", patient=patient, obj=record, at=now,
                 details={"medication": record.medication, "instruction": instruction, "agreed_by": agreed})
    _resync_upcoming(patient, now)
    return record


@transaction.atomic
def do_end_medication_instruction(acting_user: User, record: MedicationInstructionRecord, *, reason: str,
                                  now: datetime | None = None) -> MedicationInstructionRecord:
    """Stop an agreed instruction (kept on record with who, when and why). Who: prescribers."""
    require_perm(acting_user, record.clinic_id, Perm.PRESCRIBE)
    if not reason.strip():
        raise PreparationError("Say why this instruction ends.", "reason")
    now = now or timezone.now()
    if record.ended_at is not None:
        return record
    record.ended_at = now
    record.ended_by = acting_user
    record.end_reason = reason.strip()
    record.save(update_fields=["ended_at", "ended_by", "end_reason"])
    record_event(acting_user, "MEDICATION_INSTRUCTION_ENDED", patient=record.patient, obj=record, at=now,
                 details={"medication": record.medication, "reason": reason.strip()})
    _resync_upcoming(record.patient, now)
    return record


def _resync_upcoming(patient: Patient, now: datetime) -> None:
    """Medication reminders of upcoming visits: cancel the pending ones no longer in the plan,
    queue the new ones (the others are kept: their keys are unchanged)."""
    from ketaclinic.notifications.models import MessageStatus, OutboundMessage
    from ketaclinic.preparation.plans import _queue_timed_reminders, medication_key, timeline_for

    for plan in PreparationPlan.objects.filter(patient=patient, visit__starts_at__gt=now,
                                               visit__status__in=ACTIVE_STATUSES).select_related("visit__clinic",
                                                                                                 "visit__patient"):
        timeline = timeline_for(plan.visit, plan)
        wanted = {medication_key(plan.visit, step.subject or "", step.at) for step in timeline.steps_of("medication")}
        (OutboundMessage.objects.filter(visit=plan.visit, kind=f"{PREFIX}medication", status=MessageStatus.PENDING)
         .exclude(dedupe_key__in=wanted)
         .update(status=MessageStatus.CANCELLED, cancelled_at=now, cancel_reason="medication plan changed"))
        _queue_timed_reminders(plan.visit, timeline, now)


# --- front desk tasks ------------------------------------------------------------------------


@transaction.atomic
def do_close_task(acting_user: User, task: PreparationTask, *, note: str,
                  now: datetime | None = None) -> PreparationTask:
    """Close a front desk task with a note of what was done. Who: staff who may see patients."""
    if not has_perm(acting_user, task.plan.clinic_id, Perm.VIEW_PATIENTS):
        raise PermissionDenied
    if not note.strip():
        raise PreparationError("Write what you did (for example: called, ride confirmed).", "note")
    now = now or timezone.now()
    updated = PreparationTask.objects.filter(pk=task.pk, done_at__isnull=True).update(
        done_at=now, done_by=acting_user, note=note.strip())
    if updated:
        record_event(acting_user, "PREPARATION_TASK_CLOSED", patient=task.plan.patient, obj=task, at=now,
                     details={"kind": task.kind, "note": note.strip()})
    task.refresh_from_db()
    return task
