"""Recovery scores, discharge to the escort, the after-care message and the next-day check-in."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop, pgettext_lazy

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, has_perm
from ketaclinic.audit.log import record_event
from ketaclinic.infusions.actions.common import InfusionError, lock_visit, now_or, require_charting, set_status
from ketaclinic.infusions.messages import queue_discharge_messages
from ketaclinic.infusions.models import (
    AlertStatus,
    Discharge,
    DischargeScore,
    FollowUp,
    PumpEvent,
    PumpEventKind,
    VitalAlert,
)
from ketaclinic.infusions.readiness import latest_checkin
from ketaclinic.protocol.discharge import SCORE_LABELS, assess_discharge, required_scores
from ketaclinic.protocol.errors import InputError
from ketaclinic.schedule.models import Visit, VisitStatus

FOLLOW_UP_HOUR = time(10, 0)  # local time, the morning after the visit


def infusion_ended_at(visit: Visit) -> datetime | None:
    stop = PumpEvent.objects.filter(visit=visit, kind=PumpEventKind.STOP).order_by("-at").first()
    return stop.at if stop else None


@transaction.atomic
def do_score_discharge(acting_user: User, visit: Visit, score: str, components: dict[str, int], *,
                       now: datetime | None = None) -> DischargeScore:
    """Record a modified Aldrete or PADSS score entered by the nurse. Who: licensed staff; visit recovering."""
    require_charting(acting_user, visit)
    at = now_or(now)
    lock_visit(visit)
    if visit.status != VisitStatus.RECOVERING:
        raise InfusionError("Discharge scores are entered during recovery, after the pump stops.")
    ended = infusion_ended_at(visit)
    minutes = max(0.0, (at - ended).total_seconds() / 60) if ended else 0.0
    try:
        result = assess_discharge(score, components, minutes, visit.clinic.protocol())
    except InputError as exc:
        raise InfusionError(f"{exc.message[:1].upper()}{exc.message[1:]}.", exc.field) from exc
    same = DischargeScore.objects.filter(visit=visit, score=result.score, components=dict(result.components),
                                         scored_by=acting_user, scored_at__gte=at - timedelta(seconds=60)).first()
    if same is not None:
        return same  # a double submit
    row = DischargeScore.objects.create(
        clinic=visit.clinic, visit=visit, score=result.score, components=dict(result.components), total=result.total,
        minutes_since_end=round(minutes, 1), ready=result.ready, reasons=list(result.reasons), scored_by=acting_user,
        scored_at=at)
    record_event(acting_user, "DISCHARGE_SCORED", patient=visit.patient, obj=row, at=at,
                 details={"score": result.score, "total": result.total, "components": dict(result.components)})
    return row


def discharge_blockers(visit: Visit, *, now: datetime | None = None) -> list[str]:
    """What still stops discharge now, in plain words: the clinic's score(s), observation time, open alerts."""
    at = now or timezone.now()
    if visit.status != VisitStatus.RECOVERING:
        return ["The patient is not in recovery (the pump has not been stopped)."]
    protocol = visit.clinic.protocol()
    ended = infusion_ended_at(visit)
    minutes = max(0.0, (at - ended).total_seconds() / 60) if ended else 0.0
    reasons: list[str] = []
    latest = {s.score: s for s in DischargeScore.objects.filter(visit=visit).order_by("scored_at", "id")}
    for name in required_scores(protocol):
        row = latest.get(name)
        if row is None:
            reasons.append(f"Enter the {SCORE_LABELS[name]}.")
            continue
        reasons.extend(assess_discharge(name, row.components, minutes, protocol).reasons)
    if not required_scores(protocol):
        reasons.append("No discharge score is configured.")  # pragma: no cover — config forbids it
    reasons = list(dict.fromkeys(reasons))  # the observation-time reason appears once
    if VitalAlert.objects.filter(visit=visit, status=AlertStatus.OPEN).exists():
        reasons.append("Acknowledge the open alerts.")
    return reasons


def _same_person(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


@transaction.atomic
def do_discharge_patient(acting_user: User, visit: Visit, *, escort_name: str, escort_relationship: str,
                         escort_phone: str = "", aftercare_given: bool, override_reason: str = "",
                         now: datetime | None = None) -> Discharge:
    """Release the patient to their named escort. Who: licensed staff.

    Blocked until the clinic's discharge score(s) and the minimum observation time are met and no
    alert is open, unless a provider (the acting user) overrides with a reason. The escort's name
    and relationship are recorded and compared with the planned ride. Writes: Discharge, FollowUp,
    visit status, AuditEvent, and queues the after-care sheet and the next-day check-in message.
    """
    require_charting(acting_user, visit)
    at = now_or(now)
    lock_visit(visit)
    if visit.status == VisitStatus.DISCHARGED and hasattr(visit, "discharge"):
        return visit.discharge  # double submit
    if visit.status != VisitStatus.RECOVERING:
        raise InfusionError("Only a patient in recovery can be discharged.")
    if not escort_name.strip():
        raise InfusionError("Write the escort's name: the patient may only leave with a responsible adult.",
                            "escort_name")
    if not escort_relationship.strip():
        raise InfusionError("Write how the escort is related to the patient.", "escort_relationship")
    if not aftercare_given:
        raise InfusionError("Give the after-care sheet and go through it with the patient and escort.",
                            "aftercare_given")
    blockers = discharge_blockers(visit, now=at)
    override_by = None
    if blockers:
        if not override_reason.strip():
            raise InfusionError("Not ready for discharge: " + " ".join(blockers), "override_reason")
        if not has_perm(acting_user, visit.clinic, Perm.PRESCRIBE):
            raise PermissionDenied("Only a provider can discharge before the criteria are met.")
        override_by = acting_user
    checkin = latest_checkin(visit)
    planned = checkin.ride_name if checkin else ""
    matches = bool(planned) and _same_person(planned, escort_name)
    discharge = Discharge.objects.create(
        clinic=visit.clinic, visit=visit, escort_name=escort_name.strip(),
        escort_relationship=escort_relationship.strip(), escort_phone=escort_phone.strip(),
        escort_matches_ride=matches, override_reason=override_reason.strip() if override_by else "",
        override_by=override_by, aftercare_given=True, discharged_by=acting_user, discharged_at=at)
    set_status(visit, VisitStatus.DISCHARGED, at)
    local_day = timezone.localtime(at, visit.clinic.zone).date() + timedelta(days=1)
    follow_up = FollowUp.objects.create(
        clinic=visit.clinic, visit=visit, due_at=datetime.combine(local_day, FOLLOW_UP_HOUR, tzinfo=visit.clinic.zone))
    record_event(acting_user, "PATIENT_DISCHARGED", patient=visit.patient, obj=discharge, at=at,
                 details={"escort": discharge.escort_name, "relationship": discharge.escort_relationship,
                          "planned_ride": planned, "escort_matches_ride": matches,
                          "override_reason": discharge.override_reason, "blockers": blockers if override_by else []})
    if override_by is not None:
        record_event(acting_user, "DISCHARGE_OVERRIDDEN", patient=visit.patient, obj=discharge, at=at,
                     details={"reason": discharge.override_reason, "blockers": blockers})
    # Both messages are rows in the notifications queue, written in this transaction and sent by the worker.
    queue_discharge_messages(visit, follow_up_due_at=follow_up.due_at, now=at)
    return discharge


# ---- Next-day check-in ----------------------------------------------------------------------

# The patient's questions, marked for translation; the check-in page shows them in the patient's language.
FOLLOW_UP_QUESTIONS: list[tuple[str, str]] = [
    ("feeling", gettext_noop("Overall, how do you feel today?")),
    ("vomiting", gettext_noop("Have you kept throwing up since the infusion?")),
    ("strange_feelings", gettext_noop("Do you still feel unreal, or see or hear things others do not?")),
    ("urine_pain", gettext_noop("Does it hurt to pass urine, or is there blood in your urine?")),
    ("headache", gettext_noop("Do you have a headache now?")),
    ("mood_worse", gettext_noop("Is your mood worse than before the infusion?")),
    ("self_harm", gettext_noop("Have you had thoughts of hurting yourself or ending your life?")),
]
# With a context: catalogs share one namespace, and "Good" elsewhere is "Buena" (sleep quality).
FEELING_CHOICES = [("good", pgettext_lazy("how I feel", "Good")), ("okay", pgettext_lazy("how I feel", "Okay")),
                   ("poor", pgettext_lazy("how I feel", "Not well"))]
YES_NO = ("yes", "no")
FLAG_REASONS = {
    "vomiting": "Ongoing vomiting",
    "strange_feelings": "Perceptual changes the next day",
    "urine_pain": "Urinary pain or blood",
    "mood_worse": "Mood worse",
    "self_harm": "Thoughts of self-harm — call today",
}


@transaction.atomic
def do_answer_follow_up(acting_user: User, follow_up: FollowUp, answers: dict[str, Any], *,
                        now: datetime | None = None) -> FollowUp:
    """The patient answers the next-day check-in. Answers that matter flag it for a nurse.

    Who: that patient. Answered once; a second submit returns the first answers.
    """
    patient = follow_up.visit.patient
    if patient.user_id != acting_user.pk:
        raise PermissionDenied("Only the patient can answer their check-in.")
    at = now_or(now)
    locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if locked.answered_at is not None:
        return locked
    clean: dict[str, str] = {}
    for key, _question in FOLLOW_UP_QUESTIONS:
        value = answers.get(key)
        allowed = [c for c, _ in FEELING_CHOICES] if key == "feeling" else YES_NO
        if value not in allowed:
            raise InfusionError("Please answer this question.", key)
        clean[key] = str(value)
    clean["note"] = str(answers.get("note") or "").strip()[:2000]
    reasons = [text for key, text in FLAG_REASONS.items() if clean.get(key) == "yes"]
    if clean["feeling"] == "poor":
        reasons.append("Feels unwell")
    locked.answers = clean
    locked.answered_at = at
    locked.flagged = bool(reasons)
    locked.flag_reasons = reasons
    locked.save(update_fields=["answers", "answered_at", "flagged", "flag_reasons"])
    record_event(acting_user, "FOLLOW_UP_ANSWERED", patient=patient, obj=locked, at=at,
                 details={"flagged": locked.flagged, "reasons": reasons})
    return locked


@transaction.atomic
def do_review_follow_up(acting_user: User, follow_up: FollowUp, *, now: datetime | None = None) -> FollowUp:
    """A nurse marks a flagged check-in as handled (called the patient)."""
    require_charting(acting_user, follow_up.visit)
    at = now_or(now)
    if FollowUp.objects.filter(pk=follow_up.pk, reviewed_at__isnull=True).update(reviewed_by=acting_user,
                                                                                  reviewed_at=at):
        record_event(acting_user, "FOLLOW_UP_REVIEWED", patient=follow_up.visit.patient, obj=follow_up, at=at)
    follow_up.refresh_from_db()
    return follow_up
