"""Patient messages in the patient's own language, with dates and times for their locale.

Every email and text to a patient is a *registered message*: a function that turns plain
values (names, links, aware datetimes) into a subject and a body, written with gettext. The
stage app that owns the wording registers it with `@patient_message(kind, sample=...)`, and
queues it with `notifications.actions.queue_patient_message(patient=..., kind=..., values=...)`.
That helper renders it under `translation.override(patient language)` with a `Fmt` bound to
that language and the clinic's time zone, so a caller cannot forget either one: callers pass
datetimes, never formatted text. The `sample` is what the table test renders in every language
(readability, no untranslated English).

Spanish dates and times follow US Spanish usage: "el jueves 3 de diciembre a las 9:30 a. m.".
English keeps the wording of `protocol.patient_text` ("9:30 AM on Thursday, December 3").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import translation

from ketaclinic.protocol import patient_text

LANGUAGES = ("en", "es")

_ES_WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
_ES_MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
              "noviembre", "diciembre")


def message_language(patient: Any) -> str:
    """The language of everything we send a patient: their preferred language (English if unset)."""
    language = getattr(patient, "preferred_language", "") or "en"
    return language if language in LANGUAGES else "en"


def _is_ambiguous(local: datetime) -> bool:
    """True when this wall-clock time happens twice (the hour when clocks go back)."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


@dataclass(frozen=True)
class Fmt:
    """Dates and times for one patient: their language, the clinic's time zone."""

    language: str
    zone: ZoneInfo

    def local(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("message times must be aware datetimes")
        return at.astimezone(self.zone)

    def day(self, value: date | datetime) -> str:
        """'Thursday, December 3' / 'jueves 3 de diciembre'."""
        day = self.local(value).date() if isinstance(value, datetime) else value
        if self.language == "es":
            return f"{_ES_WEEKDAYS[day.weekday()]} {day.day} de {_ES_MONTHS[day.month - 1]}"
        return patient_text.day_phrase(day)

    def clock(self, at: datetime) -> str:
        """'9:30 AM' / '9:30 a. m.'; says which one when the hour repeats (clocks go back)."""
        local = self.local(at)
        if self.language != "es":
            return patient_text.clock_phrase(local)
        if local.hour == 12 and local.minute == 0:
            text = "12:00 del mediodía"
        else:
            text = f"{local.hour % 12 or 12}:{local.minute:02d} {'a. m.' if local.hour < 12 else 'p. m.'}"
        if _is_ambiguous(local):
            text += (" (la segunda vez, después del cambio de hora)" if local.fold
                     else " (la primera vez, antes del cambio de hora)")
        return text

    def when(self, at: datetime) -> str:
        """A full moment, ready to follow "at"/"by" in a sentence.

        English: '9:30 AM on Thursday, December 3'. Spanish (with its article, as a sentence
        needs it): 'el jueves 3 de diciembre a las 9:30 a. m.'. Midnight names both days
        ('la medianoche entre el miércoles 2 y …'), so it reads after "hasta", "desde", "para".
        """
        local = self.local(at)
        if self.language != "es":
            return patient_text.when(local)
        if local.time() == time(0) and not _is_ambiguous(local):
            before = self.day(local.date() - timedelta(days=1))
            return f"la medianoche entre el {before} y el {self.day(local.date())}"
        article = "a la" if local.hour % 12 == 1 else "a las"
        return f"el {self.day(local.date())} {article} {self.clock(local)}"


Values = Mapping[str, Any]
Composer = Callable[[Fmt, Values], tuple[str, str]]


@dataclass(frozen=True)
class PatientMessage:
    kind: str
    compose: Composer
    sample: dict[str, Any] = field(default_factory=dict)
    sample_zone: str = "America/New_York"


_REGISTRY: dict[str, PatientMessage] = {}


def patient_message(kind: str, *, sample: dict[str, Any]) -> Callable[[Composer], Composer]:
    """Register the wording of one message kind. `sample` holds example values for the tests."""

    def register(compose: Composer) -> Composer:
        existing = _REGISTRY.get(kind)
        if existing is not None and existing.compose.__qualname__ != compose.__qualname__:
            raise ValueError(f"two wordings registered for message kind {kind!r}")
        _REGISTRY[kind] = PatientMessage(kind, compose, sample)
        return compose

    return register


def registered_messages() -> dict[str, PatientMessage]:
    """Every registered message kind (importing the modules that register them first)."""
    import importlib

    for module in MESSAGE_MODULES:
        importlib.import_module(module)
    return dict(_REGISTRY)


# The modules whose import registers patient messages (the table test renders them all).
MESSAGE_MODULES = (
    "ketaclinic.preparation.plans",
    "ketaclinic.infusions.messages",
    "ketaclinic.outcomes.reminders",
    "ketaclinic.messaging.actions",
    "ketaclinic.guide.delivery",
    "ketaclinic.schedule.notify",
)


@dataclass(frozen=True)
class RenderedMessage:
    kind: str
    language: str
    subject: str
    body: str


def render_patient_message(kind: str, *, language: str, zone: ZoneInfo, values: Values) -> RenderedMessage:
    """The message's subject and body in `language`, times in `zone`. KeyError if the kind is unknown."""
    message = _REGISTRY.get(kind) or registered_messages()[kind]
    language = language if language in LANGUAGES else "en"
    with translation.override(language):
        subject, body = message.compose(Fmt(language, zone), values)
    return RenderedMessage(kind, language, _tidy(" ".join(str(subject).split())), _tidy(str(body).strip()))


_DOUBLE_STOP = re.compile(r"(\b[ap]\. m\.)\.")


def _tidy(text: str) -> str:
    """A sentence ending in "a. m." / "p. m." takes no second full stop (Spanish orthography)."""
    return _DOUBLE_STOP.sub(r"\1", text)
