"""Demo outcomes: realistic scores for the demo clinic's patients in care, so the reports show
responders, remitters, non-responders and one relapse; journal entries, sleep diaries, one open
safety task and one closed one. Idempotent: does nothing if demo answers already exist.
Every row is written through the outcomes actions."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any

from ketaclinic.outcomes.actions import (
    OutcomeError,
    do_add_journal_entry,
    do_add_sleep_diary_entry,
    do_close_safety_task,
    do_record_course_review,
    do_submit_questionnaire,
)
from ketaclinic.outcomes.models import QuestionnaireResponse, SafetyOutcome
from ketaclinic.outcomes.review import primary_instrument
from ketaclinic.patients.models import Patient, Stage
from ketaclinic.protocol.instruments import INSTRUMENTS
from ketaclinic.schedule.models import Visit, VisitStatus

# Planned result of each finished induction course (maintenance then discharged patients).
FINISHED_PLAN = ["remission", "response", "remission", "relapse", "response", "partial", "response", "remission",
                 "none", "partial", "none", "response", "remission"]
FINAL_RATIO = {"remission": 0.12, "response": 0.42, "relapse": 0.4, "partial": 0.65, "none": 0.9}
JOURNAL_TEXTS = [
    ("Felt floaty during the infusion, then very calm. The music helped. Tired tonight.", ["after_effects"], 6),
    ("Woke up and the heavy feeling was lighter. Went for a short walk.", ["insights"], 7),
    ("Slept through the night for the first time in weeks.", ["sleep"], 7),
    ("Some nausea on the drive home, gone by dinner.", ["after_effects"], 5),
    ("Hard day at work, but I did not spiral like before.", ["insights"], 6),
    ("Vivid dreams last night. Not scary, just strange.", ["sleep", "after_effects"], 5),
]


def spread(total: int, items: int, item_max: int, rng: random.Random, fixed_last: int | None = None) -> list[int]:
    """Answers summing to `total`, spread over the items (the last item fixed when given)."""
    answers = [0] * items
    free = list(range(items - 1)) if fixed_last is not None else list(range(items))
    remaining = total - (fixed_last or 0)
    if fixed_last is not None:
        answers[-1] = fixed_last
    remaining = max(0, min(remaining, item_max * len(free)))
    while remaining > 0:
        i = rng.choice(free)
        if answers[i] < item_max:
            answers[i] += 1
            remaining -= 1
    return answers


def _answers(instrument: str, total: int, rng: random.Random, item9: int = 0) -> list[int | None]:
    inst = INSTRUMENTS[instrument]
    total = max(0, min(total, inst.total_max))
    if instrument == "phq9":
        return list(spread(total, 9, 3, rng, fixed_last=item9))
    return list(spread(total, inst.item_count, inst.item_max, rng))


def _baseline(instrument: str, rng: random.Random) -> int:
    return {"phq9": rng.randint(16, 23), "gad7": rng.randint(11, 17), "pcl5": rng.randint(45, 60),
            "pain_nrs": rng.randint(6, 8)}[instrument]


class _Writer:
    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.n = 0

    def answer(self, patient: Patient, instrument: str, total: int, at: datetime, item9: int = 0,
               visit: Visit | None = None) -> QuestionnaireResponse | None:
        if at > self.ctx.now:
            return None
        self.n += 1
        return do_submit_questionnaire(patient.user, patient, instrument,  # type: ignore[arg-type]
                                       _answers(instrument, total, self.ctx.rng, item9),
                                       submission_key=f"demo-{patient.pk}-{self.n}", answered_at=at, now=at,
                                       visit=visit)


def _trajectory(baseline: int, ratio: float, k: int, rng: random.Random) -> int:
    target = baseline * ratio
    value: float = baseline - (baseline - target) * (k / 6) ** 0.7 + rng.choice((-1, 0, 0, 1))
    return max(0, round(value))


def _course_visits(patient: Patient) -> list[Visit]:
    return list(Visit.objects.filter(patient=patient, course__kind="induction").exclude(
        status__in=[VisitStatus.CANCELLED, VisitStatus.NO_SHOW]).select_related("course").order_by("starts_at"))


def _score_course(w: _Writer, patient: Patient, visits: list[Visit], category: str) -> None:
    rng = w.ctx.rng
    if not visits:
        return
    primary = primary_instrument(visits[0].course.indication_code, visits[0].course.kind)
    instruments = ["phq9", "gad7"] if primary == "phq9" else [primary, "phq9"]
    first = visits[0].starts_at
    ratio = FINAL_RATIO[category]
    for code in instruments:
        base = _baseline(code, rng)
        w.answer(patient, code, base, first - timedelta(days=2, hours=-1))
        done = [v for v in visits if v.status == VisitStatus.DISCHARGED]
        for k, visit in enumerate(done, start=1):
            w.answer(patient, code, _trajectory(base, ratio, k, rng), visit.ends_at + timedelta(hours=20), visit=visit)
        if len(done) == len(visits) and len(done) >= 6:
            last = done[-1].ends_at
            for week in (1, 2, 3):
                if category == "relapse":
                    total = round(base * (0.45 if week == 1 else 0.7 + 0.05 * week))
                else:
                    total = _trajectory(base, ratio, 6, rng)
                w.answer(patient, code, total, last + timedelta(days=7 * week, hours=2))


def seed(ctx: Any) -> None:
    """Scores, journal, sleep, safety tasks and reviews for the demo clinic (idempotent)."""
    clinic = ctx.clinic
    if QuestionnaireResponse.objects.filter(clinic=clinic, submission_key__startswith="demo-").exists():
        return
    w = _Writer(ctx)
    finished = ctx.patients.get(Stage.MAINTENANCE.value, []) + ctx.patients.get(Stage.DISCHARGED.value, [])
    for i, patient in enumerate(finished):
        if patient.user_id:
            _score_course(w, patient, _course_visits(patient), FINISHED_PLAN[i % len(FINISHED_PLAN)])
    induction = [p for p in ctx.patients.get(Stage.INDUCTION.value, []) if p.user_id]
    for i, patient in enumerate(induction):
        _score_course(w, patient, _course_visits(patient), ("response", "partial", "remission", "none")[i % 4])
    _journal_and_sleep(ctx, induction[:6])
    _safety(ctx, w, induction)
    _reviews(ctx, ctx.patients.get(Stage.DISCHARGED.value, []))


def _journal_and_sleep(ctx: Any, patients: list[Patient]) -> None:
    rng = ctx.rng
    for i, patient in enumerate(patients):
        done = [v for v in _course_visits(patient) if v.status == VisitStatus.DISCHARGED]
        for j, visit in enumerate(done[-2:]):
            text, tags, mood = JOURNAL_TEXTS[(i + j) % len(JOURNAL_TEXTS)]
            at = visit.ends_at + timedelta(hours=3)
            if at < ctx.now:
                do_add_journal_entry(patient.user, patient, text=text, mood=mood, tags=tags, visit=visit,  # type: ignore[arg-type]
                                     shared=(i + j) % 2 == 0, submission_key=f"demo-j-{visit.pk}", now=at)
        if i >= 5:
            continue
        for back in range(7, 0, -1):
            night = ctx.today - timedelta(days=back)
            zone = ctx.clinic.zone
            bed = datetime.combine(night, time(22, rng.choice((0, 15, 30, 45))), tzinfo=zone)
            tried = bed + timedelta(minutes=rng.choice((10, 20, 30)))
            wake = datetime.combine(night + timedelta(days=1), time(6, rng.choice((0, 20, 40))), tzinfo=zone)
            awakenings = rng.randint(0, 3)
            try:
                do_add_sleep_diary_entry(
                    patient.user, patient, night_of=night, in_bed=bed, tried_to_sleep=tried,  # type: ignore[arg-type]
                    sleep_onset_minutes=max(5, rng.choice((10, 20, 35, 50)) - (7 - back) * 2), awakenings=awakenings,
                    wake_after_sleep_onset_minutes=awakenings * rng.choice((5, 10, 20)), final_wake=wake,
                    out_of_bed=wake + timedelta(minutes=rng.choice((5, 15, 30))), quality=min(5, 2 + (7 - back) // 2),
                    now=wake + timedelta(hours=1) if wake + timedelta(hours=1) < ctx.now else ctx.now)
            except OutcomeError:
                continue


def _safety(ctx: Any, w: _Writer, induction: list[Patient]) -> None:
    """One open same-day task (raised this morning) and one closed with its follow-up last week."""
    if len(induction) < 2:
        return
    today_9 = min(ctx.at(ctx.today, time(9, 5)), ctx.now - timedelta(minutes=30))
    w.answer(induction[3], "phq9", 16, today_9, item9=1)
    closed_patient = induction[1]
    raised = ctx.now - timedelta(days=6)
    response = w.answer(closed_patient, "phq9", 14, raised, item9=1)
    if response is not None and hasattr(response, "safety_task"):
        do_close_safety_task(ctx.staff["nurse"], response.safety_task, contacted_by_name="Grace Kim, RN",
                             contacted_at=raised + timedelta(hours=2),
                             action_taken="Called the patient within two hours. Passive thoughts, no plan or intent. "
                             "Reviewed safety plan and 988; discussed with Dr. Ortiz, who cleared Friday's infusion.",
                             outcome=SafetyOutcome.SAFE_PLAN, now=raised + timedelta(hours=2, minutes=10))


def _reviews(ctx: Any, discharged: list[Patient]) -> None:
    """Recorded decisions for patients discharged from care after induction."""
    for patient in discharged:
        visits = _course_visits(patient)
        if not visits:
            continue
        course = visits[0].course
        decided = visits[-1].ends_at + timedelta(days=2)
        do_record_course_review(ctx.staff["provider"], course, decision="stop",
                                reason="Reviewed with the patient after induction; no maintenance for now, "
                                "follow-up with their psychiatrist.", submission_key=f"demo-review-{course.pk}",
                                now=min(decided, ctx.now))
