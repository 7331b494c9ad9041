"""Offering guide pages by email/text at the moments they matter (docs/notifications.md).

The portal's task list shows the pages due now (access.pages_due); this sends a short message
with a link to the page, in the patient's language, at the same stage moments:

- approved at screening → "course" (what treatment is and how a course works);
- first visit of a course booked (more than 36 h ahead) → "before";
- the day before that first visit → "before" again, as a reminder to get ready;
- checked in for it → "during"; discharged from it → "after"; one week after it → "sleep".

`sweep_guide_messages(worker_id)` is a due-work handler (ketaclinic.worker.DUE_WORK). Each
clinic has one `GuideSweep` row; a worker claims a clinic whose sweep is due with a
conditional UPDATE, queues the offers of that clinic, and sets the next sweep SWEEP_EVERY
later. The moments are read from the records other stages already keep (screening decisions,
visit status and times), so no other app calls into this one. Each offer has a dedupe key per
patient, moment, page and visit, so it is sent once however often the sweep runs; quiet hours
are applied by queue_message. Moments older than LOOKBACK are not announced (a new clinic, or
this feature arriving, does not flood patients), and a page the patient has already opened
is not announced again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.sweeps import run_due_clinic_sweep
from ketaclinic.guide.models import GuideRead, GuideSweep
from ketaclinic.notifications.wording import Fmt, Values, patient_message
from ketaclinic.patients.models import Patient, Stage
from ketaclinic.schedule.models import Visit, VisitStatus

SWEEP_EVERY = timedelta(minutes=5)
CLAIM_TIMEOUT = timedelta(minutes=10)
LOOKBACK = timedelta(days=2)
BOOKED_WELL_AHEAD = timedelta(hours=36)  # booked closer than this: the day-before offer covers it
DAY_BEFORE = timedelta(hours=24)
ONE_WEEK = timedelta(days=7)
IN_CLINIC = (VisitStatus.ARRIVED, VisitStatus.IN_CHAIR, VisitStatus.INFUSING, VisitStatus.RECOVERING)
UPCOMING = (VisitStatus.BOOKED, VisitStatus.CONFIRMED)


@dataclass(frozen=True)
class Offer:
    """One page to offer one patient, at one stage moment."""

    patient: Patient
    moment: str  # approved | booked | day_before | checked_in | discharged | week_one
    slug: str
    visit: Visit | None
    not_after: datetime | None = None

    @property
    def kind(self) -> str:
        return "guide.before_day" if self.moment == "day_before" else f"guide.{self.slug}"

    @property
    def dedupe_key(self) -> str:
        visit = f"{self.visit.pk}@{self.visit.starts_at.astimezone(UTC):%Y%m%dT%H%M}" if self.visit else "-"
        return f"guide:{self.patient.pk}:{self.moment}:{self.slug}:{visit}"


def _visit_offers(visit: Visit, now: datetime) -> list[Offer]:
    """The offers a first visit of a course gives at `now` (none, one, rarely two)."""
    patient, offers = visit.patient, []
    if visit.status in UPCOMING and visit.starts_at > now:
        if visit.starts_at - now <= DAY_BEFORE:
            offers.append(Offer(patient, "day_before", "before", visit, not_after=visit.starts_at))
        elif (now - LOOKBACK <= visit.created_at <= now
              and visit.starts_at - visit.created_at > BOOKED_WELL_AHEAD):
            offers.append(Offer(patient, "booked", "before", visit, not_after=visit.starts_at - DAY_BEFORE))
    elif visit.status in IN_CLINIC and visit.starts_at >= now - timedelta(hours=12):
        offers.append(Offer(patient, "checked_in", "during", visit, not_after=visit.ends_at))
    elif visit.status == VisitStatus.DISCHARGED:
        changed = visit.status_changed_at or visit.ends_at
        if now - LOOKBACK <= changed <= now:
            offers.append(Offer(patient, "discharged", "after", visit))
        if visit.starts_at + ONE_WEEK <= now < visit.starts_at + ONE_WEEK + LOOKBACK:
            offers.append(Offer(patient, "week_one", "sleep", visit))
    return offers


def offers_for_clinic(clinic: Clinic, now: datetime) -> list[Offer]:
    """Every page to offer this clinic's patients now, before removing pages already read (3 queries)."""
    from ketaclinic.screening.models import Decision, ScreeningDecision

    offers: list[Offer] = []
    approvals = (ScreeningDecision.objects
                 .filter(patient__clinic=clinic, decision=Decision.APPROVE, decided_at__gte=now - LOOKBACK,
                         decided_at__lte=now, patient__user__isnull=False)
                 .exclude(patient__stage__in=[Stage.DECLINED, Stage.DISCHARGED])
                 .select_related("patient__clinic").order_by("decided_at"))
    seen: set[int] = set()
    for decision in approvals:
        if decision.patient_id not in seen:
            seen.add(decision.patient_id)
            offers.append(Offer(decision.patient, "approved", "course", None))
    discharged = VisitStatus.DISCHARGED
    window = (Q(status__in=UPCOMING, starts_at__gt=now, starts_at__lte=now + DAY_BEFORE)
              | Q(status__in=UPCOMING, starts_at__gt=now + BOOKED_WELL_AHEAD, created_at__gte=now - LOOKBACK)
              | Q(status__in=IN_CLINIC, starts_at__gte=now - timedelta(hours=12),
                  starts_at__lte=now + timedelta(hours=2))
              | Q(status=discharged, status_changed_at__gte=now - LOOKBACK)
              | Q(status=discharged, starts_at__gt=now - ONE_WEEK - LOOKBACK, starts_at__lte=now - ONE_WEEK))
    visits = (Visit.objects.filter(window, clinic=clinic, number=1, patient__user__isnull=False)
              .select_related("patient__clinic").order_by("starts_at"))
    for visit in visits:
        offers.extend(_visit_offers(visit, now))
    return offers


def _link(slug: str) -> str:
    return f"{settings.SITE_URL}{reverse('guide:page', args=[slug])}"


def queue_guide_offers(clinic: Clinic, now: datetime) -> int:
    """Queue this clinic's due offers (skipping pages already read). Returns how many were queued or found."""
    from ketaclinic.notifications.actions import queue_patient_message

    offers = offers_for_clinic(clinic, now)
    if not offers:
        return 0
    read = set(GuideRead.objects.filter(patient__in={o.patient.pk for o in offers}).values_list("patient_id", "slug"))
    outcomes = clinic.protocol().outcomes
    count = 0
    for offer in offers:
        if (offer.patient.pk, offer.slug) in read:
            continue
        if offer.not_after is not None and offer.not_after <= now:
            continue
        values: dict[str, Any] = {"first_name": offer.patient.first_name, "clinic": clinic.name,
                                  "link": _link(offer.slug), "crisis_line": outcomes.crisis_line,
                                  "emergency_number": outcomes.emergency_number,
                                  "visit_start": offer.visit.starts_at if offer.visit else None}
        queue_patient_message(patient=offer.patient, kind=offer.kind, values=values, due_at=now, visit=offer.visit,
                              dedupe_key=offer.dedupe_key, now=now, not_after=offer.not_after)
        count += 1
    return count


def sweep_guide_messages(worker_id: str, *, now: datetime | None = None) -> bool:
    """Claim one clinic whose guide sweep is due and queue its guide offers (clinics.sweeps)."""
    at = now or timezone.now()
    return run_due_clinic_sweep(GuideSweep, worker_id, at, every=SWEEP_EVERY, claim_timeout=CLAIM_TIMEOUT,
                                work=lambda clinic: queue_guide_offers(clinic, at))


# --- the messages (plain, short, no health details: a page title and a link) -----------------

_SAMPLE = {"first_name": "Maya", "clinic": "Harbor Clinic", "link": "https://portal.example/guide/before/",
           "crisis_line": "988", "emergency_number": "911",
           "visit_start": datetime(2026, 12, 3, 14, 30, tzinfo=UTC)}


@patient_message("guide.course", sample=_SAMPLE)
def course_offer(f: Fmt, v: Values) -> tuple[str, str]:
    body = "\n".join([
        _("Hello %(name)s,") % {"name": v["first_name"]},
        _("You can now start your treatment at %(clinic)s.") % {"clinic": v["clinic"]} + " "
        + _("We wrote a short guide for you. It explains the treatment and how a series of visits works."),
        _("Read it here: %(link)s") % {"link": v["link"]},
    ])
    return _("How your treatment works"), body


@patient_message("guide.before", sample=_SAMPLE)
def before_offer(f: Fmt, v: Values) -> tuple[str, str]:
    body = "\n".join([
        _("Your first visit at %(clinic)s is booked for %(when)s.") % {"clinic": v["clinic"],
                                                                         "when": f.when(v["visit_start"])},
        _("Our guide page tells you how to get ready and what to bring."),
        _("Read it here: %(link)s") % {"link": v["link"]},
    ])
    return _("Getting ready for your first visit"), body


@patient_message("guide.before_day", sample=_SAMPLE)
def before_day_offer(f: Fmt, v: Values) -> tuple[str, str]:
    body = "\n".join([
        _("Your first visit at %(clinic)s is at %(when)s.") % {"clinic": v["clinic"],
                                                                 "when": f.when(v["visit_start"])},
        _("Take a few minutes to read how to get ready. It also says what to bring and what to leave at home."),
        _("Read it here: %(link)s") % {"link": v["link"]},
    ])
    return _("Your first visit is coming up"), body


@patient_message("guide.during", sample=_SAMPLE)
def during_offer(f: Fmt, v: Values) -> tuple[str, str]:
    body = "\n".join([
        _("Welcome to %(clinic)s.") % {"clinic": v["clinic"]} + " "
        + _("If you like, read what the infusion feels like while you wait."),
        _("Read it here: %(link)s") % {"link": v["link"]},
        _("You can ask your nurse for help at any time."),
    ])
    return _("What the infusion feels like"), body


@patient_message("guide.after", sample=_SAMPLE)
def after_offer(f: Fmt, v: Values) -> tuple[str, str]:
    body = "\n".join([
        _("Our guide page about the hours after your infusion says what is common and when to call us."),
        _("Read it here: %(link)s") % {"link": v["link"]},
        _("If you are thinking about hurting yourself, call or text %(crisis_line)s any time.")
        % {"crisis_line": v["crisis_line"]} + " "
        + _("In an emergency, call %(emergency_number)s.") % {"emergency_number": v["emergency_number"]},
    ])
    return _("Taking care of yourself after your infusion"), body


@patient_message("guide.sleep", sample=_SAMPLE)
def sleep_offer(f: Fmt, v: Values) -> tuple[str, str]:
    body = "\n".join([
        _("Sleep often changes during treatment. Our guide page says how, and how your sleep diary can help."),
        _("Read it here: %(link)s") % {"link": v["link"]},
    ])
    return _("Your sleep during treatment"), body
