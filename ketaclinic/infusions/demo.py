"""Demo infusion day: today's floor board full (every phase) and charted past visits.

Idempotent: today's walk-through runs only while no visit of today has a check-in; the paper-chart
transcription skips visits that already have a record; the stock lot is received once.
Everything goes through actions. Consent's demo is run first (it is idempotent) because the
readiness gate needs signed consent before any pump starts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ketaclinic.consent import demo as consent_demo
from ketaclinic.infusions import actions
from ketaclinic.infusions.actions.history import do_transcribe_paper_record
from ketaclinic.infusions.models import CheckIn, ControlledSubstanceEntry, CsKind, DoseOrder
from ketaclinic.infusions.readiness import readiness, unmet
from ketaclinic.schedule.actions import chair_conflict
from ketaclinic.schedule.models import ACTIVE_STATUSES, Chair, Visit, VisitStatus
from ketaclinic.screening.access import open_review_flags

LOT = "KET-2611-A"
FULL_ALDRETE = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "oxygen_saturation": 2}
ESCORTS = [("Sam Reyes", "spouse"), ("Dana Novak", "sister"), ("Chris Johnson", "friend"), ("Pat Chen", "son"),
           ("Alex Garcia", "partner"), ("Jordan Brooks", "father"), ("Riley Moreno", "daughter")]


def seed(ctx: Any) -> None:
    consent_demo.seed(ctx)
    _receive_stock(ctx)
    _transcribe_past_visits(ctx)
    _fill_today(ctx)


def _receive_stock(ctx: Any) -> None:
    if ControlledSubstanceEntry.objects.filter(clinic=ctx.clinic, lot=LOT, kind=CsKind.RECEIVED).exists():
        return
    actions.do_receive_stock(ctx.staff["nurse"], ctx.clinic, lot=LOT, expires_on=ctx.today + timedelta(days=300),
                             concentration_mg_per_ml=10, mg=5000, note="Demo supplier, invoice 4471",
                             now=ctx.now - timedelta(days=40))


def _dose() -> actions.DoseRequest:
    return actions.parse_request(dose_mg_per_kg="0.5", weight_basis="actual", concentration_mg_per_ml="10",
                                 bag_volume_ml="100", duration_minutes="40")


def _transcribe_past_visits(ctx: Any) -> None:
    """Past 4 weeks: discharged visits get a full record (a few with alerts and adverse events)."""
    rng = ctx.rng
    visits = (Visit.objects.filter(clinic=ctx.clinic, status=VisitStatus.DISCHARGED, dose_orders__isnull=True,
                                   starts_at__gte=ctx.now - timedelta(days=28), starts_at__lt=ctx.now)
              .select_related("patient").order_by("starts_at"))
    for i, visit in enumerate(visits):
        start = visit.infusion_starts_at
        weight = Decimal(55 + (visit.patient_id * 7) % 45)
        vitals = [{"taken_at": start - timedelta(minutes=8), "systolic": 118 + rng.randrange(0, 18),
                   "diastolic": 72 + rng.randrange(0, 12), "heart_rate": 64 + rng.randrange(0, 20), "spo2": 98,
                   "respiratory_rate": 14}]
        for m in range(10, 81, 10):
            surge = 62 if i % 9 == 4 and m == 20 else 0  # a few past visits had a BP alert
            vitals.append({"taken_at": start + timedelta(minutes=m), "systolic": 128 + rng.randrange(0, 22) + surge,
                           "diastolic": 78 + rng.randrange(0, 12), "heart_rate": 70 + rng.randrange(0, 25),
                           "spo2": 96 + rng.randrange(0, 4), "respiratory_rate": 12 + rng.randrange(0, 5)})
        observations = [{"kind": "cadss6", "value": rng.randrange(2, 12),
                         "observed_at": start + timedelta(minutes=40)},
                        {"kind": "rass", "value": -1 if i % 4 == 0 else 0,
                         "observed_at": start + timedelta(minutes=20)}]
        events: list[dict[str, Any]] = []
        if i % 7 == 3:
            events.append({"event_type": "nausea and vomiting", "severity": "moderate",
                           "onset_at": start + timedelta(minutes=30), "action_taken": "Paused, positioned on side",
                           "outcome": "Settled after 10 min", "rescue": ("ondansetron", Decimal(4), "mg", "IV")})
        elif i % 11 == 5:
            events.append({"event_type": "emergence anxiety", "severity": "mild",
                           "onset_at": start + timedelta(minutes=25),
                           "action_taken": "Verbal reassurance, lights down",
                           "outcome": "Resolved"})
        escort = ESCORTS[visit.patient_id % len(ESCORTS)]
        do_transcribe_paper_record(
            ctx.staff["provider"], visit, source_note="Demo data: transcribed from the paper infusion chart",
            nurse=ctx.staff["nurse2" if i % 2 else "nurse"], weight_kg=weight, height_cm=Decimal(165 + i % 20),
            dose=_dose(), started_at=start, vitals=vitals, observations=observations, adverse_events=events,
            aldrete=FULL_ALDRETE, escort_name=escort[0], escort_relationship=escort[1], now=ctx.now)


def _today_visits(ctx: Any) -> list[Visit]:
    day_start = ctx.at(ctx.today, datetime.min.time())
    return list(Visit.objects.filter(clinic=ctx.clinic, starts_at__gte=day_start,
                                     starts_at__lt=day_start + timedelta(days=1))
                .select_related("patient", "chair", "course").order_by("starts_at"))


def _checkin(ctx: Any, visit: Visit, when: datetime, **changes: Any) -> None:
    escort = ESCORTS[visit.patient_id % len(ESCORTS)]
    values: dict[str, Any] = {
        "health_update_reviewed": True, "weight_kg": Decimal(55 + (visit.patient_id * 7) % 45), "height_cm": 170,
        "last_solid_food_at": when - timedelta(hours=13), "last_clear_liquids_at": when - timedelta(hours=3),
        "no_alcohol_or_drugs": True, "medications_taken": "Usual morning medicines", "medications_confirmed": True,
        "ride_name": escort[0], "ride_phone": "(207) 555-0188", "ride_confirmed": True,
        "pregnancy": CheckIn.Pregnancy.NOT_APPLICABLE if visit.patient.sex_at_birth == "female" else "not_done",
    }
    values.update(changes)
    actions.do_record_checkin(ctx.staff["nurse"], visit, now=when, **values)


def _free_chair(ctx: Any, visit: Visit) -> Chair | None:
    busy = set(Visit.objects.filter(clinic=ctx.clinic, status__in=(VisitStatus.IN_CHAIR, VisitStatus.INFUSING,
                                                                   VisitStatus.RECOVERING))
               .values_list("chair_id", flat=True))
    if visit.chair_id and visit.chair_id not in busy:
        return visit.chair
    free = Chair.objects.filter(clinic=ctx.clinic, active=True).exclude(pk__in=busy).order_by("name")
    # a chair nobody else is booked in during this visit (the exclusion constraint insists)
    return next((c for c in free if chair_conflict(visit, c) is None), None)


def _walk(ctx: Any, visit: Visit, phase: str, n: int) -> None:
    """Move one visit of today into `phase` through the live actions, with times ending at ctx.now."""
    nurse, provider = ctx.staff["nurse" if n % 2 else "nurse2"], ctx.staff["provider"]
    # how long ago each phase began, so the board shows realistic minutes
    minutes_back = MINUTES_BACK[phase]
    t0 = ctx.now - timedelta(minutes=minutes_back)
    actions.do_mark_arrived(ctx.staff["front_desk"], visit, now=t0)
    if phase == "arrived":
        return
    chair = _free_chair(ctx, visit)
    if chair is None:
        return  # every chair is taken or booked: the patient waits, arrived, like on a real busy day
    actions.do_take_patient(nurse, visit, chair, now=t0 + timedelta(minutes=3))
    if phase == "pre_checks":
        _checkin(ctx, visit, t0 + timedelta(minutes=8), ride_confirmed=False, medications_confirmed=False)
        actions.do_record_vitals(nurse, visit, systolic=146, diastolic=92, heart_rate=84, spo2=98,
                                 respiratory_rate=15, now=t0 + timedelta(minutes=12))
        return
    _checkin(ctx, visit, t0 + timedelta(minutes=6))
    actions.do_record_vitals(nurse, visit, systolic=124, diastolic=78, heart_rate=72, spo2=98, respiratory_rate=14,
                             now=t0 + timedelta(minutes=8))
    for item in unmet(readiness(visit, now=t0 + timedelta(minutes=10))):
        actions.do_override_gate_item(provider, visit, item.code, now=t0 + timedelta(minutes=9),
                                      reason="Demo: reviewed with the patient at the bedside")
    order = actions.do_order_dose(provider, visit, _dose(), acknowledgement_reason="Demo order",
                                  now=t0 + timedelta(minutes=10))
    start = t0 + timedelta(minutes=12)
    actions.do_record_pump_event(nurse, visit, "start", now=start)
    actions.do_record_cs_administration(nurse, visit, lot=LOT, mg_drawn=50, mg_given=order.dose_mg,
                                        mg_wasted=Decimal(50) - order.dose_mg, witness=ctx.staff["nurse3"],
                                        witness_password=_demo_password(), now=start + timedelta(minutes=1))
    last = start
    for m in range(10, 41, 10):
        at = start + timedelta(minutes=m)
        if at > ctx.now - timedelta(minutes=1) or (phase == "infusing_overdue" and m > 10):
            break
        hr = 116 if phase == "infusing" and m == 20 else 76 + m // 10
        actions.do_record_vitals(nurse, visit, systolic=132 + m // 5, diastolic=82, heart_rate=hr, spo2=97,
                                 respiratory_rate=14, now=at)
        last = at
    if phase == "infusing":
        actions.do_record_observation(nurse, visit, "rass", value=-1, now=last)
        actions.do_request_nurse(visit.patient.user, visit, now=ctx.now - timedelta(minutes=2))  # type: ignore[arg-type]
    if phase in ("infusing", "infusing_overdue"):
        return
    actions.do_record_observation(nurse, visit, "cadss6", value=7, now=start + timedelta(minutes=40))
    if phase == "recovering":
        actions.do_record_adverse_event(nurse, visit, event_type="nausea", severity="moderate",
                                        action_taken="Paused briefly, ondansetron given", outcome="Improving",
                                        provider_notified=provider, now=start + timedelta(minutes=35))
        actions.do_give_rescue_medication(nurse, visit, drug="ondansetron", dose=4, unit="mg", route="IV",
                                          ordered_by=provider, now=start + timedelta(minutes=36))
    stop = start + timedelta(minutes=40)
    actions.do_record_pump_event(nurse, visit, "stop", volume_infused_ml=order.total_volume_ml, now=stop)
    actions.do_record_vitals(nurse, visit, systolic=128, diastolic=80, heart_rate=74, spo2=98, respiratory_rate=14,
                             now=stop + timedelta(minutes=1))
    score_at = min(ctx.now - timedelta(minutes=1), stop + timedelta(minutes=35))
    actions.do_record_vitals(nurse, visit, systolic=124, diastolic=78, heart_rate=70, spo2=98, respiratory_rate=14,
                             now=score_at - timedelta(minutes=1))
    actions.do_score_discharge(nurse, visit, "aldrete", FULL_ALDRETE, now=score_at)


def _demo_password() -> str:
    from ketaclinic.demo.seed import DEMO_PASSWORD

    return DEMO_PASSWORD


PHASE_PLAN = ["ready", "recovering", "infusing", "infusing_overdue", "pre_checks", "arrived"]
# How long ago each walk begins (arrival); the pump starts 12 minutes later and runs 40 minutes.
MINUTES_BACK = {"arrived": 6, "pre_checks": 25, "infusing": 35, "infusing_overdue": 45, "recovering": 70,
                "ready": 100}


def _book_today(ctx: Any, minutes_back: int, taken: set[int]) -> Visit | None:
    """Book a same-day maintenance booster for a patient with nothing today, starting just before the phase."""
    from ketaclinic.courses.actions import do_create_course
    from ketaclinic.courses.models import CourseKind
    from ketaclinic.patients.models import Stage
    from ketaclinic.schedule.actions import SlotTaken, do_book_visit

    start = ctx.now - timedelta(minutes=minutes_back + 5)
    start = start.replace(minute=start.minute - start.minute % 5, second=0, microsecond=0)
    chairs = list(Chair.objects.filter(clinic=ctx.clinic, active=True).order_by("name"))
    rules = ctx.clinic.protocol().course
    end = start + timedelta(minutes=rules.checkin_min + rules.infusion_min + rules.recovery_min)
    busy = set(Visit.objects.filter(clinic=ctx.clinic, status__in=ACTIVE_STATUSES, starts_at__lt=end,
                                    ends_at__gt=start).values_list("chair_id", flat=True))
    free = [c for c in chairs if c.pk not in busy]
    for patient in ctx.patients.get(Stage.MAINTENANCE, []) + ctx.patients.get(Stage.INDUCTION, []):
        if not free:
            return None
        if patient.pk in taken or patient.user_id is None:
            continue
        if Visit.objects.filter(patient=patient, status__in=ACTIVE_STATUSES, starts_at__lt=end,
                                ends_at__gt=start).exists():
            continue
        # Only now create the booster course, so no unbooked course is left for the waitlist.
        course = do_create_course(ctx.staff["provider"], patient, indication_code="F33.2",
                                  kind=CourseKind.MAINTENANCE, earliest_on=ctx.today, now=start - timedelta(days=3))
        taken.add(patient.pk)
        try:
            return do_book_visit(ctx.staff["front_desk"], course, free[0], start, now=start - timedelta(days=2))
        except SlotTaken:
            return None
    return None


def _fill_today(ctx: Any) -> None:
    visits = _today_visits(ctx)
    if CheckIn.objects.filter(visit__in=visits).exists() or DoseOrder.objects.filter(visit__in=visits).exists():
        return  # today's board was filled on an earlier run
    local = ctx.now.astimezone(ctx.clinic.zone)
    if local.hour < 3:
        return  # too close to midnight for a believable day on the floor
    # Patients booked for the next few hours may come early; they fill the waiting-room phases first.
    waiting = [v for v in visits if v.status in (VisitStatus.BOOKED, VisitStatus.CONFIRMED)
               and v.starts_at <= ctx.now + timedelta(hours=3)
               and not open_review_flags(v.patient).exists() and v.patient.user_id is not None]
    taken = {v.patient_id for v in visits}
    for n, phase in enumerate(PHASE_PLAN):
        early = phase in ("arrived", "pre_checks")
        visit = waiting.pop() if early and waiting else _book_today(ctx, MINUTES_BACK[phase], taken)
        if visit is None and waiting:
            visit = waiting.pop()
        if visit is not None:
            _walk(ctx, visit, phase, n)
