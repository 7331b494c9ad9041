"""Which questionnaires a patient should answer now, from their courses and the clinic protocol.

Schedule (issue 8; intervals in `protocol.outcomes`):
- baseline: every course instrument, in the `baseline_max_age_days` before infusion 1;
- before each later infusion: the primary instrument, from 24 h before until check-in ends;
- the day after each completed infusion: the primary instrument, that whole local day;
- weekly during induction (`questionnaire_induction_interval_days`): every course instrument;
- in maintenance, every `questionnaire_maintenance_interval_days`: every course instrument.

A slot is satisfied by any answer to that instrument inside its window, so a patient who
answers on their own never gets asked twice. `due_for_patient` costs 2 queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ketaclinic.courses.models import CourseKind, CourseStatus, TreatmentCourse
from ketaclinic.outcomes.models import QuestionnaireResponse
from ketaclinic.outcomes.patient_dates import patient_fmt
from ketaclinic.outcomes.review import INACTIVE_STATUSES, course_instruments, primary_instrument
from ketaclinic.patients.models import Patient, Stage
from ketaclinic.protocol.config import Protocol
from ketaclinic.protocol.instruments import INSTRUMENTS
from ketaclinic.schedule.models import Visit, VisitStatus

LOOKBACK = timedelta(days=120)
PRE_INFUSION_WINDOW = timedelta(hours=24)

SHORT_NAMES = {"phq9": _("PHQ-9 (mood)"), "gad7": _("GAD-7 (worry and anxiety)"),
               "pcl5": _("PCL-5 (stress after trauma)"), "pain_nrs": _("Pain rating")}


@dataclass(frozen=True)
class Due:
    instrument: str
    slot: str
    reason: str
    opens_at: datetime
    closes_at: datetime
    course_id: int
    visit_id: int | None = None

    @property
    def key(self) -> str:
        anchor = self.visit_id if self.visit_id is not None else self.opens_at.strftime("%Y%m%d")
        return f"{self.course_id}:{self.slot}:{anchor}:{self.instrument}"

    @property
    def name(self) -> str:
        return str(SHORT_NAMES.get(self.instrument, INSTRUMENTS[self.instrument].name))


def _day_bounds(day: date, patient: Patient) -> tuple[datetime, datetime]:
    zone = patient.clinic.zone
    start = datetime.combine(day, time(0, 0), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)


def slots_for_course(patient: Patient, course: TreatmentCourse, visits: Sequence[Visit],
                     protocol: Protocol) -> list[Due]:
    """Every questionnaire slot of one course (past and future), in no particular order."""
    zone = patient.clinic.zone
    active = sorted((v for v in visits if v.status not in INACTIVE_STATUSES), key=lambda v: v.starts_at)
    if not active:
        return []
    instruments = course_instruments(course.indication_code, course.kind)
    primary = primary_instrument(course.indication_code, course.kind)
    out: list[Due] = []
    first = active[0]
    if course.kind != CourseKind.MAINTENANCE:
        opens = first.starts_at - timedelta(days=protocol.outcomes.baseline_max_age_days)
        for code in instruments:
            out.append(Due(code, "baseline", gettext("Before your first treatment"), opens, first.starts_at, course.pk))
    for v in active[1:] if course.kind != CourseKind.MAINTENANCE else active:
        local = v.starts_at.astimezone(zone)
        reason = gettext("Before your visit on %(day)s") % {"day": patient_fmt(zone).day(local)}
        out.append(Due(primary, "pre", reason,
                       v.starts_at - PRE_INFUSION_WINDOW, v.starts_at + timedelta(minutes=course.checkin_min),
                       course.pk, v.pk))
    for v in active:
        if v.status != VisitStatus.DISCHARGED:
            continue
        day_after = v.starts_at.astimezone(zone).date() + timedelta(days=1)
        opens, closes = _day_bounds(day_after, patient)
        out.append(Due(primary, "after", gettext("The day after your treatment"), opens, closes, course.pk, v.pk))
    if course.kind != CourseKind.MAINTENANCE:
        step = timedelta(days=protocol.outcomes.questionnaire_induction_interval_days)
        end = active[-1].ends_at + step
        k = 1
        while first.starts_at + k * step < end:
            opens = first.starts_at + k * step
            for code in instruments:
                out.append(Due(code, "weekly", gettext("Your weekly check-in"), opens, opens + step, course.pk))
            k += 1
    return out


def maintenance_slots(patient: Patient, course: TreatmentCourse, anchor: datetime, now: datetime,
                      protocol: Protocol) -> list[Due]:
    """The current maintenance check-in window (every `questionnaire_maintenance_interval_days`)."""
    step = timedelta(days=protocol.outcomes.questionnaire_maintenance_interval_days)
    if now < anchor + step:
        return []
    k = (now - anchor) // step
    opens = anchor + k * step
    return [Due(code, "maintenance", gettext("Your regular check-in"), opens, opens + step, course.pk)
            for code in course_instruments(course.indication_code, course.kind)]


def open_slots(slots: Iterable[Due], responses: Sequence[QuestionnaireResponse], now: datetime) -> list[Due]:
    """Slots open now and not yet answered; one per instrument (the one closing first)."""
    chosen: dict[str, Due] = {}
    for due in slots:
        if not due.opens_at <= now < due.closes_at:
            continue
        if any(r.instrument == due.instrument and due.opens_at <= r.answered_at < due.closes_at for r in responses):
            continue
        current = chosen.get(due.instrument)
        if current is None or due.closes_at < current.closes_at:
            chosen[due.instrument] = due
    order = list(INSTRUMENTS)
    return sorted(chosen.values(), key=lambda d: order.index(d.instrument))


def due_for_patient(patient: Patient, now: datetime, protocol: Protocol | None = None) -> list[Due]:
    """Open, unanswered questionnaires of one patient right now (2 queries)."""
    protocol = protocol or patient.clinic.protocol()
    visits = list(Visit.objects.filter(patient=patient, starts_at__gte=now - LOOKBACK)
                  .exclude(course__status=CourseStatus.CANCELLED).select_related("course").order_by("starts_at"))
    if not visits:
        return []
    by_course: dict[int, list[Visit]] = {}
    for v in visits:
        by_course.setdefault(v.course_id, []).append(v)
    slots: list[Due] = []
    for course_visits in by_course.values():
        slots.extend(slots_for_course(patient, course_visits[0].course, course_visits, protocol))
    if patient.stage == Stage.MAINTENANCE:
        done = [v for v in visits if v.status == VisitStatus.DISCHARGED and v.course.kind != CourseKind.MAINTENANCE]
        if done:
            slots.extend(maintenance_slots(patient, done[-1].course, done[-1].starts_at, now, protocol))
    responses = list(QuestionnaireResponse.objects.filter(patient=patient, answered_at__gte=now - LOOKBACK)
                     .only("instrument", "answered_at"))
    return open_slots(slots, responses, now)
