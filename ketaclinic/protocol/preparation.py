"""The patient's personal preparation timeline and the earliest safe start (issues 6 and 7).

Pure Python, no Django import (see ARCHITECTURE.md). Numbers come from `protocol.preparation`
(defaults.toml, shared/clinical-reference.md §5 and §13); wording comes from patient_text.py.

Time rules:
- Every window is real elapsed time. All arithmetic happens in UTC and results are shown in
  the clinic's zone, so "6 hours before" is exactly 6 hours on the nights clocks change.
  (Adding a timedelta to a zoneinfo datetime in Python is wall-clock arithmetic; we never do.)
- Comparisons happen in UTC too: Python compares two datetimes sharing one tzinfo by wall time,
  ignoring `fold`, which misorders the repeated hour when clocks go back. Callers that sort or
  compare these values should do the same (`dt.astimezone(UTC)`).
- A naive appointment start is a wall-clock time in the clinic's zone. A time that does not
  exist (clocks spring forward) or happens twice (clocks go back) is refused unless the caller
  gives an offset; an aware start in any zone is accepted and converted.

Public API (used by the Django preparation and infusion apps and the reminders worker):
- `build_timeline(start, tz, visit_minutes, protocol, *, medication_instructions=(), ...)`
  → `PreparationTimeline` with sorted `TimelineStep`s; step `kind` codes are in `STEP_KINDS`.
- `earliest_safe_start(protocol, *, last_solid_food=None, last_clear_liquids=None,
  last_alcohol=None, ...)` → `EarliestStart`.
- `what_to_bring(protocol)` → `VisitDayList` (bring, leave at home, getting home, no driving).
- `localize(naive, tz)` and `get_zone(name)`: strict local-time helpers.
- `cli(payload, protocol)` and `cli_earliest_start(payload, protocol)`: the JSON contracts of
  `ketaclinic protocol preparation` and `ketaclinic protocol earliest-start`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ketaclinic.protocol import patient_text
from ketaclinic.protocol.config import Preparation, Protocol, default_protocol
from ketaclinic.protocol.errors import InputError

# Step kinds, in the order used to break ties between steps at the same instant. These codes
# are stable: the reminders worker and the portal key on them.
STEP_KINDS: tuple[str, ...] = (
    "health_update",  # ask for the pre-visit health update (health_update_lead_h before)
    "ride_confirmation",  # ask the patient to confirm the ride home (ride_confirm_lead_h before)
    "no_alcohol_or_drugs",  # start of the alcohol / recreational-drug free window
    "medication",  # one per prescriber-agreed medication instruction
    "caffeine",  # caffeine limit for the day of the visit
    "morning_reminder",  # morning_reminder_before_solids_min before the solid-food cut-off
    "last_solid_food",  # solid-food cut-off (fast_solids_h before)
    "last_clear_liquids",  # clear-liquid cut-off (fast_clear_liquids_h before)
    "arrive",  # arrive by (arrive_minutes_early before)
    "infusion_start",  # the booked start of the visit; every window counts back from it
    "expected_end",  # expected time to leave (start + visit length); the only step after start
)

MEDICATION_INSTRUCTIONS: tuple[str, ...] = ("hold_evening_before", "hold_morning_of", "take_as_usual")

Limiting = Literal["solid_food", "clear_liquids", "alcohol", "none"]

MAX_VISIT_MINUTES = 24 * 60
_MAX_NAME_LENGTH = 120

# CLI/API override name → the protocol.preparation setting it replaces (ranges come from there).
OVERRIDES: dict[str, str] = {
    "fasting_solids_hours": "fast_solids_h",
    "fasting_clear_liquids_hours": "fast_clear_liquids_h",
    "alcohol_free_hours": "alcohol_abstinence_h",
    "arrive_minutes_early": "arrive_minutes_early",
}


@dataclass(frozen=True)
class MedicationInstruction:
    """A medication instruction a prescriber agreed with the patient for the visit.

    `instruction` is one of MEDICATION_INSTRUCTIONS:
    - hold_evening_before: skip the evening dose the day before the visit day; reminded at
      `medication_evening_before_hour` on that day.
    - hold_morning_of: skip the morning dose on the visit day; reminded at
      `medication_morning_of_hour` that day, or at the arrival time if that is earlier.
    - take_as_usual: keep taking it, with a small sip of water; placed like hold_morning_of.
    `agreed_by` is the prescriber's name as the patient knows it ("Dr Lee").
    """

    medication: str
    instruction: str
    agreed_by: str

    def __post_init__(self) -> None:
        for name in ("medication", "agreed_by"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InputError(name, "must be a non-empty text")
            if len(value) > _MAX_NAME_LENGTH:
                raise InputError(name, f"must be at most {_MAX_NAME_LENGTH} characters")
        if self.instruction not in MEDICATION_INSTRUCTIONS:
            raise InputError("instruction", f"must be one of {', '.join(MEDICATION_INSTRUCTIONS)}")


@dataclass(frozen=True)
class TimelineStep:
    """One dated thing the patient does or is asked to do.

    `at` is aware, in the clinic's zone. `kind` is a STEP_KINDS code. `text` is plain English
    for the patient. `subject` tells apart steps of the same kind: the medication name for
    `medication` steps; "alcohol" or "recreational_drugs" for `no_alcohol_or_drugs` steps when
    the two windows differ (then there are two such steps); otherwise None.
    """

    at: datetime
    kind: str
    text: str
    subject: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"at": self.at.isoformat(), "kind": self.kind, "text": self.text}
        if self.subject is not None:
            data["subject"] = self.subject
        return data


@dataclass(frozen=True)
class PreparationTimeline:
    """A visit's preparation timeline. All datetimes are aware, in the clinic's zone.

    `no_alcohol_or_drugs_from` is the earlier of the alcohol and recreational-drug windows.
    `ride_confirm_cutoff` is not a patient step: when the ride is still unconfirmed at this
    time, the front desk gets a task (ride_confirm_cutoff_h before the start).
    `steps` are sorted by time, ties in STEP_KINDS order.
    """

    appointment_start: datetime
    timezone: str
    last_solid_food: datetime
    last_clear_liquids: datetime
    no_alcohol_from: datetime
    no_recreational_drugs_from: datetime
    arrive_by: datetime
    expected_end: datetime
    ride_confirm_cutoff: datetime
    steps: tuple[TimelineStep, ...]

    @property
    def no_alcohol_or_drugs_from(self) -> datetime:
        return _earliest(self.no_alcohol_from, self.no_recreational_drugs_from)

    def steps_of(self, kind: str) -> tuple[TimelineStep, ...]:
        """The steps of one kind, in time order (empty when there are none)."""
        if kind not in STEP_KINDS:
            raise ValueError(f"unknown step kind {kind!r}")
        return tuple(step for step in self.steps if step.kind == kind)

    def to_json(self) -> dict[str, Any]:
        """The `ketaclinic protocol preparation` output: ISO 8601 with offsets, clinic zone."""
        return {
            "appointment_start": self.appointment_start.isoformat(),
            "timezone": self.timezone,
            "last_solid_food": self.last_solid_food.isoformat(),
            "last_clear_liquids": self.last_clear_liquids.isoformat(),
            "no_alcohol_or_drugs_from": self.no_alcohol_or_drugs_from.isoformat(),
            "no_alcohol_from": self.no_alcohol_from.isoformat(),
            "no_recreational_drugs_from": self.no_recreational_drugs_from.isoformat(),
            "arrive_by": self.arrive_by.isoformat(),
            "expected_end": self.expected_end.isoformat(),
            "ride_confirm_cutoff": self.ride_confirm_cutoff.isoformat(),
            "steps": [step.to_json() for step in self.steps],
        }


@dataclass(frozen=True)
class EarliestStart:
    """The earliest safe infusion start from the patient's attestations.

    `earliest_start` is None exactly when no attestation was given (`limiting` is then
    "none"): nothing limits the start, and the caller decides what that means (a nurse should
    still ask). Otherwise `limiting` names the attestation whose window ends last; on a tie
    the first of solid_food, clear_liquids, alcohol wins.
    """

    earliest_start: datetime | None
    limiting: Limiting

    def to_json(self) -> dict[str, Any]:
        return {
            "earliest_start": None if self.earliest_start is None else self.earliest_start.isoformat(),
            "limiting": self.limiting,
        }


@dataclass(frozen=True)
class ListItem:
    """One line of a visit-day list: a stable `code` for the portal and patient `text`."""

    code: str
    text: str


@dataclass(frozen=True)
class VisitDayList:
    """What to bring, what to leave at home, how to get home, and the driving rule."""

    bring: tuple[ListItem, ...]
    leave_at_home: tuple[ListItem, ...]
    getting_home: str
    no_driving: str

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# --- time helpers ------------------------------------------------------------------------


def get_zone(tz: ZoneInfo | str, field: str = "timezone") -> ZoneInfo:
    """A ZoneInfo from an IANA name; InputError(field) for an unknown or malformed name."""
    if isinstance(tz, ZoneInfo):
        return tz
    if not isinstance(tz, str) or not tz.strip():
        raise InputError(field, "must be an IANA time zone name such as America/New_York")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InputError(field, f"unknown time zone {tz!r}") from None


def localize(naive: datetime, tz: ZoneInfo, field: str = "appointment_start") -> datetime:
    """Attach the clinic zone to a wall-clock time, refusing times that DST makes unclear.

    Round-trips fold=0 through UTC: if the wall time comes back different, it does not exist
    (clocks spring forward); if fold=0 and fold=1 give different offsets, it happens twice
    (clocks go back). Either raises InputError(field) asking for an explicit offset.
    """
    if naive.tzinfo is not None:
        raise ValueError("localize() takes a naive datetime")
    first = naive.replace(tzinfo=tz, fold=0)
    back = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None, fold=0)
    if back != naive.replace(fold=0):
        raise InputError(
            field,
            f"{naive.isoformat()} does not exist in {tz.key} (the clocks skip that time); "
            "give a different time or an explicit UTC offset",
        )
    if first.utcoffset() != naive.replace(tzinfo=tz, fold=1).utcoffset():
        raise InputError(
            field,
            f"{naive.isoformat()} happens twice in {tz.key} (the clocks go back); give an explicit UTC offset",
        )
    return first


def _in_zone(start: datetime, tz: ZoneInfo, field: str) -> datetime:
    """An aware datetime in the clinic zone: naive means local wall time there."""
    if start.tzinfo is None or start.utcoffset() is None:
        return localize(start.replace(tzinfo=None), tz, field)
    return start.astimezone(tz)


def _before(moment: datetime, tz: ZoneInfo, *, hours: float = 0, minutes: float = 0) -> datetime:
    """`moment` minus real elapsed time, shown in the clinic zone."""
    return (_utc(moment) - timedelta(hours=hours, minutes=minutes)).astimezone(tz)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _earliest(*moments: datetime) -> datetime:
    """The earliest instant (compared in UTC: see the module docstring on `fold`)."""
    return min(moments, key=_utc)


def _wall_clock(day: date, hour: int, tz: ZoneInfo) -> datetime:
    """The instant the clinic's clocks show `hour`:00 on `day` (after the gap if clocks skip it)."""
    guess = datetime.combine(day, time(hour), tzinfo=tz)
    return guess.astimezone(UTC).astimezone(tz)


# --- settings and overrides --------------------------------------------------------------


def _effective(prep: Preparation, overrides: Mapping[str, float | int | None]) -> Preparation:
    """protocol.preparation with per-visit overrides applied, each checked against the same
    range as its protocol setting."""
    changes: dict[str, float | int] = {}
    fields = {f.name: f for f in dataclasses.fields(Preparation)}
    for name, value in overrides.items():
        if value is None:
            continue
        setting = OVERRIDES[name]
        meta = fields[setting].metadata
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InputError(name, f"must be a number, got {value!r}")
        if setting == "arrive_minutes_early" and not float(value).is_integer():
            raise InputError(name, f"must be a whole number of minutes, got {value!r}")
        lo, hi, unit = meta["min"], meta["max"], meta["unit"]
        if value < lo or value > hi:
            raise InputError(name, f"must be between {lo} and {hi} {unit}")
        changes[setting] = int(value) if setting == "arrive_minutes_early" else float(value)
    effective = dataclasses.replace(prep, **changes)  # type: ignore[arg-type]
    if effective.fast_solids_h < effective.fast_clear_liquids_h:
        raise InputError("fasting_solids_hours", "must not be shorter than the clear-liquid fast")
    return effective


# --- the timeline ------------------------------------------------------------------------


def build_timeline(
    start: datetime,
    tz: ZoneInfo | str,
    visit_minutes: int,
    protocol: Protocol,
    *,
    medication_instructions: Iterable[MedicationInstruction] = (),
    fasting_solids_hours: float | None = None,
    fasting_clear_liquids_hours: float | None = None,
    alcohol_free_hours: float | None = None,
    arrive_minutes_early: int | None = None,
) -> PreparationTimeline:
    """Build the personal preparation timeline for one visit.

    `start` is the booked start of the visit: aware (any zone; converted) or naive (wall time
    in `tz`; a DST-nonexistent or ambiguous time raises InputError("appointment_start")).
    `tz` is the clinic's zone (ZoneInfo or IANA name). `visit_minutes` is the visit length
    (check-in + infusion + recovery), 1 to 1440. The keyword overrides replace the protocol's
    fast_solids_h, fast_clear_liquids_h, alcohol_abstinence_h and arrive_minutes_early for this
    visit only, within the same ranges; the solid-food fast may not be shorter than the
    clear-liquid fast. Raises InputError naming the field on bad input.

    Every step is at or before `start` except `expected_end`, and
    last_solid_food ≤ last_clear_liquids, arrive_by ≤ start (< when arriving early at all).
    """
    zone = get_zone(tz)
    if isinstance(visit_minutes, bool) or not isinstance(visit_minutes, int):
        raise InputError("visit_minutes", f"must be a whole number of minutes, got {visit_minutes!r}")
    if not 1 <= visit_minutes <= MAX_VISIT_MINUTES:
        raise InputError("visit_minutes", f"must be between 1 and {MAX_VISIT_MINUTES}")
    prep = _effective(
        protocol.preparation,
        {
            "fasting_solids_hours": fasting_solids_hours,
            "fasting_clear_liquids_hours": fasting_clear_liquids_hours,
            "alcohol_free_hours": alcohol_free_hours,
            "arrive_minutes_early": arrive_minutes_early,
        },
    )
    visit = _in_zone(start, zone, "appointment_start")
    medications = tuple(medication_instructions)

    solids = _before(visit, zone, hours=prep.fast_solids_h)
    clear = _before(visit, zone, hours=prep.fast_clear_liquids_h)
    alcohol = _before(visit, zone, hours=prep.alcohol_abstinence_h)
    drugs = _before(visit, zone, hours=prep.recreational_drug_abstinence_h)
    arrive = _before(visit, zone, minutes=prep.arrive_minutes_early)
    end = (_utc(visit) + timedelta(minutes=visit_minutes)).astimezone(zone)
    # Milk and fatty food (§5.1) get their own earlier time only when their fast is longer.
    milk = fatty = None
    if prep.fast_nonhuman_milk_h > prep.fast_solids_h:
        milk = _before(visit, zone, hours=prep.fast_nonhuman_milk_h)
    if prep.fast_fatty_meal_h > prep.fast_solids_h:
        fatty = _before(visit, zone, hours=prep.fast_fatty_meal_h)
    reminder = _before(solids, zone, minutes=prep.morning_reminder_before_solids_min)
    health = _before(visit, zone, hours=prep.health_update_lead_h)
    ride = _before(visit, zone, hours=prep.ride_confirm_lead_h)
    # Caffeine: from the start of the visit day, but never after the clear-liquid cut-off
    # (coffee and tea are clear liquids only when black), e.g. for a visit just after midnight.
    caffeine = _earliest(_wall_clock(visit.date(), 0, zone), clear)

    steps: list[TimelineStep] = [
        TimelineStep(health, "health_update", patient_text.health_update(visit)),
        TimelineStep(ride, "ride_confirmation", patient_text.ride_confirmation(visit, prep.escort_required)),
        TimelineStep(reminder, "morning_reminder", patient_text.morning_reminder(visit, solids)),
        TimelineStep(caffeine, "caffeine", patient_text.caffeine(visit.date(), prep.caffeine_limit_cups, clear)),
        TimelineStep(
            solids, "last_solid_food", patient_text.last_solid_food(solids, milk_by=milk, fatty_food_by=fatty)
        ),
        TimelineStep(clear, "last_clear_liquids", patient_text.last_clear_liquids(clear)),
        TimelineStep(arrive, "arrive", patient_text.arrive(arrive)),
        TimelineStep(visit, "infusion_start", patient_text.infusion_start(visit)),
        TimelineStep(end, "expected_end", patient_text.expected_end(end, prep.escort_required)),
    ]
    if prep.alcohol_abstinence_h == prep.recreational_drug_abstinence_h:
        steps.append(TimelineStep(alcohol, "no_alcohol_or_drugs", patient_text.no_alcohol_or_drugs(alcohol)))
    else:
        steps.append(TimelineStep(alcohol, "no_alcohol_or_drugs", patient_text.no_alcohol(alcohol), "alcohol"))
        steps.append(
            TimelineStep(drugs, "no_alcohol_or_drugs", patient_text.no_recreational_drugs(drugs), "recreational_drugs")
        )
    for med in medications:
        steps.append(_medication_step(med, visit, arrive, zone, prep))

    order = {kind: i for i, kind in enumerate(STEP_KINDS)}
    steps.sort(key=lambda step: (_utc(step.at), order[step.kind]))  # stable: input order breaks the rest
    return PreparationTimeline(
        appointment_start=visit,
        timezone=zone.key,
        last_solid_food=solids,
        last_clear_liquids=clear,
        no_alcohol_from=alcohol,
        no_recreational_drugs_from=drugs,
        arrive_by=arrive,
        expected_end=end,
        ride_confirm_cutoff=_before(visit, zone, hours=prep.ride_confirm_cutoff_h),
        steps=tuple(steps),
    )


def _medication_step(
    med: MedicationInstruction, visit: datetime, arrive: datetime, zone: ZoneInfo, prep: Preparation
) -> TimelineStep:
    if med.instruction == "hold_evening_before":
        day = visit.date() - timedelta(days=1)
        hour = prep.medication_evening_before_hour
    else:
        day = visit.date()
        hour = prep.medication_morning_of_hour
    # Never after arrival: a morning dose for a visit just after midnight, or a skipped calendar day.
    at = _earliest(_wall_clock(day, hour, zone), arrive)
    text = patient_text.medication(med.instruction, med.medication.strip(), med.agreed_by.strip(), day)
    return TimelineStep(at, "medication", text, med.medication.strip())


def what_to_bring(protocol: Protocol | None = None) -> VisitDayList:
    """The visit-day lists for the portal and the printed preparation sheet."""
    prep = (protocol or default_protocol()).preparation
    bring = [ListItem(code, text) for code, text in patient_text.BRING]
    if prep.escort_required:
        bring.append(ListItem(*patient_text.ESCORT_ITEM))
    return VisitDayList(
        bring=tuple(bring),
        leave_at_home=tuple(ListItem(code, text) for code, text in patient_text.LEAVE_AT_HOME),
        getting_home=patient_text.getting_home(prep.escort_required),
        no_driving=patient_text.no_driving(prep.no_driving_until),
    )


# --- earliest safe start -----------------------------------------------------------------


def earliest_safe_start(
    protocol: Protocol,
    *,
    last_solid_food: datetime | None = None,
    last_clear_liquids: datetime | None = None,
    last_alcohol: datetime | None = None,
    fasting_solids_hours: float | None = None,
    fasting_clear_liquids_hours: float | None = None,
    alcohol_free_hours: float | None = None,
) -> EarliestStart:
    """The earliest the infusion may start, given what the patient says they last had.

    Each given attestation must be aware (naive raises InputError naming it). The result is
    the latest of (attestation + its window), computed in real elapsed time, shown in the
    offset of the limiting attestation. Windows: fast_solids_h, fast_clear_liquids_h,
    alcohol_abstinence_h, each replaceable by the matching keyword. With no attestation the
    result is EarliestStart(None, "none"). Example: ate at 07:30, 6 h window → 13:30.
    """
    prep = _effective(
        protocol.preparation,
        {
            "fasting_solids_hours": fasting_solids_hours,
            "fasting_clear_liquids_hours": fasting_clear_liquids_hours,
            "alcohol_free_hours": alcohol_free_hours,
        },
    )
    candidates: Sequence[tuple[Limiting, str, datetime | None, float]] = (
        ("solid_food", "last_solid_food", last_solid_food, prep.fast_solids_h),
        ("clear_liquids", "last_clear_liquids", last_clear_liquids, prep.fast_clear_liquids_h),
        ("alcohol", "last_alcohol", last_alcohol, prep.alcohol_abstinence_h),
    )
    best: EarliestStart = EarliestStart(None, "none")
    for limiting, field, moment, hours in candidates:
        if moment is None:
            continue
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise InputError(field, "must include a UTC offset or zone (an aware date and time)")
        ready = (_utc(moment) + timedelta(hours=hours)).astimezone(moment.tzinfo)
        if best.earliest_start is None or _utc(ready) > _utc(best.earliest_start):
            best = EarliestStart(ready, limiting)
    return best


# --- JSON contracts ----------------------------------------------------------------------

_ATTESTATIONS = ("last_solid_food", "last_clear_liquids", "last_alcohol")
_PREPARATION_FIELDS = frozenset(
    {"appointment_start", "timezone", "visit_minutes", "medication_instructions", *OVERRIDES}
)
_EARLIEST_FIELDS = frozenset(
    {*_ATTESTATIONS, "timezone", "fasting_solids_hours", "fasting_clear_liquids_hours", "alcohol_free_hours"}
)


def _check_fields(payload: Mapping[str, Any], allowed: frozenset[str]) -> None:
    # Refuse unknown keys: a misspelt override must not be silently ignored.
    for key in payload:
        if key not in allowed:
            raise InputError(key, f"unknown field; expected some of {', '.join(sorted(allowed))}")


def _parse_datetime(payload: Mapping[str, Any], field: str) -> datetime | None:
    value = payload.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or ("T" not in value and " " not in value.strip()):
        raise InputError(field, f"must be an ISO 8601 date and time such as 2027-03-14T09:00:00, got {value!r}")
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError(field, f"is not a valid ISO 8601 date and time: {value!r}") from None


def _parse_medications(value: Any) -> tuple[MedicationInstruction, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InputError("medication_instructions", "must be a list of objects")
    result = []
    for i, item in enumerate(value):
        where = f"medication_instructions[{i}]"
        if not isinstance(item, dict):
            raise InputError(where, "must be an object with medication, instruction and agreed_by")
        extra = set(item) - {"medication", "instruction", "agreed_by"}
        if extra:
            raise InputError(f"{where}.{sorted(extra)[0]}", "unknown field")
        try:
            medication: Any = item.get("medication")
            instruction: Any = item.get("instruction")
            agreed_by: Any = item.get("agreed_by")
            result.append(MedicationInstruction(medication, instruction, agreed_by))
        except InputError as exc:
            raise InputError(f"{where}.{exc.field}", exc.message) from None
    return tuple(result)


def cli(payload: dict[str, Any], protocol: Protocol) -> dict[str, Any]:
    """`ketaclinic protocol preparation`: see the module docstring and build_timeline."""
    _check_fields(payload, _PREPARATION_FIELDS)
    start = _parse_datetime(payload, "appointment_start")
    if start is None:
        raise InputError("appointment_start", "is required")
    if "timezone" not in payload:
        raise InputError("timezone", "is required")
    if "visit_minutes" not in payload:
        raise InputError("visit_minutes", "is required")
    visit_minutes = payload["visit_minutes"]
    if isinstance(visit_minutes, float) and visit_minutes.is_integer():
        visit_minutes = int(visit_minutes)
    timeline = build_timeline(
        start,
        payload["timezone"],
        visit_minutes,
        protocol,
        medication_instructions=_parse_medications(payload.get("medication_instructions")),
        **{name: payload.get(name) for name in OVERRIDES},
    )
    return timeline.to_json()


def cli_earliest_start(payload: dict[str, Any], protocol: Protocol) -> dict[str, Any]:
    """`ketaclinic protocol earliest-start`: aware ISO datetimes in, earliest start out.

    Optional `timezone` shows the result in the clinic's zone; otherwise it keeps the offset
    of the limiting attestation. With no attestation: {"earliest_start": null, "limiting": "none"}.
    """
    _check_fields(payload, _EARLIEST_FIELDS)
    zone = get_zone(payload["timezone"]) if payload.get("timezone") is not None else None
    times = {field: _parse_datetime(payload, field) for field in _ATTESTATIONS}
    result = earliest_safe_start(
        protocol,
        last_solid_food=times["last_solid_food"],
        last_clear_liquids=times["last_clear_liquids"],
        last_alcohol=times["last_alcohol"],
        fasting_solids_hours=payload.get("fasting_solids_hours"),
        fasting_clear_liquids_hours=payload.get("fasting_clear_liquids_hours"),
        alcohol_free_hours=payload.get("alcohol_free_hours"),
    )
    if zone is not None and result.earliest_start is not None:
        result = EarliestStart(result.earliest_start.astimezone(zone), result.limiting)
    return result.to_json()
