"""Course review: gathers a course's scores and visits, then calls the pure rules in
protocol.response (baseline, response/remission, relapse, maintenance suggestion).

Read-only helpers; the provider's decision is written by `actions.do_record_course_review`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.apps import apps
from django.core.exceptions import FieldError
from django.db.models import QuerySet

from ketaclinic.courses.models import CourseKind, TreatmentCourse
from ketaclinic.outcomes.models import QuestionnaireResponse
from ketaclinic.protocol.config import Protocol
from ketaclinic.protocol.response import (
    Assessment,
    CourseResponse,
    MaintenanceSuggestion,
    RelapseResult,
    assess_course_response,
    detect_relapse,
    select_baseline,
    suggest_maintenance,
)
from ketaclinic.schedule.models import Visit, VisitStatus

DONE_STATUSES = (VisitStatus.DISCHARGED,)
INACTIVE_STATUSES = (VisitStatus.CANCELLED, VisitStatus.NO_SHOW)
# The end-of-induction result is the last score up to 3 days after the last infusion (normally the
# day-after questionnaire); later scores feed relapse detection, not the course result.
POST_COURSE_GRACE = timedelta(days=3)


def primary_instrument(indication_code: str, kind: str = CourseKind.INDUCTION) -> str:
    """The score that decides response for a course: PCL-5 for PTSD (F43.1x), pain NRS for a pain
    course or a pain indication (G89/G90), PHQ-9 otherwise (depression and anxiety courses)."""
    code = (indication_code or "").upper()
    if kind == CourseKind.PAIN or code.startswith(("G89", "G90")):
        return "pain_nrs"
    if code.startswith("F43.1"):
        return "pcl5"
    return "phq9"


def course_instruments(indication_code: str, kind: str = CourseKind.INDUCTION) -> tuple[str, ...]:
    """Instruments scheduled for a course: the primary one, plus GAD-7 for mood and anxiety."""
    primary = primary_instrument(indication_code, kind)
    if primary == "pain_nrs":
        return ("pain_nrs", "phq9")
    if primary == "pcl5":
        return ("pcl5", "phq9")
    return ("phq9", "gad7")


@dataclass
class DoseInfo:
    """Dose per visit when the infusions app records it (None otherwise)."""

    available: bool
    by_visit: dict[int, str] = field(default_factory=dict)
    adverse_by_visit: dict[int, int] = field(default_factory=dict)
    last_mg_per_kg: float | None = None
    not_tolerated: bool = False  # any adverse event worse than mild (a rule input; the provider judges)


def dose_info(visit_ids: list[int]) -> DoseInfo:
    """Dose orders and adverse events of these visits from ketaclinic.infusions, if its models exist.

    Fallback: `available` False, and charts show visit markers only.
    """
    try:
        dose_model = apps.get_model("infusions", "DoseOrder")
    except LookupError:
        return DoseInfo(available=False)
    info = DoseInfo(available=True)
    try:
        ae_model = apps.get_model("infusions", "AdverseEvent")
        # Current rows only: an amended order or event is replaced by its amendment.
        for order in dose_model.objects.current().filter(visit_id__in=visit_ids).order_by("visit_id", "ordered_at"):
            info.by_visit[order.visit_id] = f"{order.dose_mg_per_kg} mg/kg · {order.dose_mg} mg"
            info.last_mg_per_kg = float(order.dose_mg_per_kg)
        for visit_id, severity in ae_model.objects.current().filter(visit_id__in=visit_ids).values_list(
                "visit_id", "severity"):
            info.adverse_by_visit[visit_id] = info.adverse_by_visit.get(visit_id, 0) + 1
            if severity != "mild":
                info.not_tolerated = True
    except (LookupError, AttributeError, FieldError):  # the infusions schema changed: show what we can
        return DoseInfo(available=False)
    return info


@dataclass
class CourseSummary:
    course: TreatmentCourse
    instrument: str
    visits: list[Visit]
    done_visits: list[Visit]
    scores: list[QuestionnaireResponse]
    baseline: QuestionnaireResponse | None
    response: CourseResponse | None
    relapse: RelapseResult | None
    suggestion: MaintenanceSuggestion | None
    complete: bool
    doses: DoseInfo
    problems: list[str]

    @property
    def last_induction_on(self) -> date | None:
        return self.done_visits[-1].starts_at.date() if self.done_visits else None


def _local_date(moment: datetime, course: TreatmentCourse) -> date:
    return moment.astimezone(course.clinic.zone).date()


def scores_for(patient_id: int, instrument: str) -> QuerySet[QuestionnaireResponse]:
    """Complete scores of one instrument for one patient, oldest first (index qr_patient_instr_idx)."""
    return QuestionnaireResponse.objects.filter(patient_id=patient_id, instrument=instrument,
                                                total__isnull=False).order_by("answered_at", "id")


def summarise_course(course: TreatmentCourse, protocol: Protocol, *, instrument: str | None = None,
                     responses: list[QuestionnaireResponse] | None = None,
                     visits: list[Visit] | None = None, with_doses: bool = True) -> CourseSummary:
    """Baseline, response, relapse and the maintenance suggestion for one induction course.

    `responses` and `visits` may be passed in (prefetched for reports); otherwise 2 queries.
    """
    instrument = instrument or primary_instrument(course.indication_code, course.kind)
    if visits is None:
        visits = list(course.visits.order_by("starts_at"))
    active = [v for v in visits if v.status not in INACTIVE_STATUSES]
    done = [v for v in active if v.status in DONE_STATUSES]
    if responses is None:
        responses = list(scores_for(course.patient_id, instrument))
    problems: list[str] = []
    baseline = None
    response = relapse = suggestion = None
    after: list[QuestionnaireResponse] = []
    if not done:
        problems.append("No infusion of this course has been completed yet.")
    else:
        first = done[0]
        first_on = _local_date(first.starts_at, course)
        before = [r for r in responses if r.answered_at <= first.starts_at]
        candidates = [Assessment(score=r.total, on=_local_date(r.answered_at, course))  # type: ignore[arg-type]
                      for r in before]
        chosen = select_baseline(candidates, first_on, protocol)
        if chosen is not None:
            # The chosen assessment is the last one on that day: map back to the row.
            baseline = [r for r in before if _local_date(r.answered_at, course) == chosen.on][-1]
        else:
            problems.append(f"No baseline score in the {protocol.outcomes.baseline_max_age_days} days before "
                            "the first infusion.")
        after = [r for r in responses if r.answered_at > first.starts_at]
        if baseline is not None and after:
            assessments = []
            for r in after:
                given = sum(1 for v in done if v.starts_at < r.answered_at)
                assessments.append(Assessment(score=r.total, on=_local_date(r.answered_at, course),  # type: ignore[arg-type]
                                              after_infusion=given))
            in_course = [a for a, r in zip(assessments, after, strict=True)
                         if r.answered_at <= done[-1].ends_at + POST_COURSE_GRACE]
            response = assess_course_response(instrument, baseline.total, in_course or assessments[:1],  # type: ignore[arg-type]
                                              protocol)
            relapse = detect_relapse(instrument, baseline.total, assessments, protocol)  # type: ignore[arg-type]
            doses = dose_info([v.pk for v in done]) if with_doses else DoseInfo(available=False)
            suggestion = suggest_maintenance(
                response, protocol, last_induction_on=_local_date(done[-1].starts_at, course),
                previous_dose_mg_per_kg=doses.last_mg_per_kg,
                previous_dose_tolerated=(not doses.not_tolerated) if doses.available else None,
            )
        elif baseline is not None:
            problems.append("No score since the first infusion yet.")
    doses = dose_info([v.pk for v in active]) if with_doses else DoseInfo(available=False)
    return CourseSummary(
        course=course, instrument=instrument, visits=active, done_visits=done,
        scores=responses, baseline=baseline, response=response, relapse=relapse, suggestion=suggestion,
        complete=len(done) >= course.planned_visits, doses=doses, problems=problems,
    )


def summarise_many(courses: Sequence[TreatmentCourse], protocol: Protocol) -> list[CourseSummary]:
    """Summaries of many courses in 2 queries (their visits, their patients' scores); no doses."""
    from collections import defaultdict

    visits: dict[int, list[Visit]] = defaultdict(list)
    for v in Visit.objects.filter(course_id__in=[c.pk for c in courses]).order_by("starts_at"):
        visits[v.course_id].append(v)
    wanted = {(c.patient_id, primary_instrument(c.indication_code, c.kind)) for c in courses}
    scores: dict[tuple[int, str], list[QuestionnaireResponse]] = defaultdict(list)
    for r in QuestionnaireResponse.objects.filter(patient_id__in={p for p, _ in wanted}, total__isnull=False,
                                                  instrument__in={i for _, i in wanted}).order_by("answered_at", "id"):
        scores[(r.patient_id, r.instrument)].append(r)
    out = []
    for c in courses:
        instrument = primary_instrument(c.indication_code, c.kind)
        out.append(summarise_course(c, protocol, instrument=instrument, responses=scores[(c.patient_id, instrument)],
                                    visits=visits[c.pk], with_doses=False))
    return out
