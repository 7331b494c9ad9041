"""Writes for outcomes: questionnaires (with the same-day safety pathway), amendments, safety
follow-up, journal, sleep diary, custom questions and the provider's course review.

Every action checks who may call it, validates, writes, audits in the same transaction and
queues anything that leaves the database with `transaction.on_commit`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, has_perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.courses.actions import do_create_course
from ketaclinic.courses.models import CourseKind, CourseStatus, TreatmentCourse
from ketaclinic.outcomes.models import (
    CourseReview,
    CustomQuestion,
    CustomQuestionKind,
    JournalEntry,
    JournalTag,
    QuestionnaireAmendment,
    QuestionnaireResponse,
    ReviewDecision,
    SafetyOutcome,
    SafetyTask,
    SafetyTrigger,
    SleepDiaryEntry,
    Source,
)
from ketaclinic.outcomes.review import summarise_course
from ketaclinic.patients.models import Patient
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.instruments import INSTRUMENTS
from ketaclinic.protocol.response import taper_plan
from ketaclinic.protocol.scoring import FLAG_SUICIDAL_IDEATION, score_instrument
from ketaclinic.protocol.sleep import compute_sleep_diary
from ketaclinic.schedule.models import Visit

FLAG_RISK_ANSWER = "risk_answer"
SAFETY_FLAGS = frozenset({FLAG_SUICIDAL_IDEATION, FLAG_RISK_ANSWER})


class OutcomeError(ValueError):
    """Bad input to an outcomes action; `field` names the form field when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _utc(now: datetime | None) -> datetime:
    """`now` in UTC: the audit hash covers `at` as text, and the database returns UTC."""
    return (now or timezone.now()).astimezone(UTC)


def _is_own_patient(user: User, patient: Patient) -> bool:
    return patient.user_id is not None and patient.user_id == user.pk


def _require_patient_or_clinician(user: User, patient: Patient) -> bool:
    """True when the patient acts for themselves; staff need `chart`. Else PermissionDenied."""
    if _is_own_patient(user, patient):
        return True
    require_perm(user, patient.clinic, Perm.CHART)
    return False


def _end_of_clinic_day(clinic: Clinic, moment: datetime) -> datetime:
    day = moment.astimezone(clinic.zone).date()
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=clinic.zone)


def _current_course(patient: Patient, moment: datetime) -> TreatmentCourse | None:
    day = moment.astimezone(patient.clinic.zone).date()
    return (TreatmentCourse.objects.filter(patient=patient, earliest_on__lte=day + timedelta(days=7))
            .exclude(status=CourseStatus.CANCELLED).order_by("-earliest_on", "-id").first())


def _score(patient: Patient, instrument: str, answers: list[int | None],
           custom_question: CustomQuestion | None) -> dict[str, Any]:
    """Score through protocol.scoring (or the custom question's rule); OutcomeError on bad answers."""
    if instrument == "custom":
        if custom_question is None or custom_question.clinic_id != patient.clinic_id:
            raise OutcomeError("Choose one of the clinic's questions.", "instrument")
        if len(answers) != 1 or answers[0] is None:
            raise OutcomeError(_("Please answer the question."), "q1")
        value = answers[0]
        if value not in [v for v, _label in custom_question.options]:
            raise OutcomeError(_("Choose one of the answers shown."), "q1")
        flags = [FLAG_RISK_ANSWER] if value in (custom_question.risk_values or []) else []
        total = value if custom_question.kind == CustomQuestionKind.SCALE else None
        return {"total": total, "severity": "", "severity_label": "", "flags": flags}
    if instrument not in INSTRUMENTS:
        raise OutcomeError("Unknown questionnaire.", "instrument")
    previous = (QuestionnaireResponse.objects.filter(patient=patient, instrument=instrument, total__isnull=False)
                .order_by("-answered_at").values_list("total", flat=True).first())
    try:
        result = score_instrument(instrument, answers, patient.clinic.protocol(), previous_total=previous)
    except InputError as exc:
        index = int(exc.field[8:-1]) + 1 if exc.field.startswith("answers[") else None
        raise OutcomeError(f"Question {index}: {exc.message}" if index else str(exc),
                           f"q{index}" if index else None) from exc
    return {"total": result.total, "severity": result.severity or "", "severity_label": result.severity_label or "",
            "flags": list(result.flags)}


@transaction.atomic
def do_submit_questionnaire(acting_user: User, patient: Patient, instrument: str, answers: list[int | None], *,
                            submission_key: str, source: str = Source.PORTAL, visit: Visit | None = None,
                            custom_question: CustomQuestion | None = None, supplementary: str = "",
                            answered_at: datetime | None = None, now: datetime | None = None
                            ) -> QuestionnaireResponse:
    """Score and store one questionnaire; raise a same-day SafetyTask on a risk answer.

    Who: the patient (portal) or a clinician with `chart` entering on their behalf (source
    staff/paper/phone). A second submit with the same `submission_key` returns the first row.
    Writes: QuestionnaireResponse, SafetyTask (PHQ-9 item 9 ≥ the configured score, or a
    configured risk answer to a custom question), AuditEvents. Raises OutcomeError.
    """
    own = _require_patient_or_clinician(acting_user, patient)
    now = _utc(now)
    if not submission_key:
        raise OutcomeError(_("The form expired; please open it again."))
    existing = QuestionnaireResponse.objects.filter(patient=patient, submission_key=submission_key).first()
    if existing is not None:
        return existing  # double submit: the first one stands
    if own and source != Source.PORTAL:
        raise OutcomeError("A patient's own answers come from the portal.")
    if not own and source == Source.PORTAL:
        source = Source.STAFF
    answered_at = answered_at or now
    if answered_at > now + timedelta(minutes=5):
        raise OutcomeError("The time answered cannot be in the future.", "answered_at")
    if visit is not None and visit.patient_id != patient.pk:
        raise OutcomeError("That visit belongs to another patient.", "visit")
    scored = _score(patient, instrument, answers, custom_question)
    course = visit.course if visit is not None else _current_course(patient, answered_at)
    response = QuestionnaireResponse.objects.create(
        clinic=patient.clinic, patient=patient, instrument=instrument, custom_question=custom_question,
        answers=answers, original_answers=answers, total=scored["total"], original_total=scored["total"],
        severity=scored["severity"], severity_label=scored["severity_label"], flags=scored["flags"],
        supplementary=supplementary[:40], answered_at=answered_at, entered_by=acting_user, source=source,
        visit=visit, course=course, protocol_version=patient.clinic.current_protocol_version(),
        submission_key=submission_key, created_at=now,
    )
    record_event(acting_user, "QUESTIONNAIRE_SUBMITTED", patient=patient, obj=response, at=now,
                 details={"instrument": instrument, "total": scored["total"], "flags": scored["flags"],
                          "source": source})
    if SAFETY_FLAGS & set(scored["flags"]):
        _raise_safety_task(acting_user, response, now)
    return response


def _raise_safety_task(acting_user: User, response: QuestionnaireResponse, now: datetime) -> SafetyTask:
    """Create the same-day clinician follow-up for a risk answer (joins the caller's transaction)."""
    if response.instrument == "phq9":
        trigger = SafetyTrigger.ITEM9
        detail = f"PHQ-9 item 9 answered {response.answers[8]} (of 3); total {response.total}."
    else:
        trigger = SafetyTrigger.CUSTOM_RISK
        question = response.custom_question.text if response.custom_question else response.instrument
        detail = f"Risk answer to: {question}"[:300]
    task = SafetyTask.objects.create(
        clinic=response.clinic, patient=response.patient, response=response, trigger=trigger, detail=detail,
        due_at=_end_of_clinic_day(response.clinic, now), created_at=now,
    )
    record_event(acting_user, "SAFETY_TASK_RAISED", patient=response.patient, obj=task, at=now,
                 details={"trigger": trigger, "response": response.pk})
    return task


@transaction.atomic
def do_amend_questionnaire(acting_user: User, response: QuestionnaireResponse, answers: list[int | None], *,
                           reason: str, now: datetime | None = None) -> QuestionnaireAmendment:
    """Correct a questionnaire's answers; the original and every change are kept.

    Who: clinicians with `chart`. Re-scores; a new risk answer raises a safety task if the
    response has none yet. Writes: QuestionnaireAmendment, QuestionnaireResponse current
    values, AuditEvent. Raises OutcomeError.
    """
    require_perm(acting_user, response.clinic, Perm.CHART)
    now = _utc(now)
    reason = reason.strip()
    if not reason:
        raise OutcomeError("Say why the answers are being corrected.", "reason")
    locked = QuestionnaireResponse.objects.select_for_update().get(pk=response.pk)
    if list(answers) == list(locked.answers):
        raise OutcomeError("The answers are unchanged.")
    scored = _score(locked.patient, locked.instrument, answers, locked.custom_question)
    amendment = QuestionnaireAmendment.objects.create(
        response=locked, answers_before=locked.answers, answers_after=answers, total_before=locked.total,
        total_after=scored["total"], reason=reason, amended_by=acting_user, amended_at=now,
    )
    locked.answers, locked.total, locked.flags = answers, scored["total"], scored["flags"]
    locked.severity, locked.severity_label = scored["severity"], scored["severity_label"]
    locked.save(update_fields=["answers", "total", "flags", "severity", "severity_label"])
    record_event(acting_user, "QUESTIONNAIRE_AMENDED", patient=locked.patient, obj=locked, at=now,
                 details={"before": amendment.answers_before, "after": answers, "reason": reason})
    if SAFETY_FLAGS & set(scored["flags"]) and not SafetyTask.objects.filter(response=locked).exists():
        _raise_safety_task(acting_user, locked, now)
    return amendment


@transaction.atomic
def do_close_safety_task(acting_user: User, task: SafetyTask, *, contacted_by_name: str, contacted_at: datetime,
                         action_taken: str, outcome: str, now: datetime | None = None) -> SafetyTask:
    """Close a safety task with its documented follow-up (who, when, what was done, outcome).

    Who: clinicians with `chart` (nurse, provider, medical director). Every field is required;
    the follow-up time must lie between the task being raised and now. A task already closed
    raises OutcomeError. Writes: SafetyTask, AuditEvent.
    """
    require_perm(acting_user, task.clinic, Perm.CHART)
    now = _utc(now)
    locked = SafetyTask.objects.select_for_update().get(pk=task.pk)
    if locked.closed_at is not None:
        raise OutcomeError("This task was already closed.")
    errors = [("contacted_by_name", "Say who did the follow-up.", contacted_by_name.strip()),
              ("action_taken", "Describe what was done.", action_taken.strip())]
    for field, message, value in errors:
        if not value:
            raise OutcomeError(message, field)
    if outcome not in SafetyOutcome.values:
        raise OutcomeError("Choose the outcome.", "outcome")
    if contacted_at > now + timedelta(minutes=5):
        raise OutcomeError("The follow-up time cannot be in the future.", "contacted_at")
    if contacted_at < locked.created_at - timedelta(minutes=5):
        raise OutcomeError("The follow-up time is before the task was raised.", "contacted_at")
    locked.contacted_by_name = contacted_by_name.strip()[:200]
    locked.contacted_at = contacted_at
    locked.action_taken = action_taken.strip()
    locked.outcome = outcome
    locked.closed_at = now
    locked.closed_by = acting_user
    locked.save()
    record_event(acting_user, "SAFETY_TASK_CLOSED", patient=locked.patient, obj=locked, at=now,
                 details={"outcome": outcome, "contacted_by": locked.contacted_by_name,
                          "contacted_at": contacted_at.isoformat(), "action_taken": locked.action_taken})
    return locked


@transaction.atomic
def do_create_custom_question(acting_user: User, clinic: Clinic, *, text: str, kind: str,
                              risk_values: list[int], now: datetime | None = None) -> CustomQuestion:
    """Add a clinic-defined question. Who: medical director (`edit_protocol`). Writes: CustomQuestion, AuditEvent."""
    require_perm(acting_user, clinic, Perm.EDIT_PROTOCOL)
    text = text.strip()
    if not text:
        raise OutcomeError("Write the question.", "text")
    if kind not in CustomQuestionKind.values:
        raise OutcomeError("Choose the kind of answer.", "kind")
    allowed = {0, 1} if kind == CustomQuestionKind.YES_NO else set(range(11))
    if not set(risk_values) <= allowed:
        raise OutcomeError("Risk answers must be among the possible answers.", "risk_values")
    question = CustomQuestion.objects.create(clinic=clinic, text=text[:300], kind=kind, risk_values=sorted(risk_values),
                                             created_at=_utc(now), created_by=acting_user)
    record_event(acting_user, "CUSTOM_QUESTION_CREATED", clinic=clinic, obj=question,
                 details={"text": question.text, "kind": kind, "risk_values": question.risk_values})
    return question


@transaction.atomic
def do_retire_custom_question(acting_user: User, question: CustomQuestion) -> CustomQuestion:
    """Stop asking a custom question (answers already given stay). Who: medical director."""
    require_perm(acting_user, question.clinic, Perm.EDIT_PROTOCOL)
    question.active = False
    question.save(update_fields=["active"])
    record_event(acting_user, "CUSTOM_QUESTION_RETIRED", clinic=question.clinic, obj=question)
    return question


@transaction.atomic
def do_add_journal_entry(acting_user: User, patient: Patient, *, text: str, mood: int | None, tags: list[str],
                         visit: Visit | None = None, shared: bool = False, submission_key: str,
                         now: datetime | None = None) -> JournalEntry:
    """Write a journal entry. Who: the patient only. Private unless `shared`.

    A double submit (same `submission_key`) returns the first entry. Writes: JournalEntry,
    AuditEvent (without the text). Raises OutcomeError.
    """
    if not _is_own_patient(acting_user, patient):
        raise OutcomeError("Only the patient writes in their journal.")
    now = _utc(now)
    existing = JournalEntry.objects.filter(patient=patient, submission_key=submission_key).first()
    if existing is not None:
        return existing
    text = text.strip()
    if not text:
        raise OutcomeError(_("Write a few words first."), "text")
    if mood is not None and not 0 <= mood <= 10:
        raise OutcomeError(_("Mood is a number from 0 to 10."), "mood")
    if not set(tags) <= set(JournalTag.values):
        raise OutcomeError("Unknown tag.", "tags")
    if visit is not None and visit.patient_id != patient.pk:
        raise OutcomeError(_("That visit is not yours."), "visit")
    entry = JournalEntry.objects.create(clinic=patient.clinic, patient=patient, text=text, mood=mood, tags=tags,
                                        visit=visit, shared=shared, shared_at=now if shared else None,
                                        submission_key=submission_key, written_at=now)
    record_event(acting_user, "JOURNAL_ENTRY_WRITTEN", patient=patient, obj=entry, at=now,
                 details={"shared": shared, "mood": mood, "tags": tags})
    return entry


@transaction.atomic
def do_set_journal_sharing(acting_user: User, entry: JournalEntry, shared: bool, *,
                           now: datetime | None = None) -> JournalEntry:
    """Share one entry with the care team, or stop sharing it. Who: the patient only."""
    if not _is_own_patient(acting_user, entry.patient):
        raise OutcomeError("Only the patient decides who reads their journal.")
    now = _utc(now)
    entry.shared = shared
    entry.shared_at = now if shared else None
    entry.save(update_fields=["shared", "shared_at"])
    record_event(acting_user, "JOURNAL_ENTRY_SHARED" if shared else "JOURNAL_ENTRY_UNSHARED",
                 patient=entry.patient, obj=entry, at=now)
    return entry


@transaction.atomic
def do_add_sleep_diary_entry(acting_user: User, patient: Patient, *, night_of: date, in_bed: datetime,
                             tried_to_sleep: datetime, sleep_onset_minutes: int, awakenings: int,
                             wake_after_sleep_onset_minutes: int, final_wake: datetime, out_of_bed: datetime,
                             quality: int, now: datetime | None = None) -> SleepDiaryEntry:
    """Record one night of the sleep diary with TIB/TST/SE from protocol.sleep.

    Who: the patient, or a clinician with `chart`. One entry per night: a second one raises
    OutcomeError (so a double submit never makes two). Writes: SleepDiaryEntry, AuditEvent.
    """
    _require_patient_or_clinician(acting_user, patient)
    now = _utc(now)
    if night_of > now.astimezone(patient.clinic.zone).date():
        raise OutcomeError(_("That night has not happened yet."), "night_of")
    if SleepDiaryEntry.objects.filter(patient=patient, night_of=night_of).exists():
        raise OutcomeError(_("You already filled in the diary for that night."), "night_of")
    try:
        result = compute_sleep_diary(
            in_bed=in_bed, tried_to_sleep=tried_to_sleep, sleep_onset_minutes=sleep_onset_minutes,
            wake_after_sleep_onset_minutes=wake_after_sleep_onset_minutes, final_wake=final_wake,
            out_of_bed=out_of_bed, awakenings=awakenings, quality=quality, protocol=patient.clinic.protocol())
    except InputError as exc:
        raise OutcomeError(f"{exc.field.replace('_', ' ')} {exc.message}", exc.field) from exc
    entry = SleepDiaryEntry.objects.create(
        clinic=patient.clinic, patient=patient, night_of=night_of, in_bed=in_bed, tried_to_sleep=tried_to_sleep,
        sleep_onset_minutes=sleep_onset_minutes, awakenings=awakenings,
        wake_after_sleep_onset_minutes=wake_after_sleep_onset_minutes, final_wake=final_wake, out_of_bed=out_of_bed,
        quality=quality, time_in_bed_minutes=result.time_in_bed_minutes,
        total_sleep_minutes=result.total_sleep_minutes,
        sleep_efficiency_percent=Decimal(str(result.sleep_efficiency_percent)), entered_by=acting_user,
        created_at=now)
    record_event(acting_user, "SLEEP_DIARY_RECORDED", patient=patient, obj=entry, at=now,
                 details={"night_of": night_of.isoformat(), "efficiency": result.sleep_efficiency_percent})
    return entry


@transaction.atomic
def do_record_course_review(acting_user: User, course: TreatmentCourse, *, decision: str, reason: str,
                            submission_key: str, maintenance_start_on: date | None = None,
                            now: datetime | None = None) -> CourseReview:
    """Record the provider's decision after induction, with the rule suggestion it was made against.

    Who: prescribers (`prescribe`). Decision "maintenance" creates the maintenance course through
    `courses.actions.do_create_course` (kind maintenance, first booster from `maintenance_start_on`)
    for the front desk to book. A double submit returns the first review. Writes: CourseReview,
    TreatmentCourse (maintenance), AuditEvent. Raises OutcomeError.
    """
    require_perm(acting_user, course.clinic, Perm.PRESCRIBE)
    now = _utc(now)
    existing = CourseReview.objects.filter(course=course, submission_key=submission_key).first()
    if existing is not None:
        return existing
    if decision not in ReviewDecision.values:
        raise OutcomeError("Choose a decision.", "decision")
    reason = reason.strip()
    if not reason:
        raise OutcomeError("Record the reason for the decision.", "reason")
    if course.kind != CourseKind.INDUCTION:
        raise OutcomeError("Course review is for induction courses.")
    protocol = course.clinic.protocol()
    summary = summarise_course(course, protocol)
    maintenance = None
    if decision == ReviewDecision.MAINTENANCE:
        if maintenance_start_on is None:
            raise OutcomeError("Choose the date of the first booster.", "maintenance_start_on")
        if maintenance_start_on < now.astimezone(course.clinic.zone).date():
            raise OutcomeError("The first booster cannot be in the past.", "maintenance_start_on")
        plan = ""
        if summary.last_induction_on is not None:
            plan = "Taper plan: " + ", ".join(d.isoformat() for d in taper_plan(summary.last_induction_on, protocol))
        maintenance = do_create_course(acting_user, course.patient, indication_code=course.indication_code,
                                       kind=CourseKind.MAINTENANCE, earliest_on=maintenance_start_on,
                                       latest_start_on=maintenance_start_on + timedelta(days=7),
                                       notes=f"From course review. {plan}".strip(), now=now)
    resp = summary.response
    review = CourseReview.objects.create(
        clinic=course.clinic, patient=course.patient, course=course, instrument=summary.instrument,
        baseline=summary.baseline.total if summary.baseline else None, latest=resp.latest if resp else None,
        change_percent=resp.change_percent if resp else None, category=resp.category if resp else "",
        suggestion_kind=summary.suggestion.kind if summary.suggestion else "",
        suggestion_text=" ".join(summary.suggestion.reasons) if summary.suggestion else "",
        decision=decision, reason=reason, maintenance_course=maintenance,
        protocol_version=course.clinic.current_protocol_version(), decided_by=acting_user, decided_at=now,
        submission_key=submission_key)
    record_event(acting_user, "COURSE_REVIEWED", patient=course.patient, obj=review, at=now,
                 details={"course": course.pk, "decision": decision, "category": review.category,
                          "suggestion": review.suggestion_kind, "reason": reason,
                          "maintenance_course": maintenance.pk if maintenance else None})
    return review


def can_enter_for_patients(user: User, clinic: Clinic) -> bool:
    return has_perm(user, clinic, Perm.CHART)
