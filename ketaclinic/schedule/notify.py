"""Messages the schedule sends to patients: a freed slot offered to them, a visit the clinic moved.

Written in the patient's preferred language (English or Spanish, this app's catalog), plain
and kind, with no health details beyond the visit time. Queued through
`notifications.actions.queue_message` inside the caller's transaction, so a message exists
if and only if the offer or move does; the worker sends it later.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from ketaclinic.courses.models import TreatmentCourse
from ketaclinic.notifications.actions import queue_message
from ketaclinic.patients.models import Patient
from ketaclinic.schedule.models import SlotOffer, Visit

OFFER_KIND = "schedule.slot_offer"
MOVED_KIND = "schedule.visit_moved"


def _portal(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def when_phrase(moment: datetime, patient: Patient) -> str:
    """'Monday, January 4 at 9:30 AM' / 'lunes 4 de enero a las 09:30', in the clinic's zone.

    Call inside translation.override(patient's language).
    """
    local = moment.astimezone(patient.clinic.zone)
    day = formats.date_format(local, _("l, F j"))
    clock = formats.date_format(local, _("g:i A"))
    return _("%(day)s at %(time)s") % {"day": day, "time": clock}


def _language(patient: Patient) -> str:
    return patient.preferred_language if patient.preferred_language in ("en", "es") else "en"


def queue_slot_offer_message(patient: Patient, offer: SlotOffer, *, planned_visits: int, now: datetime) -> None:
    """Tell a waiting patient an earlier time opened up, with a link to say yes in the portal.

    One message per offer and patient (dedupe key); useless once the slot has started.
    """
    clinic = offer.clinic
    link = _portal(reverse("schedule:my_visits")) + f"#offer-{offer.pk}"
    with translation.override(_language(patient)):
        slot = when_phrase(offer.starts_at, patient)
        subject = _("A visit time opened up: %(when)s") % {"when": slot}
        lines = [_("Good news: a spot opened up at %(clinic)s on %(when)s.") % {"clinic": clinic.name, "when": slot}]
        if planned_visits > 1:
            lines.append(_("If you take it, we will book all %(count)s of your visits, starting that day.")
                         % {"count": planned_visits})
        lines.append(_("The first person to say yes gets it. To take it, sign in here: %(link)s") % {"link": link})
        phone = clinic.phone or _("the clinic")
        lines.append(_("Questions? Call us at %(phone)s.") % {"phone": phone})
    queue_message(patient=patient, kind=OFFER_KIND, due_at=now, subject=subject, body="\n".join(lines),
                  dedupe_key=f"schedule:offer:{offer.pk}:patient:{patient.pk}", now=now, not_after=offer.starts_at)


def queue_visit_moved_message(visit: Visit, old_start: datetime, *, why: str, now: datetime) -> None:
    """Tell the patient the clinic moved their visit (a re-plan or a moved course): old and new time.

    `why` is "replan" (the clinic re-planned its schedule) or "course" (the whole series moved).
    """
    patient = visit.patient
    clinic = visit.clinic
    link = _portal(reverse("schedule:my_visits"))
    with translation.override(_language(patient)):
        new = when_phrase(visit.starts_at, patient)
        old = when_phrase(old_start, patient)
        subject = _("Your visit has a new time: %(when)s") % {"when": new}
        if why == "course":
            reason = _("We moved your treatment series to new dates.")
        else:
            reason = _("We changed the clinic schedule to fit more patients in.")
        lines = [
            reason,
            _("Your visit on %(old)s is now on %(new)s.") % {"old": old, "new": new},
            _("Please check your ride home for the new time. See all your visits: %(link)s") % {"link": link},
            _("If the new time does not work for you, please call us at %(phone)s.")
            % {"phone": clinic.phone or _("the clinic")},
        ]
    queue_message(patient=patient, kind=MOVED_KIND, due_at=now, subject=subject, body="\n".join(lines), visit=visit,
                  dedupe_key=f"schedule:moved:{visit.pk}:{visit.starts_at.isoformat()}", now=now,
                  not_after=visit.starts_at)


def queue_course_moved_message(course: TreatmentCourse, visits: list[Visit], *, now: datetime) -> None:
    """Tell the patient their treatment series has new dates: one message listing every new time."""
    patient = course.patient
    clinic = course.clinic
    link = _portal(reverse("schedule:my_visits"))
    with translation.override(_language(patient)):
        subject = _("Your treatment series has new dates")
        lines = [_("We moved your treatment series to new dates. Your visits are now:")]
        lines += [f"- {when_phrase(v.starts_at, patient)}" for v in sorted(visits, key=lambda v: v.starts_at)]
        lines.append(_("Please check your ride home for the new times. See all your visits: %(link)s")
                     % {"link": link})
        lines.append(_("If the new times do not work for you, please call us at %(phone)s.")
                     % {"phone": clinic.phone or _("the clinic")})
    stamp = hashlib.sha256(",".join(v.starts_at.isoformat() for v in visits).encode()).hexdigest()[:16]
    queue_message(patient=patient, kind=MOVED_KIND, due_at=now, subject=subject, body="\n".join(lines),
                  dedupe_key=f"schedule:course-moved:{course.pk}:{stamp}", now=now,
                  not_after=min(v.starts_at for v in visits))
