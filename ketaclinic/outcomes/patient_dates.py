"""Dates and times on patient pages, in the patient's language and the clinic's time zone.

Uses the same formatter as the messages we send (`notifications.wording.Fmt`), so a visit reads
the same on the page and in the text message: "Monday, January 4, 2:30 PM" /
"lunes 4 de enero, 2:30 p. m.". Its own Spanish day and month names keep the wording independent
of any app catalog that translates a bare "Monday" for a label. Template filters:
`{% load patient_dates %}` then `|patient_day` and `|patient_day_time`.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.utils import timezone, translation

from ketaclinic.notifications.wording import LANGUAGES, Fmt


def patient_fmt(zone: ZoneInfo | None = None) -> Fmt:
    """A formatter for the active language, in `zone` (default: the active zone, the clinic's)."""
    language = translation.get_language() or "en"
    active = zone or timezone.get_current_timezone()
    return Fmt(language if language in LANGUAGES else "en", active)
