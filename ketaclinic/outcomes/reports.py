"""Clinic-level outcome reports for the medical director.

Bounded: a fixed number of queries whatever the period (aggregates in the database; the
induction cohort's visits and scores are fetched in one query each and summarised in Python
with the pure rules). Indexes used: visit_clinic_start_idx, qr_patient_instr_idx.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldError
from django.db.models import Count, Q

from ketaclinic.clinics.models import Clinic
from ketaclinic.courses.models import CourseKind, TreatmentCourse
from ketaclinic.outcomes.review import CourseSummary, summarise_many
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.indications import LABELS, classify
from ketaclinic.schedule.models import Chair, ClosedDay, OpeningHours, Visit, VisitStatus


@dataclass
class IndicationRow:
    label: str
    courses: int = 0
    assessed: int = 0
    responders: int = 0
    remitters: int = 0

    @property
    def response_pct(self) -> float | None:
        return round(100 * self.responders / self.assessed, 1) if self.assessed else None

    @property
    def remission_pct(self) -> float | None:
        return round(100 * self.remitters / self.assessed, 1) if self.assessed else None


@dataclass
class Report:
    start: date
    end: date
    by_indication: list[IndicationRow]
    summaries: list[CourseSummary]
    survival: list[tuple[int, float]]
    longest_follow_up_days: int
    responders_followed: int
    relapses: int
    median_days_to_relapse: int | None
    visits_booked: int
    cancelled: int
    no_shows: int
    completed: int
    adverse_events: int | None
    chair_minutes_used: int
    chair_minutes_open: int
    avg_chair_minutes: float | None
    notes: list[str] = field(default_factory=list)

    @staticmethod
    def _pct(n: int, d: int) -> float | None:
        return round(100 * n / d, 1) if d else None

    @property
    def cancellation_pct(self) -> float | None:
        return self._pct(self.cancelled, self.visits_booked)

    @property
    def no_show_pct(self) -> float | None:
        return self._pct(self.no_shows, self.visits_booked - self.cancelled)

    @property
    def utilisation_pct(self) -> float | None:
        return self._pct(self.chair_minutes_used, self.chair_minutes_open)

    @property
    def adverse_event_rate(self) -> float | None:
        if self.adverse_events is None:
            return None
        return self._pct(self.adverse_events, self.completed)


def indication_label(code: str) -> str:
    try:
        label = LABELS[classify(code)]
        return label[:1].upper() + label[1:]
    except InputError:
        return code


def kaplan_meier(durations: list[tuple[int, bool]]) -> list[tuple[int, float]]:
    """(days, event happened) → [(day, fraction without event)] at each event day."""
    at_risk = len(durations)
    surviving = 1.0
    curve: list[tuple[int, float]] = []
    by_day: dict[int, list[bool]] = defaultdict(list)
    for days, event in durations:
        by_day[days].append(event)
    for day in sorted(by_day):
        events = sum(by_day[day])
        if events and at_risk:
            surviving *= 1 - events / at_risk
            curve.append((day, round(surviving, 4)))
        at_risk -= len(by_day[day])
    return curve


def _bounds(clinic: Clinic, start: date, end: date) -> tuple[datetime, datetime]:
    zone = clinic.zone
    return (datetime.combine(start, time(0, 0), tzinfo=zone),
            datetime.combine(end + timedelta(days=1), time(0, 0), tzinfo=zone))


def _open_minutes(clinic: Clinic, start: date, end: date) -> int:
    hours = {h.weekday: (h.opens_at, h.closes_at) for h in OpeningHours.objects.filter(clinic=clinic)}
    closed = set(ClosedDay.objects.filter(clinic=clinic, date__range=(start, end)).values_list("date", flat=True))
    chairs = Chair.objects.filter(clinic=clinic, active=True).count()
    minutes = 0
    day = start
    while day <= end:
        if day.weekday() in hours and day not in closed:
            opens, closes = hours[day.weekday()]
            minutes += (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute)
        day += timedelta(days=1)
    return minutes * chairs


def build_report(clinic: Clinic, start: date, end: date, now: datetime) -> Report:
    """Every number on the reports page for one clinic and period (clinic-local dates, inclusive)."""
    protocol = clinic.protocol()
    lo, hi = _bounds(clinic, start, end)
    visits_in_period = Visit.objects.filter(clinic=clinic, starts_at__gte=lo, starts_at__lt=hi)
    counts = visits_in_period.aggregate(
        booked=Count("id"), cancelled=Count("id", filter=Q(status=VisitStatus.CANCELLED)),
        no_shows=Count("id", filter=Q(status=VisitStatus.NO_SHOW)),
        completed=Count("id", filter=Q(status=VisitStatus.DISCHARGED)))
    used = 0
    actual: list[float] = []
    for starts, ends, changed in visits_in_period.filter(status=VisitStatus.DISCHARGED).values_list(
            "starts_at", "ends_at", "status_changed_at"):
        booked = (ends - starts).total_seconds() / 60
        real = (changed - starts).total_seconds() / 60 if changed and starts < changed < starts + timedelta(hours=8) \
            else booked
        used += int(booked)
        actual.append(real)
    adverse: int | None = None
    try:
        ae_model = apps.get_model("infusions", "AdverseEvent")
        adverse = ae_model.objects.current().filter(visit__clinic=clinic, visit__starts_at__gte=lo,
                                          visit__starts_at__lt=hi).count()
    except (LookupError, AttributeError, FieldError):  # no infusion records: the rate shows as unavailable
        adverse = None

    # Induction cohort: courses whose last completed infusion falls in the period.
    courses = list(TreatmentCourse.objects.filter(clinic=clinic, kind=CourseKind.INDUCTION,
                                                  visits__status=VisitStatus.DISCHARGED,
                                                  visits__starts_at__gte=lo, visits__starts_at__lt=hi)
                   .distinct().select_related("clinic", "patient"))
    rows: dict[str, IndicationRow] = {}
    summaries: list[CourseSummary] = []
    durations: list[tuple[int, bool]] = []
    relapses = 0
    for summary in summarise_many(courses, protocol):
        done = summary.done_visits
        if not summary.complete or not (lo <= done[-1].starts_at < hi):
            continue  # not finished, or finished outside the period
        course = summary.course
        summaries.append(summary)
        label = indication_label(course.indication_code)
        row = rows.setdefault(label, IndicationRow(label))
        row.courses += 1
        if summary.response is not None:
            row.assessed += 1
            row.responders += summary.response.response
            row.remitters += summary.response.remission
        relapse = summary.relapse
        if relapse is not None and relapse.responded and relapse.response_on is not None:
            last_on = summary.scores[-1].answered_at.astimezone(clinic.zone).date()
            if relapse.relapsed and relapse.relapse_on is not None:
                relapses += 1
                durations.append(((relapse.relapse_on - relapse.response_on).days, True))
            else:
                durations.append(((min(last_on, now.date()) - relapse.response_on).days, False))
    curve = kaplan_meier(durations)
    median = next((day for day, frac in curve if frac <= 0.5), None)
    return Report(
        start=start, end=end, by_indication=sorted(rows.values(), key=lambda r: -r.courses), summaries=summaries,
        survival=curve, longest_follow_up_days=max((d for d, _ in durations), default=0),
        responders_followed=len(durations), relapses=relapses, median_days_to_relapse=median,
        visits_booked=counts["booked"], cancelled=counts["cancelled"], no_shows=counts["no_shows"],
        completed=counts["completed"], adverse_events=adverse, chair_minutes_used=used,
        chair_minutes_open=_open_minutes(clinic, start, end),
        avg_chair_minutes=round(sum(actual) / len(actual), 1) if actual else None,
    )


def summary_csv_rows(report: Report) -> list[list[Any]]:
    """The reports page as CSV rows (header first)."""
    period = f"{report.start.isoformat()}..{report.end.isoformat()}"
    rows: list[list[Any]] = [["period", "metric", "group", "numerator", "denominator", "percent"]]
    for r in report.by_indication:
        rows.append([period, "response after induction", r.label, r.responders, r.assessed, r.response_pct])
        rows.append([period, "remission after induction", r.label, r.remitters, r.assessed, r.remission_pct])
    rows.append([period, "relapse among responders", "all", report.relapses, report.responders_followed,
                 Report._pct(report.relapses, report.responders_followed)])
    rows.append([period, "cancellation", "all visits", report.cancelled, report.visits_booked, report.cancellation_pct])
    rows.append([period, "no-show", "visits not cancelled", report.no_shows, report.visits_booked - report.cancelled,
                 report.no_show_pct])
    rows.append([period, "chair utilisation (minutes)", "all chairs", report.chair_minutes_used,
                 report.chair_minutes_open, report.utilisation_pct])
    if report.adverse_events is not None:
        rows.append([period, "adverse events per completed infusion", "all", report.adverse_events, report.completed,
                     report.adverse_event_rate])
    return rows


def research_id(patient_id: int) -> str:
    """A stable pseudonym: HMAC of the patient id with the site secret (not reversible without it)."""
    digest = hmac.new(str(settings.SECRET_KEY).encode(), f"patient:{patient_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:12]


def research_csv_rows(report: Report) -> list[list[Any]]:
    """De-identified rows, one per induction course: no names, contact details or dates; age in
    10-year bands; times as days since the first infusion."""
    rows: list[list[Any]] = [["research_id", "indication", "age_band", "sex_at_birth", "instrument", "infusions",
                              "baseline", "end_of_induction", "change_percent", "category", "responded",
                              "relapsed", "days_response_to_relapse"]]
    for s in report.summaries:
        patient = s.course.patient
        first = s.done_visits[0].starts_at.date() if s.done_visits else None
        age = patient.age_on(first) if first else None
        band = f"{age // 10 * 10}-{age // 10 * 10 + 9}" if age is not None else ""
        resp, rel = s.response, s.relapse
        days = (rel.relapse_on - rel.response_on).days if rel and rel.relapsed and rel.relapse_on and rel.response_on \
            else ""
        rows.append([research_id(patient.pk), indication_label(s.course.indication_code), band, patient.sex_at_birth,
                     s.instrument, len(s.done_visits), s.baseline.total if s.baseline else "",
                     resp.latest if resp else "", resp.change_percent if resp else "", resp.category if resp else "",
                     bool(rel and rel.responded), bool(rel and rel.relapsed), days])
    return rows
