"""Course review: response, remission, early improvement, relapse, maintenance suggestion.

Sources: shared/clinical-reference.md §7 (induction, mid-course review, maintenance taper),
§10.3 (response, remission, relapse). Every cut-off comes from ``protocol.outcomes``,
``protocol.course`` or ``protocol.dose``. No Django import.

Definitions (defaults in brackets)
----------------------------------
change_percent   (latest - baseline) / baseline x 100, one decimal; negative = improvement.
                 Baseline 0 → undefined: ``None``, category ``none`` (no division by zero).
PHQ-9, GAD-7     response: reduction ≥ ``response_reduction_pct`` [50 %];
                 partial: ``partial_response_reduction_pct`` [25 %] ≤ reduction < response;
                 remission: latest ≤ ``remission_phq9_max`` / ``remission_gad7_max`` [4].
PCL-5            response: drop ≥ ``pcl5_meaningful_change`` points [10] (clinically meaningful,
                 NCPTSD); partial: drop ≥ ``pcl5_min_response`` [5]; remission is not defined
                 by the reference (``remission_defined`` False, ``remission`` False).
Pain NRS         response: reduction ≥ ``pain_response_pct`` [30 %] or drop ≥
                 ``pain_response_points`` [2]; ``substantial``: reduction ≥ ``pain_substantial_pct``
                 [50 %]; no partial or remission definition.
Any positive category needs a real improvement (latest < baseline), whatever the settings.

Remission follows the reference (§10.3, "PHQ-9 < 5 (i.e. ≤ 4)"): it is an absolute threshold,
not a percentage, so it does **not** require a 50 % response. A patient going from baseline 6
to 4 is in remission (category ``remission``) with ``response`` False (33 % reduction).
Remission needs a baseline above the remission range: one cannot remit from a score already
in it, so baseline ≤ 4 (including baseline 0) never yields remission.
Category precedence: remission > response > partial > none.

Early improvement (§7): the latest score taken after an infusion ≤ ``midcourse_review_after_infusion``
[4] shows a reduction ≥ ``midcourse_min_improvement_pct`` [25 %]. Needs ``after_infusion`` on the
assessments; ``None`` while undecidable. ``midcourse_review_needed`` is True when it is False.

Relapse / loss of response (§10.3): only after a response (the percentage/points criterion
above; remission without response does not count). Then ``relapse_consecutive_assessments`` [2]
consecutive assessments without response, each ≥ ``relapse_min_gap_days`` [7] after the
previous counted one (a run of non-response that lasts long enough), or a psychiatric
hospitalisation or suicide attempt.

Baseline (§10.3): the last score within ``baseline_max_age_days`` [7] on or before the day of
infusion 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Final

from ketaclinic.protocol.config import Protocol
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.scoring import check_whole_number, get_instrument

CATEGORIES: Final = ("none", "partial", "response", "remission")  # ascending
EVENT_KINDS: Final = ("psychiatric_hospitalisation", "suicide_attempt")
MAINTENANCE_KINDS: Final = ("taper", "titrate", "provider_review", "shorten_interval", "continue")


@dataclass(frozen=True)
class Assessment:
    """One total score, optionally dated and tied to the infusion it followed."""

    score: int
    on: date | None = None
    after_infusion: int | None = None


@dataclass(frozen=True)
class CourseResponse:
    instrument: str
    baseline: int
    latest: int
    change_points: int
    change_percent: float | None
    response: bool
    partial: bool
    remission: bool
    remission_defined: bool
    substantial: bool
    category: str
    early_improvement: bool | None
    midcourse_change_percent: float | None
    midcourse_review_needed: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class RelapseResult:
    responded: bool
    response_on: date | None
    relapsed: bool
    relapse_on: date | None
    loss_started_on: date | None
    reason: str


@dataclass(frozen=True)
class MaintenanceSuggestion:
    """A suggestion for the provider, never an order. `kind` is one of MAINTENANCE_KINDS."""

    kind: str
    reasons: tuple[str, ...]
    intervals_days: tuple[int, ...] = ()
    visit_dates: tuple[date, ...] = ()
    next_dose_mg_per_kg: float | None = None
    suggested_interval_days: int | None = None
    worsening_percent: float | None = None


def _round1(value: Fraction) -> float:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _reduction(baseline: int, score: int) -> Fraction | None:
    """Fractional reduction from baseline in percent (positive = better); None for baseline 0."""
    return None if baseline == 0 else Fraction(baseline - score, baseline) * 100


def _meets_response(instrument: str, baseline: int, score: int, protocol: Protocol) -> bool:
    o = protocol.outcomes
    drop = baseline - score
    reduction = _reduction(baseline, score)
    if drop <= 0:
        return False
    if instrument == "pcl5":
        return drop >= o.pcl5_meaningful_change
    if instrument == "pain_nrs":
        return drop >= o.pain_response_points or (reduction is not None and reduction >= o.pain_response_pct)
    return reduction is not None and reduction >= o.response_reduction_pct


def _meets_partial(instrument: str, baseline: int, score: int, protocol: Protocol) -> bool:
    o = protocol.outcomes
    drop = baseline - score
    if drop <= 0 or _meets_response(instrument, baseline, score, protocol):
        return False
    if instrument == "pcl5":
        return drop >= o.pcl5_min_response
    if instrument == "pain_nrs":
        return False
    reduction = _reduction(baseline, score)
    return reduction is not None and reduction >= o.partial_response_reduction_pct


def _remission_max(instrument: str, protocol: Protocol) -> int | None:
    return {"phq9": protocol.outcomes.remission_phq9_max, "gad7": protocol.outcomes.remission_gad7_max}.get(instrument)


def _as_assessments(scores: Sequence[int | Assessment], total_max: int) -> list[Assessment]:
    if isinstance(scores, str | bytes) or not isinstance(scores, Sequence) or not scores:
        raise InputError("scores", "must be a non-empty list of scores")
    out: list[Assessment] = []
    for i, item in enumerate(scores):
        a = item if isinstance(item, Assessment) else Assessment(score=item)
        check_whole_number(f"scores[{i}]", a.score, 0, total_max)
        if a.after_infusion is not None:
            check_whole_number(f"scores[{i}].after_infusion", a.after_infusion, 0, 1000)
        if out and a.on is not None and out[-1].on is not None and a.on < out[-1].on:
            raise InputError(f"scores[{i}].date", "must not be before the previous score's date (list in time order)")
        out.append(a)
    return out


def _early_improvement(
    baseline: int, assessments: Sequence[Assessment], protocol: Protocol
) -> tuple[bool | None, float | None]:
    """(early improvement, change % at the mid-course point); see the module docstring."""
    c = protocol.course
    tied = [a for a in assessments if a.after_infusion is not None]
    review_at = c.midcourse_review_after_infusion
    by_review = [a for a in tied if a.after_infusion is not None and a.after_infusion <= review_at]
    if not by_review or baseline == 0:
        return None, None
    reduction = _reduction(baseline, by_review[-1].score)
    assert reduction is not None  # noqa: S101 - baseline != 0 checked above
    improved = reduction >= c.midcourse_min_improvement_pct and reduction > 0
    reached = any(a.after_infusion is not None and a.after_infusion >= review_at for a in tied)
    if improved:
        return True, _round1(-reduction)
    return (False if reached else None), _round1(-reduction)


def assess_course_response(
    instrument: str,
    baseline: int,
    scores: Sequence[int | Assessment],
    protocol: Protocol,
) -> CourseResponse:
    """Classify the latest score (the last in `scores`) against the baseline; see module docstring."""
    inst = get_instrument(instrument)
    check_whole_number("baseline", baseline, 0, inst.total_max)
    assessments = _as_assessments(scores, inst.total_max)
    latest = assessments[-1].score
    reduction = _reduction(baseline, latest)
    response = _meets_response(inst.code, baseline, latest, protocol)
    partial = _meets_partial(inst.code, baseline, latest, protocol)
    rmax = _remission_max(inst.code, protocol)
    remission = rmax is not None and baseline > rmax and latest <= rmax
    substantial = (
        inst.code == "pain_nrs" and reduction is not None and reduction > 0
        and reduction >= protocol.outcomes.pain_substantial_pct
    )
    category = "remission" if remission else "response" if response else "partial" if partial else "none"
    early, mid_change = _early_improvement(baseline, assessments, protocol)

    reasons: list[str] = []
    change_percent = None if reduction is None else _round1(-reduction)
    if reduction is None:
        reasons.append("Baseline is 0: a percentage change cannot be computed.")
    else:
        reasons.append(f"{inst.name}: {baseline} at baseline, {latest} now ({change_percent:+.1f}%).")
    if rmax is not None and baseline <= rmax:
        reasons.append(f"Baseline {baseline} is already within the remission range (≤ {rmax}).")
    if remission and not response:
        reasons.append(f"Remission (score ≤ {rmax}) without a {protocol.outcomes.response_reduction_pct}% reduction.")
    if early is False:
        reasons.append(
            f"Less than {protocol.course.midcourse_min_improvement_pct}% improvement by infusion "
            f"{protocol.course.midcourse_review_after_infusion}: provider reviews whether to continue."
        )
    return CourseResponse(
        instrument=inst.code,
        baseline=baseline,
        latest=latest,
        change_points=latest - baseline,
        change_percent=change_percent,
        response=response,
        partial=partial,
        remission=remission,
        remission_defined=rmax is not None,
        substantial=substantial,
        category=category,
        early_improvement=early,
        midcourse_change_percent=mid_change,
        midcourse_review_needed=early is False,
        reasons=tuple(reasons),
    )


def select_baseline(candidates: Sequence[Assessment], first_infusion_on: date, protocol: Protocol) -> Assessment | None:
    """The last assessment dated within `baseline_max_age_days` on or before infusion 1's day.

    Assessments without a date are ignored; on a tie of dates the later one in the list wins.
    Pass only scores taken before the infusion on that day.
    """
    earliest = first_infusion_on - timedelta(days=protocol.outcomes.baseline_max_age_days)
    in_window = [a for a in candidates if a.on is not None and earliest <= a.on <= first_infusion_on]
    chosen: Assessment | None = None
    for a in in_window:
        if chosen is None or (a.on is not None and chosen.on is not None and a.on >= chosen.on):
            chosen = a
    return chosen


def detect_relapse(
    instrument: str,
    baseline: int,
    assessments: Sequence[Assessment],
    protocol: Protocol,
    *,
    events: Sequence[tuple[date, str]] = (),
) -> RelapseResult:
    """First loss of response after a response (§10.3). Every assessment needs a date.

    `events` are (date, kind) with kind in EVENT_KINDS; one on or after the response date is a
    relapse on that date.
    """
    inst = get_instrument(instrument)
    check_whole_number("baseline", baseline, 0, inst.total_max)
    checked = _as_assessments(assessments, inst.total_max) if assessments else []
    for i, a in enumerate(checked):
        if a.on is None:
            raise InputError(f"scores[{i}].date", "is needed to detect relapse")
    for i, (_, kind) in enumerate(events):
        if kind not in EVENT_KINDS:
            raise InputError(f"events[{i}].kind", f"must be one of {', '.join(EVENT_KINDS)}, got {kind!r}")
    o = protocol.outcomes
    response_on: date | None = None
    run: list[date] = []
    relapse_on: date | None = None
    for a in checked:
        assert a.on is not None  # noqa: S101 - checked above
        ok = _meets_response(inst.code, baseline, a.score, protocol)
        if response_on is None:
            if ok:
                response_on = a.on
            continue
        if ok:
            run = []
            continue
        if not run or (a.on - run[-1]).days >= o.relapse_min_gap_days:
            run.append(a.on)
        if len(run) >= o.relapse_consecutive_assessments:
            relapse_on = run[-1]
            break
    if response_on is None:
        return RelapseResult(False, None, False, None, None, "No response yet, so no relapse can be assessed.")
    event_hits = sorted((d, k) for d, k in events if d >= response_on)
    if event_hits and (relapse_on is None or event_hits[0][0] <= relapse_on):
        d, kind = event_hits[0]
        return RelapseResult(True, response_on, True, d, d, f"Relapse: {kind.replace('_', ' ')} on {d.isoformat()}.")
    if relapse_on is not None:
        return RelapseResult(
            True, response_on, True, relapse_on, run[0],
            f"Loss of response: no response on {len(run)} consecutive assessments from {run[0].isoformat()} "
            f"to {relapse_on.isoformat()} (each ≥ {o.relapse_min_gap_days} days apart).",
        )
    return RelapseResult(True, response_on, False, None, None, f"Response since {response_on.isoformat()}; no relapse.")


def taper_plan(last_induction_on: date, protocol: Protocol) -> tuple[date, ...]:
    """Maintenance visit dates: each configured interval added in turn to the last induction date.
    The last interval then repeats (§7: "then every 3-4 weeks")."""
    dates: list[date] = []
    current = last_induction_on
    for days in protocol.course.maintenance_intervals_days:
        current += timedelta(days=days)
        dates.append(current)
    return tuple(dates)


def _dose_step(previous: float, protocol: Protocol) -> Decimal:
    return Decimal(str(previous)) + Decimal(str(protocol.dose.titration_step_mg_per_kg))


def suggest_maintenance(
    course: CourseResponse,
    protocol: Protocol,
    *,
    last_induction_on: date | None = None,
    previous_dose_mg_per_kg: float | None = None,
    previous_dose_tolerated: bool | None = None,
    post_induction_score: int | None = None,
    current_score: int | None = None,
    current_interval_days: int | None = None,
) -> MaintenanceSuggestion:
    """Suggest the next step after induction (or during maintenance). The provider decides.

    - In maintenance (`post_induction_score` and `current_score` given): worsening ≥
      `course.maintenance_worsening_pct` from the post-induction level → ``shorten_interval`` to the
      next shorter configured interval; otherwise ``continue``.
    - After induction: remission/response → ``taper`` (dates from `last_induction_on`);
      partial → ``titrate`` (previous dose + `dose.titration_step_mg_per_kg`) if the previous dose
      was tolerated and the next stays within the hard maximum, else ``provider_review``;
      none → ``provider_review``.
    """
    c, d = protocol.course, protocol.dose
    intervals = c.maintenance_intervals_days
    total_max = get_instrument(course.instrument).total_max
    if (post_induction_score is None) != (current_score is None):
        missing = "current_score" if current_score is None else "post_induction_score"
        raise InputError(missing, "is needed with the other maintenance score")
    if post_induction_score is not None and current_score is not None:
        check_whole_number("post_induction_score", post_induction_score, 0, total_max)
        check_whole_number("current_score", current_score, 0, total_max)
        if current_interval_days is not None:
            check_whole_number("current_interval_days", current_interval_days, 1, 365)
        if post_induction_score == 0:
            if current_score == 0:
                return MaintenanceSuggestion("continue", ("Still at 0 since induction: continue the plan.",),
                                             intervals, worsening_percent=0.0,
                                             suggested_interval_days=current_interval_days)
            return MaintenanceSuggestion(
                "provider_review",
                (f"Score rose from 0 after induction to {current_score}; a percentage cannot be computed, "
                 "so the provider judges whether to shorten the interval.",),
                intervals,
            )
        worsening = Fraction(current_score - post_induction_score, post_induction_score) * 100
        shown = _round1(worsening)
        if worsening >= c.maintenance_worsening_pct:
            shorter = [i for i in sorted(set(intervals)) if current_interval_days is None or i < current_interval_days]
            if current_interval_days is not None and not shorter:
                return MaintenanceSuggestion(
                    "provider_review",
                    (f"Worse by {shown:.1f}% since induction, already at the shortest interval "
                     f"({current_interval_days} days): provider review.",),
                    intervals, worsening_percent=shown,
                )
            target = shorter[-1] if current_interval_days is not None else min(intervals)
            return MaintenanceSuggestion(
                "shorten_interval",
                (f"Worse by {shown:.1f}% since induction (≥ {c.maintenance_worsening_pct}%): "
                 f"consider shortening the interval to {target} days.",),
                intervals, suggested_interval_days=target, worsening_percent=shown,
            )
        return MaintenanceSuggestion(
            "continue",
            (f"Change since induction {shown:+.1f}% (worsening threshold {c.maintenance_worsening_pct}%): "
             "continue the maintenance plan.",),
            intervals, suggested_interval_days=current_interval_days, worsening_percent=shown,
        )

    if course.category in ("remission", "response"):
        dates = taper_plan(last_induction_on, protocol) if last_induction_on is not None else ()
        steps = ", ".join(str(i) for i in intervals)
        reasons = [f"{course.category.capitalize()} after induction: taper plan with intervals {steps} days, "
                   f"then every {intervals[-1]} days."]
        if last_induction_on is None:
            reasons.append("Give the last induction infusion date to get visit dates.")
        return MaintenanceSuggestion("taper", tuple(reasons), intervals, dates)

    if course.category == "partial":
        if previous_dose_mg_per_kg is None or previous_dose_tolerated is None:
            return MaintenanceSuggestion(
                "provider_review",
                ("Partial response: a dose titration may be an option; give the previous dose and whether it was "
                 "tolerated.",),
            )
        if isinstance(previous_dose_mg_per_kg, bool) or not isinstance(previous_dose_mg_per_kg, int | float) \
                or not 0 < previous_dose_mg_per_kg <= 10:
            raise InputError("previous_dose_mg_per_kg", f"must be a dose in mg/kg, got {previous_dose_mg_per_kg!r}")
        if not previous_dose_tolerated:
            return MaintenanceSuggestion(
                "provider_review",
                (f"Partial response, but the previous dose ({previous_dose_mg_per_kg} mg/kg) was not tolerated: "
                 "no increase; provider review.",),
            )
        nxt = _dose_step(previous_dose_mg_per_kg, protocol)
        if nxt > Decimal(str(d.mood_dose_mg_per_kg_hard_max)):
            return MaintenanceSuggestion(
                "provider_review",
                (f"Partial response; a further step would give {nxt} mg/kg, above the hard maximum "
                 f"{d.mood_dose_mg_per_kg_hard_max} mg/kg: provider review.",),
            )
        reasons = [f"Partial response and the previous dose was tolerated: option to raise from "
                   f"{previous_dose_mg_per_kg} to {nxt} mg/kg (+{d.titration_step_mg_per_kg} mg/kg)."]
        if nxt > Decimal(str(d.mood_dose_mg_per_kg_soft_max)):
            reasons.append(f"{nxt} mg/kg is above the soft limit {d.mood_dose_mg_per_kg_soft_max} mg/kg: "
                           "a reason is required.")
        return MaintenanceSuggestion("titrate", tuple(reasons), next_dose_mg_per_kg=float(nxt))

    change = "undefined" if course.change_percent is None else f"{course.change_percent:+.1f}%"
    return MaintenanceSuggestion(
        "provider_review",
        (f"No response after induction (change {change}): provider reviews further treatment.",),
    )


# --- command line -------------------------------------------------------------------------


def _parse_date(field_name: str, value: object) -> date:
    if not isinstance(value, str):
        raise InputError(field_name, f"must be a date such as 2027-01-10, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(field_name, f"must be a date such as 2027-01-10, got {value!r}") from None


def _parse_assessment(field_name: str, item: object) -> Assessment:
    if not isinstance(item, dict):
        return Assessment(score=item)  # type: ignore[arg-type]  # validated by check_whole_number
    if "score" not in item:
        raise InputError(f"{field_name}.score", "missing")
    on = _parse_date(f"{field_name}.date", item["date"]) if item.get("date") is not None else None
    return Assessment(score=item["score"], on=on, after_infusion=item.get("after_infusion"))


def cli(payload: dict[str, Any], protocol: Protocol) -> dict[str, Any]:
    """`ketaclinic protocol course-response`; see the module docstring for the rules."""
    inst = get_instrument(payload.get("instrument"))
    raw_scores = payload.get("scores")
    if not isinstance(raw_scores, list) or not raw_scores:
        raise InputError("scores", "must be a non-empty list of scores")
    scores = [_parse_assessment(f"scores[{i}]", s) for i, s in enumerate(raw_scores)]
    baseline = payload.get("baseline")
    if baseline is None:
        candidates = payload.get("baseline_candidates")
        if not isinstance(candidates, list) or "first_infusion_date" not in payload:
            raise InputError("baseline", "missing (or give baseline_candidates and first_infusion_date)")
        parsed = [_parse_assessment(f"baseline_candidates[{i}]", c) for i, c in enumerate(candidates)]
        for i, c in enumerate(parsed):
            check_whole_number(f"baseline_candidates[{i}].score", c.score, 0, inst.total_max)
        chosen = select_baseline(parsed, _parse_date("first_infusion_date", payload["first_infusion_date"]), protocol)
        if chosen is None:
            raise InputError("baseline_candidates", f"no score within {protocol.outcomes.baseline_max_age_days} days "
                             "before the first infusion")
        baseline = chosen.score
    result = assess_course_response(inst.code, baseline, scores, protocol)
    out: dict[str, Any] = {
        "instrument": result.instrument,
        "baseline": result.baseline,
        "latest": result.latest,
        "change_points": result.change_points,
        "change_percent": result.change_percent,
        "response": result.response,
        "partial": result.partial,
        "remission": result.remission,
        "remission_defined": result.remission_defined,
        "category": result.category,
        "early_improvement": result.early_improvement,
        "midcourse_review_needed": result.midcourse_review_needed,
        "reasons": list(result.reasons),
    }
    if inst.code == "pain_nrs":
        out["substantial"] = result.substantial
    if all(s.on is not None for s in scores):
        raw_events = payload.get("events") or []
        if not isinstance(raw_events, list):
            raise InputError("events", "must be a list")
        events = []
        for i, e in enumerate(raw_events):
            if not isinstance(e, dict):
                raise InputError(f"events[{i}]", "must be an object with date and kind")
            events.append((_parse_date(f"events[{i}].date", e.get("date")), str(e.get("kind"))))
        relapse = detect_relapse(inst.code, result.baseline, scores, protocol, events=events)
        out["relapse"] = {
            "responded": relapse.responded,
            "response_date": relapse.response_on.isoformat() if relapse.response_on else None,
            "relapsed": relapse.relapsed,
            "relapse_date": relapse.relapse_on.isoformat() if relapse.relapse_on else None,
            "reason": relapse.reason,
        }
    maintenance_keys = ("last_induction_date", "previous_dose_mg_per_kg", "previous_dose_tolerated",
                        "post_induction_score", "current_score", "current_interval_days")
    if any(k in payload for k in maintenance_keys):
        tolerated = payload.get("previous_dose_tolerated")
        if tolerated is not None and not isinstance(tolerated, bool):
            raise InputError("previous_dose_tolerated", "must be true or false")
        last = payload.get("last_induction_date")
        m = suggest_maintenance(
            result, protocol,
            last_induction_on=_parse_date("last_induction_date", last) if last is not None else None,
            previous_dose_mg_per_kg=payload.get("previous_dose_mg_per_kg"),
            previous_dose_tolerated=tolerated,
            post_induction_score=payload.get("post_induction_score"),
            current_score=payload.get("current_score"),
            current_interval_days=payload.get("current_interval_days"),
        )
        out["maintenance"] = {
            "kind": m.kind,
            "reasons": list(m.reasons),
            "intervals_days": list(m.intervals_days),
            "visit_dates": [v.isoformat() for v in m.visit_dates],
            "next_dose_mg_per_kg": m.next_dose_mg_per_kg,
            "suggested_interval_days": m.suggested_interval_days,
            "worsening_percent": m.worsening_percent,
        }
    return out
