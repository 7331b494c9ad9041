"""Messages the schedule sends to patients: a freed slot offered to them, a whole course moved.

Both are registered patient messages (notifications/wording.py): the wording below turns plain
values (names, links, aware datetimes) into text, and `queue_patient_message` renders it in
the patient's language with times in the clinic's zone. They are queued inside the caller's
transaction, so a message exists if and only if the offer or the move does.

One message per change a patient sees:
- a single visit that moves (front desk, re-plan, the patient themselves) is told by the
  preparation app's "your visit has moved" notice (`prep.rescheduled`), which also says the
  eating, drinking and arrival times moved with it — when the visit has a preparation plan.
  A visit too far ahead to have one yet (plans are built SWEEP_AHEAD before) has nobody else
  to tell the patient, so the schedule sends `schedule.visit_moved` itself;
- a whole course that moves is told here, once, listing every new time; the preparation app
  asks `told_in_course_move` and skips its per-visit notice for those visits.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from django.conf import settings
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from ketaclinic.audit.models import AuditEvent
from ketaclinic.courses.models import TreatmentCourse
from ketaclinic.notifications.actions import queue_patient_message
from ketaclinic.notifications.wording import Fmt, Values, patient_message
from ketaclinic.patients.models import Patient
from ketaclinic.schedule.models import SlotOffer, Visit

OFFER_KIND = "schedule.slot_offer"
COURSE_MOVED_KIND = "schedule.course_moved"
VISIT_MOVED_KIND = "schedule.visit_moved"
# Audit actions of the two ways a visit moves: actions.do_move_visit (one visit) and
# replan.do_move_course (a whole course, each visit's from/to in its details).
VISIT_MOVED_EVENT = "VISIT_MOVED"
COURSE_MOVED_EVENT = "COURSE_MOVED"


def _portal(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def when_phrase(moment: datetime, patient: Patient) -> str:
    """'Monday, January 4 at 9:30 AM' / 'lunes 4 de enero a las 09:30', in the clinic's zone.

    For the portal pages' confirmations; call inside translation.override(patient's language).
    """
    local = moment.astimezone(patient.clinic.zone)
    day = formats.date_format(local, _("l, F j"))
    clock = formats.date_format(local, _("g:i A"))
    return _("%(day)s at %(time)s") % {"day": day, "time": clock}


# --- wording (plain, no health details: times, the clinic and links only) --------------------

_SAMPLE_START = datetime(2026, 12, 3, 14, 30, tzinfo=UTC)  # 9:30 AM in New York
_SAMPLE = {"clinic": "Harbor Clinic", "clinic_phone": "555-0100", "link": "https://portal.example/schedule/my/"}


def _call_us(v: Values, *, with_phone: str, without_phone: str) -> str:
    return with_phone % {"phone": v["clinic_phone"]} if v.get("clinic_phone") else without_phone


@patient_message(OFFER_KIND, sample={**_SAMPLE, "slot_start": _SAMPLE_START, "planned_visits": 6,
                                     "link": "https://portal.example/schedule/my/#offer-7"})
def slot_offer_text(f: Fmt, v: Values) -> tuple[str, str]:
    when = f.when(v["slot_start"])
    subject = _("A visit time opened up: %(when)s") % {"when": when}
    lines = [_("Good news: a spot opened up at %(clinic)s for %(when)s.") % {"clinic": v["clinic"], "when": when}]
    if v["planned_visits"] > 1:
        lines.append(_("If you take it, we will book all %(count)s of your visits, starting that day.")
                     % {"count": v["planned_visits"]})
    lines.append(_("The first person to say yes gets it. To take it, sign in here: %(link)s") % {"link": v["link"]})
    lines.append(_call_us(v, with_phone=_("Questions? Call us at %(phone)s."),
                          without_phone=_("Questions? Call the clinic.")))
    return subject, "\n".join(lines)


@patient_message(COURSE_MOVED_KIND, sample={**_SAMPLE, "visit_starts": [
    _SAMPLE_START, _SAMPLE_START.replace(day=7), _SAMPLE_START.replace(day=9, hour=19)]})
def course_moved_text(f: Fmt, v: Values) -> tuple[str, str]:
    lines = [_("We moved your treatment series to new dates. Your visits are now:")]
    lines += [f"- {f.when(start)}" for start in sorted(v["visit_starts"])]
    lines.append(_("Your times for eating, drinking and arriving have changed too."))
    lines.append(_("Please check your ride home for the new times. See all your visits: %(link)s")
                 % {"link": v["link"]})
    lines.append(_call_us(v, with_phone=_("If the new times do not work for you, please call us at %(phone)s."),
                          without_phone=_("If the new times do not work for you, please call the clinic.")))
    return _("Your treatment series has new dates"), "\n".join(lines)


@patient_message(VISIT_MOVED_KIND, sample={**_SAMPLE, "old_start": _SAMPLE_START,
                                           "new_start": _SAMPLE_START.replace(day=7)})
def visit_moved_text(f: Fmt, v: Values) -> tuple[str, str]:
    new = f.when(v["new_start"])
    lines = [_("Your visit has moved. It was %(old)s. It is now %(new)s.") % {"old": f.when(v["old_start"]),
                                                                              "new": new},
             _("We will send you your times for eating, drinking and arriving closer to the day."),
             _("Please check your ride home for the new time. See all your visits: %(link)s") % {"link": v["link"]},
             _call_us(v, with_phone=_("If the new time does not work for you, please call us at %(phone)s."),
                      without_phone=_("If the new time does not work for you, please call the clinic."))]
    return _("Your visit has a new time: %(when)s") % {"when": new}, "\n".join(lines)


# --- queueing -------------------------------------------------------------------------------


def queue_slot_offer_message(patient: Patient, offer: SlotOffer, *, planned_visits: int, now: datetime) -> None:
    """Tell a waiting patient an earlier time opened up, with a link to say yes in the portal.

    One message per offer and patient (dedupe key); useless once the slot has started.
    """
    clinic = offer.clinic
    queue_patient_message(
        patient=patient, kind=OFFER_KIND, due_at=now, now=now, not_after=offer.starts_at,
        dedupe_key=f"schedule:offer:{offer.pk}:patient:{patient.pk}",
        values={"clinic": clinic.name, "clinic_phone": clinic.phone, "slot_start": offer.starts_at,
                "planned_visits": planned_visits,
                "link": _portal(reverse("schedule:my_visits")) + f"#offer-{offer.pk}"})


def queue_visit_moved_message(visit: Visit, old_start: datetime, *, now: datetime) -> None:
    """Tell the patient one visit moved, when no preparation plan will (see the module docstring)."""
    if Visit.objects.filter(pk=visit.pk, preparation__isnull=False).exists():
        return  # the preparation app's "your visit has moved" notice tells them
    clinic = visit.clinic
    queue_patient_message(
        patient=visit.patient, kind=VISIT_MOVED_KIND, due_at=now, now=now, not_after=visit.starts_at, visit=visit,
        dedupe_key=f"schedule:moved:{visit.pk}:{visit.starts_at.isoformat()}",
        values={"clinic": clinic.name, "clinic_phone": clinic.phone, "old_start": old_start,
                "new_start": visit.starts_at, "link": _portal(reverse("schedule:my_visits"))})


def queue_course_moved_message(course: TreatmentCourse, visits: list[Visit], *, now: datetime) -> None:
    """Tell the patient their treatment series has new dates: one message listing every new time.

    `visits` are the visits whose start changed. The same new times queued twice are one message.
    """
    clinic = course.clinic
    starts = sorted(v.starts_at for v in visits)
    stamp = hashlib.sha256(",".join(f"{v.pk}@{v.starts_at.isoformat()}" for v in visits).encode()).hexdigest()[:16]
    queue_patient_message(
        patient=course.patient, kind=COURSE_MOVED_KIND, due_at=now, now=now, not_after=starts[0],
        dedupe_key=f"schedule:course-moved:{course.pk}:{stamp}",
        values={"clinic": clinic.name, "clinic_phone": clinic.phone, "visit_starts": starts,
                "link": _portal(reverse("schedule:my_visits"))})


def told_in_course_move(visit: Visit) -> bool:
    """True when the latest move of `visit` was a whole-course move to where it is now: that
    move's one message (every new time) already told the patient, and a per-visit notice
    would say it again.

    Read from the moves' own audit events (each written in the same transaction as its move,
    and the course move's with its message): a later move of the visit by any other path
    (front desk, re-plan, the patient) is newer, so it is still told.
    """
    events = (AuditEvent.objects.filter(patient_ref=visit.patient_id, action__in=[VISIT_MOVED_EVENT,
                                                                                  COURSE_MOVED_EVENT])
              .order_by("-id").values_list("action", "object_id", "details")[:50])
    for action, object_id, details in events:
        if action == VISIT_MOVED_EVENT:
            if object_id == str(visit.pk):
                return False
            continue
        for item in details.get("visits", []):
            if item.get("visit") == visit.pk and item["from"]["starts_at"] != item["to"]["starts_at"]:
                return datetime.fromisoformat(item["to"]["starts_at"]) == visit.starts_at
    return False
