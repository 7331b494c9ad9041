"""Demo data for preparation (called by ketaclinic.demo.seed; idempotent; actions only).

Today's and tomorrow's visits get plans and are spread over every readiness state (ready,
ride unconfirmed, health update pending, flagged for review, not attested), one patient has
an agreed medication hold, a few messages are sent, and one message fails (a walk-in patient
registered without any email or phone) so the staff failed-messages list has something real.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from ketaclinic.courses.actions import do_create_course
from ketaclinic.notifications.delivery import send_one_due_message
from ketaclinic.patients.actions import do_register_patient
from ketaclinic.preparation.actions import (
    HealthAnswers,
    do_add_medication_instruction,
    do_record_attestation,
    do_record_ride,
    do_submit_health_update,
)
from ketaclinic.preparation.models import PreparationPlan
from ketaclinic.preparation.plans import ensure_preparation_for_visit
from ketaclinic.preparation.sweep import open_one_ride_task
from ketaclinic.schedule.actions import SlotTaken, do_book_visit
from ketaclinic.schedule.models import Chair, Visit, VisitStatus

FINE = HealthAnswers(new_illness=False, surgery=False, new_symptoms=False, new_medications=False, pregnant="na")
FLAGGED = HealthAnswers(new_illness=False, surgery=False, new_symptoms=True,
                        new_symptoms_details="Bad headaches most days this week.", new_medications=False,
                        pregnant="na")
ESCORTS = [("Chris Reyes", "(207) 555-0301", "partner"), ("Dana Novak", "(207) 555-0302", "sister"),
           ("Eli Brooks", "(207) 555-0303", "friend"), ("Fay Moreno", "(207) 555-0304", "mother")]
TODAY_STATES = ["ready", "ride_unconfirmed", "health_update_pending", "flagged", "not_attested"]
TOMORROW_STATES = ["ready", "ride_unconfirmed", "health_update_pending", "flagged"]


def seed(ctx: Any) -> None:
    if PreparationPlan.objects.filter(clinic=ctx.clinic).exists():
        return
    zone = ctx.clinic.zone
    _walk_in_without_contact(ctx)  # first, so its message is among the few sent below
    _same_day_boosters(ctx)
    upcoming = list(Visit.objects.filter(clinic=ctx.clinic, status__in=[VisitStatus.BOOKED, VisitStatus.CONFIRMED],
                                         starts_at__gte=ctx.at(ctx.today, time(0)),
                                         starts_at__lt=ctx.at(ctx.today + timedelta(days=2), time(0)))
                    .select_related("patient__user", "clinic").order_by("starts_at"))
    upcoming = [v for v in upcoming if v.patient.user_id is not None]  # portal users answer for themselves
    today = [v for v in upcoming if v.starts_at.astimezone(zone).date() == ctx.today]
    tomorrow = [v for v in upcoming if v.starts_at.astimezone(zone).date() != ctx.today]
    for visits, states, is_today in ((today, TODAY_STATES, True), (tomorrow, TOMORROW_STATES, False)):
        for i, visit in enumerate(visits):
            ensure_preparation_for_visit(visit, now=ctx.now)
            _make_state(ctx, visit, states[i % len(states)], i, is_today)
    if upcoming:
        do_add_medication_instruction(ctx.staff["provider"], upcoming[-1].patient, medication="lorazepam",
                                      instruction="hold_evening_before", agreed_by_name="Dr. Samuel Ortiz",
                                      reason="Benzodiazepines can blunt the response; agreed to skip the evening "
                                             "dose before each infusion.", now=ctx.now)
    while open_one_ride_task("demo-seed", now=ctx.now):
        pass
    # Send a few of the due messages now (through the configured backend: the console in the
    # demo); the worker started by `make demo` sends the rest. The walk-in's message fails.
    for _ in range(6):
        send_one_due_message("demo-seed", now=ctx.now)


def _make_state(ctx: Any, visit: Visit, state: str, i: int, is_today: bool) -> None:
    user = visit.patient.user
    if user is None:
        return
    name, phone, relation = ESCORTS[i % len(ESCORTS)]
    confirm = state != "ride_unconfirmed"
    do_record_ride(user, visit, kind="adult", escort_name=name, escort_phone=phone, relationship=relation,
                   confirm=confirm, now=ctx.now - timedelta(hours=3))
    if state != "health_update_pending":
        do_submit_health_update(user, visit, FLAGGED if state == "flagged" else FINE,
                                now=ctx.now - timedelta(hours=2))
    if is_today and state != "not_attested":
        do_record_attestation(user, visit, last_solid_food_at=min(ctx.now, visit.starts_at - timedelta(hours=7)),
                              last_clear_liquids_at=min(ctx.now, visit.starts_at - timedelta(hours=3)),
                              no_alcohol_or_drugs=True, medications_taken="Usual morning medicines at 7:00",
                              now=ctx.now)


def _walk_in_without_contact(ctx: Any) -> None:
    """A patient registered by phone without email or mobile, booked for tomorrow."""
    patient = do_register_patient(ctx.staff["front_desk"], ctx.clinic, first_name="Walter", last_name="Grant",
                                  date_of_birth=date(1971, 6, 2), sex_at_birth="male",
                                  stage="induction", now=ctx.now - timedelta(days=5))
    course = do_create_course(ctx.staff["provider"], patient, indication_code="F33.2",
                              earliest_on=ctx.today, now=ctx.now - timedelta(days=4))
    day = ctx.today + timedelta(days=1)
    for chair in Chair.objects.filter(clinic=ctx.clinic).order_by("name"):
        for hour in (15, 14, 13, 12, 11, 10):
            try:
                visit = do_book_visit(ctx.staff["front_desk"], course, chair, ctx.at(day, time(hour)), now=ctx.now)
            except SlotTaken:
                continue
            ensure_preparation_for_visit(visit, now=ctx.now)
            return


def _same_day_boosters(ctx: Any) -> None:
    """Book boosters later today for a few maintenance patients, so today's list has a visit in
    each readiness state (the core demo's induction visits are mostly earlier in the day)."""
    open_minutes = [m for m in range(8 * 60, 16 * 60 + 1, 30)
                    if ctx.at(ctx.today, time(m // 60, m % 60)) > ctx.now + timedelta(hours=1)]
    chairs = list(Chair.objects.filter(clinic=ctx.clinic).order_by("name"))
    wanted = len(TODAY_STATES)
    for patient in ctx.patients.get("maintenance", [])[:wanted]:
        if not open_minutes or patient.user_id is None:
            return
        course = do_create_course(ctx.staff["provider"], patient, indication_code="F33.2", kind="maintenance",
                                  earliest_on=ctx.today, latest_start_on=ctx.today, now=ctx.now - timedelta(days=3),
                                  notes="Same-day booster (demo).")
        booked = False
        for minutes in list(open_minutes):
            for chair in chairs:
                try:
                    do_book_visit(ctx.staff["front_desk"], course, chair,
                                  ctx.at(ctx.today, time(minutes // 60, minutes % 60)), now=ctx.now - timedelta(days=3))
                except SlotTaken:
                    continue
                booked = True
                break
            if booked:
                break
