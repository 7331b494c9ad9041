"""Property tests for the preparation timeline: order, windows in real elapsed time, DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import event, given, settings
from hypothesis import strategies as st

from ketaclinic.protocol.config import default_protocol
from ketaclinic.protocol.errors import InputError
from ketaclinic.protocol.preparation import (
    MEDICATION_INSTRUCTIONS,
    STEP_KINDS,
    MedicationInstruction,
    build_timeline,
)

P = default_protocol()

# Zones with ordinary, half-hour (Lord Howe), southern-hemisphere, no-DST and odd-offset rules.
ZONES = [
    "America/New_York", "America/Los_Angeles", "Europe/Madrid", "Europe/London", "Australia/Lord_Howe",
    "America/Sao_Paulo", "Asia/Kolkata", "Pacific/Chatham", "America/St_Johns", "UTC",
]

# Instants from late 2026 to early 2028, whole minutes, so every DST change of 2027 is covered.
instants = st.integers(
    min_value=int(datetime(2026, 10, 1, tzinfo=UTC).timestamp()) // 60,
    max_value=int(datetime(2028, 4, 1, tzinfo=UTC).timestamp()) // 60,
).map(lambda minute: datetime.fromtimestamp(minute * 60, tz=UTC))



def _transitions(zone_name: str) -> list[datetime]:
    """Every UTC instant (to the minute) in the window where the zone's offset changes."""
    zone = ZoneInfo(zone_name)
    found = []
    day = datetime(2026, 10, 1, tzinfo=UTC)
    while day < datetime(2028, 4, 1, tzinfo=UTC):
        nxt = day + timedelta(days=1)
        if day.astimezone(zone).utcoffset() != nxt.astimezone(zone).utcoffset():
            lo, hi = day, nxt  # bisect to the minute
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(second=0, microsecond=0)
                if mid == lo:
                    break
                if mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
        day = nxt
    return found


TRANSITIONS = [(name, moment) for name in ZONES for moment in _transitions(name)]

# Local wall times around a transition (where times are skipped or repeated) or anywhere.
near_transition = st.tuples(st.sampled_from(TRANSITIONS), st.integers(min_value=-150, max_value=150)).map(
    lambda t: (t[0][0], t[0][1] + timedelta(minutes=t[1]))
)
anywhere = st.tuples(st.sampled_from(ZONES), instants)

quarter_hours = st.integers(min_value=0, max_value=24 * 4).map(lambda q: q / 4)


@st.composite
def windows(draw: st.DrawFn) -> dict[str, float | int]:
    clear = draw(quarter_hours)
    solids = draw(quarter_hours.filter(lambda h: h >= clear))
    arrive = draw(st.integers(min_value=0, max_value=min(120, int(clear * 60))))
    alcohol = draw(st.integers(min_value=0, max_value=168 * 4).map(lambda q: q / 4))
    return {
        "fasting_solids_hours": solids,
        "fasting_clear_liquids_hours": clear,
        "alcohol_free_hours": alcohol,
        "arrive_minutes_early": arrive,
    }


medications = st.lists(
    st.builds(
        MedicationInstruction,
        medication=st.sampled_from(["lorazepam", "clonazepam", "lamotrigine", "sertraline"]),
        instruction=st.sampled_from(MEDICATION_INSTRUCTIONS),
        agreed_by=st.sampled_from(["Dr Lee", "Dr Patel"]),
    ),
    max_size=3,
)


@settings(max_examples=400, deadline=None)
@given(
    start=instants,
    zone_name=st.sampled_from(ZONES),
    visit_minutes=st.integers(min_value=1, max_value=24 * 60),
    w=windows(),
    meds=medications,
)
def test_timeline_invariants(
    start: datetime, zone_name: str, visit_minutes: int, w: dict[str, float | int], meds: list[MedicationInstruction]
) -> None:
    zone = ZoneInfo(zone_name)
    tl = build_timeline(start, zone_name, visit_minutes, P, medication_instructions=meds, **w)  # type: ignore[arg-type]
    s = tl.appointment_start
    assert s == start and s.tzinfo is zone

    # Every step is at or before the appointment, except the expected end.
    # Compare in UTC: Python compares datetimes sharing a tzinfo by wall time, ignoring fold.
    def u(moment: datetime) -> datetime:
        return moment.astimezone(UTC)

    for step in tl.steps:
        assert step.kind in STEP_KINDS
        assert step.text
        if step.kind == "expected_end":
            assert u(step.at) > u(s)
        else:
            assert u(step.at) <= u(s), step

    # Ordering of the cut-offs.
    assert u(tl.last_solid_food) <= u(tl.last_clear_liquids) <= u(tl.arrive_by) <= u(s)
    if w["arrive_minutes_early"] > 0:
        assert u(tl.arrive_by) < u(s)

    # Windows are real elapsed time, measured in UTC.
    def elapsed(a: datetime, b: datetime) -> timedelta:
        return b.astimezone(UTC) - a.astimezone(UTC)

    assert elapsed(tl.last_solid_food, s) == timedelta(hours=w["fasting_solids_hours"])
    assert elapsed(tl.last_clear_liquids, s) == timedelta(hours=w["fasting_clear_liquids_hours"])
    assert elapsed(tl.no_alcohol_from, s) == timedelta(hours=w["alcohol_free_hours"])
    assert elapsed(tl.no_recreational_drugs_from, s) == timedelta(hours=P.preparation.recreational_drug_abstinence_h)
    assert elapsed(tl.arrive_by, s) == timedelta(minutes=w["arrive_minutes_early"])
    assert elapsed(s, tl.expected_end) == timedelta(minutes=visit_minutes)
    [reminder] = tl.steps_of("morning_reminder")
    reminder_lead = timedelta(minutes=P.preparation.morning_reminder_before_solids_min)
    assert elapsed(reminder.at, tl.last_solid_food) == reminder_lead
    [health] = tl.steps_of("health_update")
    assert elapsed(health.at, s) == timedelta(hours=P.preparation.health_update_lead_h)
    [ride] = tl.steps_of("ride_confirmation")
    assert elapsed(ride.at, s) == timedelta(hours=P.preparation.ride_confirm_lead_h)

    # Sorted, shown in the clinic zone, and each value is a normalised wall time there.
    assert [u(step.at) for step in tl.steps] == sorted(u(step.at) for step in tl.steps)
    for step in tl.steps:
        assert step.at.tzinfo is zone
        assert step.at.astimezone(UTC).astimezone(zone).isoformat() == step.at.isoformat()
    assert len(tl.steps_of("medication")) == len(meds)


def _wall_matches(naive: datetime, zone: ZoneInfo) -> int:
    """How many instants show this wall time in the zone (0 = skipped, 2 = repeated).

    An oracle independent of fold: try every offset the zone uses within a day either side."""
    offsets = set()
    for hours in range(-26, 27):
        probe = naive.replace(tzinfo=UTC) + timedelta(hours=hours)
        offset = probe.astimezone(zone).utcoffset()
        assert offset is not None
        offsets.add(offset)
    instants = {(naive - off).replace(tzinfo=UTC) for off in offsets}
    return sum(1 for i in instants if i.astimezone(zone).replace(tzinfo=None) == naive)


@settings(max_examples=600, deadline=None)
@given(where=st.one_of(near_transition, anywhere), shift=st.integers(min_value=-90, max_value=90))
def test_naive_start_is_local_wall_time_or_refused(where: tuple[str, datetime], shift: int) -> None:
    zone_name, moment = where
    zone = ZoneInfo(zone_name)
    # A real local wall time, shifted on the wall clock: lands in gaps and repeats near transitions.
    naive = moment.astimezone(zone).replace(tzinfo=None) + timedelta(minutes=shift)
    matches = _wall_matches(naive, zone)
    event(f"wall time occurs {matches} time(s)")
    try:
        tl = build_timeline(naive, zone, 105, P)
    except InputError as exc:
        assert exc.field == "appointment_start"
        assert matches != 1
        assert ("does not exist" in exc.message) == (matches == 0)
    else:
        assert matches == 1
        assert tl.appointment_start.replace(tzinfo=None) == naive


@settings(max_examples=100, deadline=None)
@given(year=st.integers(min_value=2026, max_value=2030), zone_name=st.sampled_from(ZONES))
def test_transition_days_are_handled(year: int, zone_name: str) -> None:
    """Appointments every 30 minutes over each 2-day window around a transition all work (given as UTC)."""
    zone = ZoneInfo(zone_name)
    probe = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    while probe < end:
        nxt = probe + timedelta(days=1)
        if probe.astimezone(zone).utcoffset() != nxt.astimezone(zone).utcoffset():
            moment = probe
            while moment < nxt + timedelta(days=1):
                tl = build_timeline(moment, zone, 105, P)
                assert tl.last_solid_food.astimezone(UTC) == moment - timedelta(hours=6)
                moment += timedelta(minutes=30)
        probe = nxt
