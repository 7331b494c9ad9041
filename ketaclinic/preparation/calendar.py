"""The .ics download of a visit's plan: the visit itself plus the food and drink cut-offs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event

from ketaclinic.notifications.wording import Fmt, message_language
from ketaclinic.protocol.preparation import PreparationTimeline
from ketaclinic.schedule.models import Visit


def _event(uid: str, summary: str, start: datetime, end: datetime, description: str, location: str,
           alarm_before: timedelta | None = None) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime.now(UTC))
    event.add("summary", summary)
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", end.astimezone(UTC))
    event.add("description", description)
    if location:
        event.add("location", location)
    if alarm_before is not None:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", -alarm_before)
        event.add_component(alarm)
    return event


def visit_calendar(visit: Visit, timeline: PreparationTimeline) -> bytes:
    """The calendar file, in the patient's language (times in the clinic's zone)."""
    language = message_language(visit.patient)
    with translation.override(language):
        return _visit_calendar(visit, timeline, Fmt(language, visit.clinic.zone))


def _visit_calendar(visit: Visit, timeline: PreparationTimeline, fmt: Fmt) -> bytes:
    clinic = visit.clinic
    link = f"{settings.SITE_URL}{reverse('preparation:visit', args=[visit.pk])}"
    location = " ".join(clinic.address.split()) if clinic.address else clinic.name
    cal = Calendar()
    cal.add("prodid", "-//ketaclinic//preparation//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("%(clinic)s visit") % {"clinic": clinic.name})
    short = timedelta(minutes=15)
    plan = _("Your plan: %(link)s") % {"link": link}
    cal.add_component(_event(
        f"visit-{visit.pk}@ketaclinic", _("Visit at %(clinic)s") % {"clinic": clinic.name}, timeline.arrive_by,
        timeline.expected_end,
        " ".join([_("Arrive by %(when)s.") % {"when": fmt.when(timeline.arrive_by)},
                  _("An adult must take you home."), plan]),
        location, alarm_before=timedelta(hours=2)))
    cal.add_component(_event(
        f"visit-{visit.pk}-solids@ketaclinic", _("Last solid food before your visit"), timeline.last_solid_food,
        timeline.last_solid_food + short,
        f"{_('Stop eating solid food by %(when)s.') % {'when': fmt.when(timeline.last_solid_food)}} {link}",
        "", alarm_before=timedelta(minutes=30)))
    cal.add_component(_event(
        f"visit-{visit.pk}-liquids@ketaclinic", _("Last clear liquids before your visit"), timeline.last_clear_liquids,
        timeline.last_clear_liquids + short,
        f"{_('Stop drinking clear liquids by %(when)s.') % {'when': fmt.when(timeline.last_clear_liquids)}} {link}",
        "", alarm_before=timedelta(minutes=30)))
    return bytes(cal.to_ical())
