"""Chart and table data for one patient's scores and sleep: a patient version (plain, kind) and
a provider version (severity bands and decision thresholds). Bounded: 3–5 queries per patient."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils.formats import date_format, number_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ketaclinic.outcomes.charts import Band, Marker, Point, Threshold, time_chart
from ketaclinic.outcomes.instrument_text import severity_words
from ketaclinic.outcomes.models import QuestionnaireResponse, SleepDiaryEntry
from ketaclinic.outcomes.review import INACTIVE_STATUSES, dose_info
from ketaclinic.patients.models import Patient
from ketaclinic.protocol.instruments import INSTRUMENTS
from ketaclinic.protocol.scoring import SEVERITY_BANDS
from ketaclinic.schedule.models import Visit, VisitStatus

HISTORY = timedelta(days=365)
PLAIN_NAMES = {"phq9": _("Mood (PHQ-9)"), "gad7": _("Worry and anxiety (GAD-7)"),
               "pcl5": _("Stress after trauma (PCL-5)"), "pain_nrs": _("Pain (0 to 10)")}


@dataclass
class ChartBlock:
    code: str
    title: str
    svg: SafeString
    rows: list[dict[str, Any]]
    message: str = ""
    columns: list[str] = field(default_factory=list)


def _markers(visits: list[Visit], doses: dict[int, str], zone: Any) -> list[Marker]:
    out = []
    for v in visits:
        local = v.starts_at.astimezone(zone)
        dose = doses.get(v.pk, "")
        detail = gettext("Infusion %(number)s on %(day)s") % {"number": v.number,
                                                               "day": date_format(local, gettext("M j"))}
        out.append(Marker(v.starts_at, str(v.number), detail + (f": {dose}" if dose else "")))
    return out


def _patient_message(values: list[int]) -> str:
    if len(values) < 2:
        return gettext("Thank you for answering. Your chart fills in as you answer more check-ins.")
    first, last = values[0], values[-1]
    if last < first:
        return gettext("Your score went from %(first)s to %(last)s. Lower means fewer symptoms, so this is a good "
                       "sign. Keep going.") % {"first": first, "last": last}
    return gettext("Scores go up and down, and that is normal. Your care team looks at every answer. "
                   "If you feel worse, call the clinic.")


def score_blocks(patient: Patient, *, provider: bool, now: datetime) -> list[ChartBlock]:
    """One chart per instrument the patient has answered, with infusion (and dose) markers."""
    zone = patient.clinic.zone
    protocol = patient.clinic.protocol()
    responses = list(QuestionnaireResponse.objects.filter(
        patient=patient, answered_at__gte=now - HISTORY, total__isnull=False, instrument__in=list(INSTRUMENTS))
        .order_by("answered_at", "id"))
    visits = list(Visit.objects.filter(patient=patient, starts_at__gte=now - HISTORY, starts_at__lte=now,
                                       status=VisitStatus.DISCHARGED).exclude(status__in=INACTIVE_STATUSES)
                  .order_by("starts_at"))
    doses = dose_info([v.pk for v in visits]).by_visit if provider and visits else {}
    markers = _markers(visits, doses, zone)
    blocks = []
    for code, inst in INSTRUMENTS.items():
        rows = [r for r in responses if r.instrument == code]
        if not rows:
            continue
        points = [Point(r.answered_at, float(r.total or 0), f"{r.total}" + (f" ({severity_words(r.severity)})"
                                                                            if severity_words(r.severity) else ""))
                  for r in rows]
        bands: list[Band] = []
        thresholds: list[Threshold] = []
        if provider:
            bands = [Band(lo, hi, label, f"sev-{i}") for i, (lo, hi, _c, label) in
                     enumerate(SEVERITY_BANDS.get(code, ()))]
            o = protocol.outcomes
            if code == "phq9":
                thresholds.append(Threshold(o.remission_phq9_max + 0.5, f"Remission ≤ {o.remission_phq9_max}"))
            elif code == "gad7":
                thresholds.append(Threshold(o.remission_gad7_max + 0.5, f"Remission ≤ {o.remission_gad7_max}"))
            elif code == "pcl5":
                cutoff = o.pcl5_provisional_cutoff
                thresholds.append(Threshold(cutoff, f"Provisional PTSD ≥ {cutoff}"))
            baseline = rows[0].total or 0
            if code in ("phq9", "gad7") and baseline:
                half = baseline * (100 - o.response_reduction_pct) / 100
                thresholds.append(Threshold(half, f"Response: {o.response_reduction_pct}% below first score"))
        title = inst.name if provider else str(PLAIN_NAMES[code])
        desc = gettext("%(count)s scores from %(first)s to %(last)s, out of %(max)s; %(infusions)s infusions "
                       "marked.") % {"count": len(rows), "first": rows[0].total, "last": rows[-1].total,
                                     "max": inst.total_max, "infusions": len(markers)}
        svg = time_chart(points, title=title, desc=desc, y_min=0, y_max=inst.total_max, zone=zone, markers=markers,
                         bands=bands, thresholds=thresholds, y_ticks=(0, inst.total_max // 2, inst.total_max))
        table = [{"when": r.answered_at, "total": r.total, "severity": r.severity_label,
                  "flags": r.flag_labels, "id": r.pk, "amended": r.is_amended} for r in reversed(rows)]
        message = "" if provider else _patient_message([r.total or 0 for r in rows])
        blocks.append(ChartBlock(code, title, svg, table, message))
    return blocks


def sleep_blocks(patient: Patient, *, provider: bool, now: datetime) -> list[ChartBlock]:
    """Sleep efficiency and quality over time (last 90 nights)."""
    zone = patient.clinic.zone
    entries = list(SleepDiaryEntry.objects.filter(patient=patient, night_of__gte=(now - timedelta(days=90)).date())
                   .order_by("night_of"))
    if not entries:
        return []
    normal = patient.clinic.protocol().outcomes.sleep_efficiency_normal_min_pct
    eff = [Point(e.final_wake, float(e.sleep_efficiency_percent), f"{number_format(e.sleep_efficiency_percent)}%")
           for e in entries]
    qual = [Point(e.final_wake, float(e.quality), gettext("%(quality)s of 5") % {"quality": e.quality})
            for e in entries]
    thresholds = [Threshold(normal, f"{normal}% (usual healthy sleep)")] if provider else []
    rows = [{"night": e.night_of, "in_bed": e.time_in_bed_minutes, "asleep": e.total_sleep_minutes,
             "efficiency": e.sleep_efficiency_percent, "quality": e.quality} for e in reversed(entries)]
    efficiency_title = "Sleep efficiency (%)" if provider else gettext("Time asleep while in bed (%)")
    efficiency_desc = gettext("%(count)s nights, from %(first)s to %(last)s.") % {
        "count": len(eff), "first": eff[0].label, "last": eff[-1].label}
    quality_title = gettext("Sleep quality (1 very poor – 5 very good)")
    return [
        ChartBlock("sleep_efficiency", efficiency_title,
                   time_chart(eff, title=efficiency_title, desc=efficiency_desc, y_min=0, y_max=100, zone=zone,
                              thresholds=thresholds, y_ticks=(0, 50, 100), css="series-sleep"), rows),
        ChartBlock("sleep_quality", quality_title,
                   time_chart(qual, title=gettext("Sleep quality"),
                              desc=gettext("%(count)s nights rated 1 to 5.") % {"count": len(qual)}, y_min=1,
                              y_max=5, zone=zone, y_ticks=(1, 3, 5), css="series-quality"), []),
    ]
