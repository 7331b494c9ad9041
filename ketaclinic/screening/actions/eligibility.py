"""Running the eligibility rules, health updates, and review flags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.patients.models import Patient, Stage
from ketaclinic.protocol.eligibility import Finding
from ketaclinic.schedule.models import Visit, VisitStatus
from ketaclinic.screening.actions.common import ScreeningError, mark_intake_started, require_history_writer
from ketaclinic.screening.models import (
    BLOCKING_SEVERITIES,
    BaselineVitals,
    CaseStatus,
    EligibilityAssessment,
    IntakeEntry,
    Medication,
    ReviewFlag,
    ScreeningCase,
)
from ketaclinic.screening.rules import run_rules, status_of, validate_changes

# Visits that have not happened yet and would carry an infusion.
UPCOMING_STATUSES = (VisitStatus.BOOKED, VisitStatus.CONFIRMED, VisitStatus.ARRIVED, VisitStatus.IN_CHAIR)


def store_assessment(acting_user: Any, patient: Patient, *, reason: str, now: datetime) -> EligibilityAssessment:
    """Run the rules on the stored records and store the result as the next numbered assessment.

    Call inside an action's transaction (the patient row should be locked by the caller).
    """
    clinic = patient.clinic
    inputs, result, findings, error = run_rules(patient, clinic.protocol(), now)
    last = EligibilityAssessment.objects.filter(patient=patient).aggregate(v=Max("version"))["v"] or 0
    assessment = EligibilityAssessment.objects.create(
        clinic=clinic, patient=patient, version=last + 1, status=status_of(findings),
        treatment_resistant=result.treatment_resistant if result else None, inputs=inputs,
        findings=[f.to_dict() for f in findings],
        interactions=result.interactions.to_dict() if result else {"interactions": [], "unrecognised": []},
        error=error[:300], reason=reason[:200], protocol_version=clinic.current_protocol_version(), run_at=now,
        run_by=acting_user if isinstance(acting_user, User) else None,
    )
    record_event(acting_user, "ELIGIBILITY_ASSESSED", patient=patient, obj=assessment, at=now,
                 details={"version": assessment.version, "status": assessment.status, "reason": reason,
                          "codes": sorted({f.code for f in findings})})
    return assessment


def is_after_approval(patient: Patient) -> bool:
    """Approved at screening, or already in treatment (a patient whose screening predates this system)."""
    if patient.stage in (Stage.APPROVED, Stage.INDUCTION, Stage.MAINTENANCE):
        return True
    case = ScreeningCase.objects.filter(patient=patient).order_by("-created_at", "-id").first()
    return case is not None and case.status == CaseStatus.APPROVED


def raise_review_flags(acting_user: Any, patient: Patient, assessment: EligibilityAssessment,
                       previous: EligibilityAssessment | None, now: datetime, visit: Visit | None) -> list[ReviewFlag]:
    """After approval: one flag per new blocking finding on each upcoming visit (or on the patient if none)."""
    if previous is None or not is_after_approval(patient):
        return []  # the first run is the baseline: nothing to call "new"
    before = previous.blocking_codes()
    new = [f for f in assessment.findings if f["severity"] in BLOCKING_SEVERITIES and f["code"] not in before]
    return flag_findings(acting_user, patient, new, now, visit=visit, assessment=assessment)


def flag_findings(acting_user: Any, patient: Patient, findings: list[dict[str, str]], now: datetime, *,
                  visit: Visit | None = None, assessment: EligibilityAssessment | None = None) -> list[ReviewFlag]:
    """A ReviewFlag per finding on each upcoming visit (and `visit`), or on the patient when none is booked.

    A finding already waiting on the same visit is not raised twice. Writes ReviewFlag, AuditEvent.
    """
    if not findings:
        return []
    visits = list(Visit.objects.filter(patient=patient, starts_at__gte=now, status__in=UPCOMING_STATUSES))
    if visit is not None and visit.pk not in {v.pk for v in visits}:
        visits.append(visit)
    targets: list[Visit | None] = list(visits) or [None]
    open_keys = set(ReviewFlag.objects.filter(patient=patient, resolved_at__isnull=True)
                    .values_list("finding_code", "visit_id"))
    flags = []
    for finding in findings:
        for target in targets:
            if (finding["code"], target.pk if target else None) in open_keys:
                continue  # already waiting for a provider
            flags.append(ReviewFlag.objects.create(
                clinic=patient.clinic, patient=patient, visit=target, assessment=assessment,
                finding_code=finding["code"], severity=finding["severity"], message=finding["message"],
                source=finding["source"], created_at=now))
    for flag in flags:
        record_event(acting_user, "REVIEW_FLAG_RAISED", patient=patient, obj=flag, at=now,
                     details={"code": flag.finding_code, "severity": flag.severity, "visit": flag.visit_id})
    return flags


def _apply_changes(acting_user: Any, patient: Patient, changes: dict[str, Any], on_behalf: bool, now: datetime) -> None:
    """Record a health update's changes as part of the history, so later runs see them too."""
    saver = acting_user if isinstance(acting_user, User) else None
    if changes.get("conditions"):
        history = IntakeEntry.objects.filter(patient=patient, section="history").order_by("-saved_at", "-id").first()
        data = dict(history.data) if history else {}
        data["conditions"] = list(dict.fromkeys([*data.get("conditions", []), *changes["conditions"]]))
        IntakeEntry.objects.create(patient=patient, section="history", data=data, saved_at=now, saved_by=saver,
                                   on_behalf=on_behalf)
    if "pregnancy" in changes or "breastfeeding" in changes:
        current = IntakeEntry.objects.filter(patient=patient, section="pregnancy").order_by("-saved_at", "-id").first()
        data = dict(current.data) if current else {}
        if "pregnancy" in changes:
            data["pregnant"] = "yes" if changes["pregnancy"] else "no"
        if "breastfeeding" in changes:
            data["breastfeeding"] = "yes" if changes["breastfeeding"] else "no"
        IntakeEntry.objects.create(patient=patient, section="pregnancy", data=data, saved_at=now, saved_by=saver,
                                   on_behalf=on_behalf)
    for name in changes.get("medications", []):
        Medication.objects.create(patient=patient, name=name.strip()[:200], added_at=now, added_by=saver,
                                  on_behalf=on_behalf)
    bp = changes.get("blood_pressure")
    if bp:
        BaselineVitals.objects.create(
            patient=patient, systolic=bp["systolic"], diastolic=bp["diastolic"],
            heart_rate=changes.get("heart_rate"), spo2=changes.get("spo2"),
            source=BaselineVitals.Source.CLINIC if on_behalf else BaselineVitals.Source.HOME,
            taken_at=now, entered_by=saver)


@transaction.atomic
def do_rerun_eligibility(acting_user: Any, patient: Patient, *, reason: str, changes: dict[str, Any] | None = None,
                         visit: Visit | None = None, now: datetime | None = None) -> EligibilityAssessment:
    """Re-run the eligibility rules on the patient's history plus `changes`, and store the assessment.

    Who: the patient themselves, or front desk / nurse / provider of the patient's clinic.
    `changes` (all optional): conditions (codes from protocol.eligibility.CONDITIONS), medications
    (names, with dose if known), blood_pressure {systolic, diastolic}, heart_rate, spo2,
    pregnancy / breastfeeding (bool), note. They are recorded in the history first, so later
    runs see them. After approval (or for a patient already in treatment), a hold/contraindicated
    finding that the previous run did not have creates a ReviewFlag on each upcoming visit (and on
    `visit`), or on the patient when none is booked. The first run of a patient is the baseline.
    Writes: IntakeEntry / Medication / BaselineVitals (changes), EligibilityAssessment, ReviewFlag,
    AuditEvent. Raises InputError (protocol.errors) naming a bad change, PermissionDenied.
    """
    now = now or timezone.now()
    on_behalf = require_history_writer(acting_user, patient)
    if not reason.strip():
        raise ScreeningError("Say why the rules are run again (e.g. pre-visit health update).")
    checked = validate_changes(changes)
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    previous = EligibilityAssessment.objects.filter(patient=patient).order_by("-version").first()
    if checked:
        _apply_changes(acting_user, patient, checked, on_behalf, now)
        record_event(acting_user, "HEALTH_UPDATE_RECORDED", patient=patient, obj=patient, at=now,
                     details={"changes": checked, "on_behalf": on_behalf, "reason": reason})
    assessment = store_assessment(acting_user, patient, reason=reason, now=now)
    raise_review_flags(acting_user, patient, assessment, previous, now, visit)
    return assessment


@transaction.atomic
def do_resolve_review_flag(acting_user: User, flag: ReviewFlag, *, note: str,
                           now: datetime | None = None) -> ReviewFlag:
    """A provider or medical director clears a review flag, saying why (e.g. "BP rechecked 132/84, proceed").

    Writes: ReviewFlag.resolved_*, AuditEvent. Raises PermissionDenied, ScreeningError
    (no note, or already resolved: a double submit changes nothing).
    """
    require_perm(acting_user, flag.clinic, Perm.PRESCRIBE)
    if not note.strip():
        raise ScreeningError("Write what you decided and why.")
    flag = ReviewFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.resolved_at is not None:
        raise ScreeningError("This flag was already resolved.")
    flag.resolved_at = now or timezone.now()
    flag.resolved_by = acting_user
    flag.resolution_note = note.strip()
    flag.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
    record_event(acting_user, "REVIEW_FLAG_RESOLVED", patient=flag.patient, obj=flag, at=flag.resolved_at,
                 details={"code": flag.finding_code, "note": flag.resolution_note})
    return flag


@transaction.atomic
def do_run_eligibility(acting_user: Any, patient: Patient, *, reason: str = "run by staff",
                       now: datetime | None = None) -> EligibilityAssessment:
    """Run the rules on the stored history (no changes). Who: patient or staff who may update it."""
    return do_rerun_eligibility(acting_user, patient, reason=reason, now=now)


def finding_objects(assessment: EligibilityAssessment) -> list[Finding]:
    return [Finding(f["code"], f["severity"], f["message"], f["source"]) for f in assessment.findings]


__all__ = ["do_rerun_eligibility", "do_resolve_review_flag", "do_run_eligibility", "flag_findings",
           "is_after_approval", "mark_intake_started", "raise_review_flags", "store_assessment"]
