"""Office hours for messages: when the inbox is read and when a reply can be expected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import get_language, gettext, pgettext_lazy

from ketaclinic.notifications.wording import LANGUAGES, Fmt

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Weekday names inside a sentence ("lunes a viernes"), with their own context so a catalog that
# translates a bare "Monday" as a label ("Lunes") does not change them.
WEEKDAY_LABELS = (pgettext_lazy("weekday in a sentence", "Monday"), pgettext_lazy("weekday in a sentence", "Tuesday"),
                  pgettext_lazy("weekday in a sentence", "Wednesday"),
                  pgettext_lazy("weekday in a sentence", "Thursday"), pgettext_lazy("weekday in a sentence", "Friday"),
                  pgettext_lazy("weekday in a sentence", "Saturday"), pgettext_lazy("weekday in a sentence", "Sunday"))
DEFAULT_WEEKDAYS = frozenset({0, 1, 2, 3, 4})
DEFAULT_OPENS, DEFAULT_CLOSES, DEFAULT_REPLY_HOURS = time(9, 0), time(17, 0), 24


def parse_weekdays(text: str) -> frozenset[int]:
    """'0,1,2' → {0, 1, 2}. Raises ValueError for anything else."""
    days = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        day = int(part)
        if not 0 <= day <= 6:
            raise ValueError(f"{day} is not a weekday number (0 = Monday … 6 = Sunday)")
        days.add(day)
    return frozenset(days)


@dataclass(frozen=True)
class OfficeHours:
    weekdays: frozenset[int]
    opens_at: time
    closes_at: time
    reply_within_hours: int
    zone: ZoneInfo

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        return local.weekday() in self.weekdays and self.opens_at <= local.time() < self.closes_at

    def describe(self) -> str:
        """'Monday to Friday, 9:00 AM to 5:00 PM' (or a list of days when they are not in a row), in the
        active language: 'lunes a viernes, de 9:00 a. m. a 5:00 p. m.'."""
        days = sorted(self.weekdays)
        if not days:
            return gettext("no set office hours")
        names = [str(WEEKDAY_LABELS[d]) for d in days]
        if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
            day_text = gettext("%(first)s to %(last)s") % {"first": names[0], "last": names[-1]}
        else:
            day_text = ", ".join(names)
        # Any fixed day in UTC: only the clock matters here, never a repeated hour.
        fmt = Fmt(_language(), ZoneInfo("UTC"))
        opens = fmt.clock(datetime.combine(date(2001, 1, 1), self.opens_at, tzinfo=UTC))
        closes = fmt.clock(datetime.combine(date(2001, 1, 1), self.closes_at, tzinfo=UTC))
        return gettext("%(days)s, %(opens)s to %(closes)s") % {"days": day_text, "opens": opens, "closes": closes}

    def reply_by(self, at: datetime) -> datetime | None:
        """When a message sent at `at` should be answered: `reply_within_hours` of office time later."""
        if not self.weekdays or self.opens_at >= self.closes_at:
            return None
        remaining = timedelta(hours=self.reply_within_hours)
        local = at.astimezone(self.zone)
        day = local.date()
        for _ in range(400):  # at most about a year of days; always ends for sane settings
            if day.weekday() in self.weekdays:
                start = datetime.combine(day, self.opens_at, tzinfo=self.zone)
                end = datetime.combine(day, self.closes_at, tzinfo=self.zone)
                start = max(start, local)
                if start < end:
                    if end - start >= remaining:
                        return start + remaining
                    remaining -= end - start
            day += timedelta(days=1)
        return None

    def reply_by_phrase(self, at: datetime) -> str:
        """'9:00 AM on Tuesday, March 2' / 'el martes 2 de marzo a las 9:00 a. m.' (active language)."""
        moment = self.reply_by(at)
        return Fmt(_language(), self.zone).when(moment) if moment else gettext("as soon as we can")


def _language() -> str:
    language = get_language() or "en"
    return language if language in LANGUAGES else "en"


def office_hours_for(clinic: Any) -> OfficeHours:
    from ketaclinic.messaging.models import ClinicMessagingSettings

    row = ClinicMessagingSettings.objects.filter(clinic=clinic).first()
    if row is None:
        return OfficeHours(DEFAULT_WEEKDAYS, DEFAULT_OPENS, DEFAULT_CLOSES, DEFAULT_REPLY_HOURS, clinic.zone)
    return OfficeHours(parse_weekdays(row.office_weekdays), row.office_opens_at, row.office_closes_at,
                       row.reply_within_hours, clinic.zone)
