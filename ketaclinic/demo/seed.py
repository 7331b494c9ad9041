"""The demo clinic: realistic people at every stage, built only through actions.

`seed_demo` is idempotent: the core (clinic, staff, patients, chairs, courses, visits) is
created once; each stage app's `demo.seed(ctx)` hook checks its own records before writing,
so running the command again adds nothing twice. Stage apps register in DEMO_HOOKS.
"""

from __future__ import annotations

import base64
import importlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from ketaclinic.accounts.actions import do_grant_role, do_provision_totp
from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Role
from ketaclinic.clinics.actions import do_create_clinic
from ketaclinic.clinics.models import Clinic
from ketaclinic.courses.actions import do_create_course
from ketaclinic.courses.models import CourseKind, TreatmentCourse
from ketaclinic.patients.actions import do_register_patient
from ketaclinic.patients.models import Patient, Stage
from ketaclinic.schedule.actions import (
    SlotTaken,
    do_add_nurse_shift,
    do_book_visit,
    do_create_chair,
    do_set_opening_hours,
    do_set_visit_status,
)
from ketaclinic.schedule.models import Chair, Visit, VisitStatus

DEMO_SLUG = "harbor-demo"
DEMO_PASSWORD = "ketaclinic-demo"  # noqa: S105 — printed for the demo; never a real account
DEMO_TOTP_KEY_HEX = "6b657461636c696e69632d64656d6f2d32303237"  # b"ketaclinic-demo-2027"
# Each stage app's demo module has seed(ctx) -> None and must be idempotent. Order matters:
# later stages read what earlier ones wrote.
DEMO_HOOKS: list[str] = [
    "ketaclinic.screening.demo",
    "ketaclinic.courses.demo",
    "ketaclinic.schedule.demo",
    "ketaclinic.notifications.demo",
    "ketaclinic.preparation.demo",
    "ketaclinic.consent.demo",  # before infusions: the readiness gate needs signed consent
    "ketaclinic.infusions.demo",
    "ketaclinic.outcomes.demo",
    "ketaclinic.messaging.demo",
    "ketaclinic.interop.demo",
    "ketaclinic.guide.demo",
]


@dataclass
class DemoContext:
    clinic: Clinic
    now: datetime
    staff: dict[str, User]
    patients: dict[str, list[Patient]] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(2027))  # noqa: S311 — demo data only

    @property
    def today(self) -> date:
        return timezone.localdate(self.now, timezone=self.clinic.zone)

    def at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.clinic.zone)


STAFF = [
    ("admin", Role.ADMIN, "Alex Morgan", "", "admin@demo.ketaclinic.org"),
    ("director", Role.MEDICAL_DIRECTOR, "Dr. Hannah Lee", "MD", "director@demo.ketaclinic.org"),
    ("provider", Role.PROVIDER, "Dr. Samuel Ortiz", "MD", "provider@demo.ketaclinic.org"),
    ("provider2", Role.PROVIDER, "Jordan Patel", "NP", "np@demo.ketaclinic.org"),
    ("nurse", Role.NURSE, "Grace Kim", "RN", "nurse@demo.ketaclinic.org"),
    ("nurse2", Role.NURSE, "Luis Romero", "RN", "nurse2@demo.ketaclinic.org"),
    ("nurse3", Role.NURSE, "Priya Shah", "RN", "nurse3@demo.ketaclinic.org"),
    ("front_desk", Role.FRONT_DESK, "Tom Becker", "", "frontdesk@demo.ketaclinic.org"),
]

FIRST = ["Maya", "Daniel", "Aisha", "Robert", "Elena", "Marcus", "Sofia", "James", "Priya", "Carlos", "Hannah",
         "Kevin", "Grace", "Tyrone", "Lucia", "Ethan", "Nora", "Samuel", "Fatima", "Liam", "Olivia", "Diego",
         "Chloe", "Andre", "Mei", "Victor", "Rosa", "Brian", "Leah", "Omar", "Julia", "Hector", "Emma", "Isaac",
         "Zoe", "Martin", "Amara", "Paul", "Ingrid", "Theo"]
LAST = ["Reyes", "Novak", "Johnson", "Chen", "Garcia", "Brooks", "Moreno", "Walsh", "Iyer", "Mendoza", "Fischer",
        "Okafor", "Park", "Williams", "Santos", "Murphy", "Haddad", "Kowalski", "Ali", "O'Brien", "Nguyen",
        "Ramirez", "Dubois", "Jackson", "Lin", "Petrov", "Castillo", "Foster", "Klein", "Hassan", "Rossi",
        "Delgado", "Wright", "Cohen", "Adams", "Larsen", "Eze", "Turner", "Berg", "Silva"]
# 40 patients: how many at each stage
STAGE_PLAN = [(Stage.REFERRED, 5), (Stage.SCREENING, 6), (Stage.APPROVED, 4), (Stage.DECLINED, 2),
              (Stage.INDUCTION, 10), (Stage.MAINTENANCE, 9), (Stage.DISCHARGED, 4)]
INDICATIONS = ["F33.2", "F33.1", "F32.2", "F41.1", "F43.10", "G90.511", "F33.2", "F33.1"]


def totp_key_base32() -> str:
    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode().rstrip("=")


def _user(email: str, full_name: str, credentials: str = "") -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=full_name,
                                        credentials=credentials)
    return user


def seed(*, now: datetime | None = None, log: Any = print) -> DemoContext:
    now = now or timezone.now()
    clinic = Clinic.objects.filter(slug=DEMO_SLUG).first()
    created = clinic is None
    if clinic is None:
        clinic = do_create_clinic(
            None, name="Harbor Ketamine Clinic", slug=DEMO_SLUG, tz="America/New_York",
            address="210 Harbor Street, Suite 4, Portland, ME 04101", phone="(207) 555-0142",
            on_call_phone="(207) 555-0199",
            parking_info="Free parking behind the building; the entrance is by the blue awning.",
            support_person_policy="One support person may wait in the lounge. They cannot sit in the infusion room.",
        )
    staff = {}
    for key, role, name, credentials, email in STAFF:
        user = _user(email, name, credentials)
        if created:
            do_grant_role(None, clinic, user, role)
            do_provision_totp(user, DEMO_TOTP_KEY_HEX)
        staff[key] = user
    ctx = DemoContext(clinic=clinic, now=now, staff=staff)
    if created:
        log("Creating the demo clinic…")
        _seed_schedule_frame(ctx)
        _seed_patients(ctx)
        _seed_courses_and_visits(ctx)
    else:
        log("The demo clinic already exists; only missing parts are added.")
        for stage in Stage:
            ctx.patients[stage.value] = list(Patient.objects.filter(clinic=clinic, stage=stage).order_by("id"))
    for module_name in DEMO_HOOKS:
        importlib.import_module(module_name).seed(ctx)
    return ctx


def _seed_schedule_frame(ctx: DemoContext) -> None:
    for n in range(1, 7):
        do_create_chair(None, ctx.clinic, f"Chair {n}", monitor_device_id=f"MON-{n:02d}")
    for weekday in range(5):
        do_set_opening_hours(None, ctx.clinic, weekday, time(8, 0), time(18, 0))
    nurses = [ctx.staff["nurse"], ctx.staff["nurse2"], ctx.staff["nurse3"]]
    for offset in range(-30, 22):
        day = ctx.today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for i, nurse in enumerate(nurses):
            start = time(8, 0) if i < 2 else time(9, 30)
            end = time(16, 30) if i < 2 else time(18, 0)
            do_add_nurse_shift(None, ctx.clinic, nurse, ctx.at(day, start), ctx.at(day, end))


def _seed_patients(ctx: DemoContext) -> None:
    rng = ctx.rng
    index = 0
    for stage, count in STAGE_PLAN:
        ctx.patients[stage.value] = []
        for _ in range(count):
            first, last = FIRST[index], LAST[index]
            born = date(1958 + rng.randrange(0, 45), rng.randrange(1, 13), rng.randrange(1, 28))
            patient = do_register_patient(
                ctx.staff["front_desk"], ctx.clinic, first_name=first, last_name=last, date_of_birth=born,
                sex_at_birth="female" if index % 2 == 0 else "male",
                email=f"patient{index + 1:02d}@demo.ketaclinic.org", phone=f"(207) 555-{1000 + index:04d}",
                preferred_language="es" if first in ("Lucia", "Diego") else "en", stage=stage,
                now=ctx.now - timedelta(days=60 - index),
            )
            user = _user(patient.email, patient.display_name)
            do_grant_role(None, ctx.clinic, user, Role.PATIENT)
            patient.user = user  # link the portal account (the invitation flow does this in real use)
            patient.save(update_fields=["user"])
            ctx.patients[stage.value].append(patient)
            index += 1


def _book(ctx: DemoContext, course: TreatmentCourse, day: date, number: int, preferred: time) -> Visit | None:
    chairs = list(Chair.objects.filter(clinic=ctx.clinic).order_by("name"))
    start_minutes = preferred.hour * 60 + preferred.minute
    for shift in range(0, 8 * 60, 30):
        minutes = start_minutes + shift
        if minutes + course.visit_minutes > 18 * 60:
            break
        for chair in chairs:
            try:
                return do_book_visit(ctx.staff["front_desk"], course, chair,
                                     ctx.at(day, time(minutes // 60, minutes % 60)), number=number, now=ctx.now)
            except SlotTaken:
                continue
    return None


def _course_days(start: date, count: int) -> list[date]:
    """Mon/Wed/Fri style spacing: every other weekday, skipping weekends."""
    days: list[date] = []
    day = start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
            day += timedelta(days=2)
        else:
            day += timedelta(days=1)
    return days


def _seed_courses_and_visits(ctx: DemoContext) -> None:
    rng = ctx.rng
    provider = ctx.staff["provider"]
    times = [time(8, 0), time(9, 0), time(10, 30), time(12, 0), time(13, 30), time(15, 0)]

    def past_or_future(visit: Visit | None) -> None:
        if visit is not None and visit.ends_at < ctx.now:
            do_set_visit_status(ctx.staff["nurse"], visit, VisitStatus.DISCHARGED, now=visit.ends_at,
                                historical=True)

    for i, patient in enumerate(ctx.patients[Stage.INDUCTION]):
        # Induction patients are spread from "just started" to "nearly done".
        start = ctx.today - timedelta(days=2 * i)
        course = do_create_course(provider, patient, indication_code=INDICATIONS[i % len(INDICATIONS)],
                                  earliest_on=start, now=ctx.now - timedelta(days=2 * i + 3))
        for number, day in enumerate(_course_days(start, course.planned_visits), start=1):
            past_or_future(_book(ctx, course, day, number, times[i % len(times)]))
    for i, patient in enumerate(ctx.patients[Stage.MAINTENANCE] + ctx.patients[Stage.DISCHARGED]):
        start = ctx.today - timedelta(days=28 + 3 * i % 10)
        induction = do_create_course(provider, patient, indication_code=INDICATIONS[i % len(INDICATIONS)],
                                     earliest_on=start, now=ctx.now - timedelta(days=40))
        for number, day in enumerate(_course_days(start, induction.planned_visits), start=1):
            past_or_future(_book(ctx, induction, day, number, times[(i + 2) % len(times)]))
        if patient.stage == Stage.MAINTENANCE:
            booster_day = ctx.today + timedelta(days=1 + rng.randrange(0, 20))
            while booster_day.weekday() >= 5:
                booster_day += timedelta(days=1)
            booster = do_create_course(provider, patient, indication_code=induction.indication_code,
                                       kind=CourseKind.MAINTENANCE, earliest_on=booster_day,
                                       latest_start_on=booster_day + timedelta(days=7), now=ctx.now)
            _book(ctx, booster, booster_day, 1, times[(i + 4) % len(times)])
    for patient in ctx.patients[Stage.APPROVED]:
        do_create_course(provider, patient, indication_code="F33.2", earliest_on=ctx.today + timedelta(days=3),
                         now=ctx.now)  # waiting list: approved, not yet scheduled
