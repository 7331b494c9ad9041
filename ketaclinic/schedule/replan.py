"""Re-planning booked visits with the optimizer: the clinic-wide re-plan and moving one whole course.

Both describe some booked courses to the optimizer as whole courses: visits that may not move
(done, checked in, locked, or before the planning horizon) are `fixed`, visits that may move
are `booked` (a re-plan: each changed start costs the move penalty) or simply to be placed
again (moving a course to a new first date). The course rules then hold over the whole
course, including the visits already done.

Visits before the horizon (earlier today, last week) are facts the format can only hold on
an open day, so each such day becomes a narrow "window": open from that day's first fixed
visit to its last one, with just enough (made-up) nurse capacity for them. Nothing new can
reasonably fit there, and any plan that puts a movable visit on such a day is refused for
that course (`_before_horizon`).

Nothing here books anything; accepting goes through the booking actions, which check every
rule again (schedule.actions.do_move_visit, do_move_course).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Perm, require_perm
from ketaclinic.audit.log import record_event
from ketaclinic.clinics.models import Clinic
from ketaclinic.courses.models import CourseStatus, TreatmentCourse
from ketaclinic.schedule.actions import (
    RuleBroken,
    SlotTaken,
    _lock_chairs,
    _renumber,
    _slot_taken,
    do_move_visit,
)
from ketaclinic.schedule.models import ACTIVE_STATUSES, Availability, Chair, Proposal, Visit, VisitStatus
from ketaclinic.schedule.notify import COURSE_MOVED_EVENT, queue_course_moved_message
from ketaclinic.schedule.nurses import assign_on_booking
from ketaclinic.schedule.planning import (
    HORIZON_DAYS,
    PROPOSE_SECONDS,
    BuiltInstance,
    _availability_json,
    build_instance,
    chair_key,
    course_key,
    run_plan,
    waiting_courses,
)
from ketaclinic.schedule.rules import Placement, Problem, blocking, check_course_plan, day_label, hhmm, load_boards
from ketaclinic.scheduling.common import make_plan
from ketaclinic.scheduling.greedy import solve_greedy
from ketaclinic.scheduling.model import (
    Assignment,
    Plan,
    ScheduleInputError,
    format_stamp,
    parse_instance,
    parse_plan,
    plan_to_json,
)
from ketaclinic.scheduling.validate import validate

MOVABLE_STATUSES = (VisitStatus.BOOKED, VisitStatus.CONFIRMED)
# In a re-plan every course weighs COURSE_WEIGHT and each changed start costs the move penalty
# (default 1): the optimizer moves up to nine booked visits to place one more waiting course.
COURSE_WEIGHT = 10
DEFAULT_MOVE_PENALTY = 1
KEEP_CHECK_ROUNDS = 6


def _local_day(moment: datetime, clinic: Clinic) -> date:
    return moment.astimezone(clinic.zone).date()


def _hm(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


@dataclass
class CourseVisits:
    """One booked course as the optimizer will see it: its active visits in time order, and which may move."""

    course: TreatmentCourse
    visits: list[Visit]
    movable: list[Visit]

    @property
    def key(self) -> str:
        return course_key(self.course.pk)


def course_visits(course: TreatmentCourse, first_day: date) -> CourseVisits:
    """The course's active visits; booked, unlocked ones from `first_day` on may move."""
    visits = list(Visit.objects.filter(course=course, status__in=ACTIVE_STATUSES).select_related("chair")
                  .order_by("starts_at", "pk"))
    movable = [v for v in visits if v.status in MOVABLE_STATUSES and not v.locked
               and _local_day(v.starts_at, course.clinic) >= first_day]
    return CourseVisits(course, visits, movable)


def replannable_courses(clinic: Clinic, first_day: date, last_day: date) -> list[CourseVisits]:
    """Booked courses with at least one visit that may move inside the horizon, and none after it."""
    zone = clinic.zone
    start = datetime.combine(first_day, time(0), tzinfo=zone)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone)
    ids = set(Visit.objects.filter(clinic=clinic, status__in=MOVABLE_STATUSES, locked=False, starts_at__gte=start,
                                   starts_at__lt=end, course__status__in=[CourseStatus.SCHEDULED,
                                                                         CourseStatus.ACTIVE])
              .values_list("course_id", flat=True))
    out = []
    for course in TreatmentCourse.objects.filter(pk__in=ids).select_related("clinic", "patient").order_by("pk"):
        cv = course_visits(course, first_day)
        if cv.movable and all(_local_day(v.starts_at, clinic) <= last_day for v in cv.visits):
            out.append(cv)
    return out


def _floor(minutes: int, slot: int) -> int:
    return minutes - minutes % slot


def add_courses(built: BuiltInstance, clinic: Clinic, first_day: date, items: list[CourseVisits], *,
                keep_booked: bool, first_movable_on: date | None = None) -> dict[str, list[int]]:
    """Add booked courses to an instance from build_instance (their visits excluded there).

    Returns {course key: [visit ids in time order]} to read the plan back. `keep_booked`:
    movable visits are listed as `booked` (a re-plan); otherwise they are placed afresh,
    the first of them on or after `first_movable_on` (moving a course).
    """
    data = built.data
    zone = clinic.zone
    slot = int(data["slot_minutes"])
    chairs: list[str] = data["chairs"]
    open_dates = {d["date"] for d in data["open_days"]}
    rows = {(a.patient_id, a.course_id): a
            for a in Availability.objects.filter(patient_id__in=[i.course.patient_id for i in items])}
    windows: dict[date, list[tuple[int, int, str, int, Visit]]] = {}  # day -> (start, end, key, number, visit)
    order: dict[str, list[int]] = {}
    for item in items:
        course, key = item.course, item.key
        movable_ids = {v.pk for v in item.movable}
        first = _local_day(item.visits[0].starts_at, clinic)
        if item.visits[0].pk in movable_ids:
            if keep_booked:
                earliest = min(max(course.earliest_on, first_day), first)
                latest = max(min(course.latest_start_on or first, first), first)
            else:
                earliest = first_movable_on or first_day
                latest = max(earliest, min(earliest + timedelta(days=6), course.latest_start_on or earliest
                                           + timedelta(days=6)))
        else:
            earliest = min(course.earliest_on, first)
            latest = max(course.latest_start_on or first, first)
        data["courses"].append({
            "id": key, "visits": len(item.visits), "window_days": course.window_days,
            "max_per_7_days": course.max_per_7_days, "min_gap_hours": course.min_gap_hours,
            "earliest": earliest.isoformat(), "latest_start": latest.isoformat(), "weight": 1,
            "availability": _availability_json(rows, course),
            "phases": {"checkin": course.checkin_min, "infusion": course.infusion_min,
                       "recovery": course.recovery_min},
        })
        order[key] = [v.pk for v in item.visits]
        for n, v in enumerate(item.visits, start=1):
            local = v.starts_at.astimezone(zone)
            if v.pk in movable_ids:
                if keep_booked:
                    data["booked"].append({"course": key, "visit": n, "chair": chair_key(v.chair_id or 0),
                                           "start": local.strftime("%Y-%m-%dT%H:%M")})
                continue
            if local.date().isoformat() in open_dates:
                data["fixed"].append({"course": key, "visit": n, "chair": chair_key(v.chair_id or 0),
                                      "start": local.strftime("%Y-%m-%dT%H:%M")})
            else:
                minute = _floor(local.hour * 60 + local.minute, slot)
                length = course.checkin_min + course.infusion_min + course.recovery_min
                windows.setdefault(local.date(), []).append((minute, minute + length, key, n, v))
    # Days before the horizon: one narrow open window per day, chairs given out without overlap.
    per_nurse = int(data["max_infusions_per_nurse"])
    for day, spans in sorted(windows.items()):
        opens = min(span[0] for span in spans)
        closes = max(span[1] for span in spans)
        if closes > 24 * 60:
            raise ScheduleInputError("fixed", f"a visit on {day} runs past midnight")
        data["open_days"].append({"date": day.isoformat(), "open": f"{opens // 60:02d}:{opens % 60:02d}",
                                  "close": "24:00" if closes == 24 * 60 else f"{closes // 60:02d}:{closes % 60:02d}"})
        used: dict[str, list[tuple[int, int]]] = {c: [] for c in chairs}
        for start, end, key, number, v in sorted(spans, key=lambda s: s[0]):
            own = chair_key(v.chair_id or 0)
            choices = ([own] if own in used else []) + [c for c in chairs if c != own]
            chair = next((c for c in choices if all(e <= start or s >= end for s, e in used[c])), None)
            if chair is None:
                raise ScheduleInputError("fixed", f"more visits on {day} than chairs")
            used[chair].append((start, end))
            data["fixed"].append({"course": key, "visit": number, "chair": chair,
                                  "start": f"{day.isoformat()}T{start // 60:02d}:{start % 60:02d}"})
        for i in range(math.ceil(len(spans) / per_nurse)):
            data["nurses"].append({"id": f"W{day.isoformat()}-{i}", "shifts": [
                {"date": day.isoformat(), "start": f"{opens // 60:02d}:{opens % 60:02d}",
                 "end": "24:00" if closes == 24 * 60 else f"{closes // 60:02d}:{closes % 60:02d}"}]})
    return order


def _keep_problems(data: dict[str, Any], keys: set[str]) -> set[str]:
    """Course keys among `keys` whose bookings as they stand break the instance (could not be kept)."""
    instance = parse_instance(data)
    assignments = [Assignment(f.course, f.visit, f.chair, f.start) for f in instance.fixed]
    assignments += [Assignment(b.course, b.visit, b.chair, b.start) for b in instance.booked]
    plan = make_plan(instance, "keep", assignments, status="feasible", bound=10 ** 6, seconds=0)
    bad: set[str] = set()
    for v in validate(instance, plan):
        if v.rule in ("objective", "bound", "moved", "unscheduled_list"):
            continue
        named = {k for k in keys if f"{k} " in f"{v.detail} " or f"{k}:" in v.detail}
        # A nurse-capacity or overlap problem names minutes, not courses: let none of them move.
        bad |= named or keys
    return bad


def _named_in_error(data: dict[str, Any], exc: ScheduleInputError) -> set[str]:
    """The course key of the `fixed[i]` / `booked[i]` entry a parse error names, if any."""
    m = re.match(r"(fixed|booked)\[(\d+)\]", exc.field)
    if m is None:
        return set()
    entries = data.get(m.group(1), [])
    index = int(m.group(2))
    return {entries[index]["course"]} if index < len(entries) else set()


@dataclass
class BuiltReplan:
    built: BuiltInstance
    order: dict[str, list[int]]  # course key -> visit ids, instance visit numbers 1..n
    replan: dict[str, int]  # course key -> course id
    movable: set[int]


def build_replan(clinic: Clinic, first_day: date, last_day: date, *, move_penalty: int) -> BuiltReplan:
    """The waiting courses plus every booked course whose visits may move, ready to solve.

    A course whose current bookings the optimizer could not keep as they are (they break a
    rule the format checks, such as the patient's stated times) stays put, listed in `skipped`.
    """
    waiting = waiting_courses(clinic)
    items = replannable_courses(clinic, first_day, last_day)
    kept_out: list[CourseVisits] = []
    for _ in range(KEEP_CHECK_ROUNDS):
        excluded = {v.pk for item in items for v in item.visits}
        built = build_instance(clinic, first_day, last_day, waiting, exclude_visits=excluded)
        order = add_courses(built, clinic, first_day, items, keep_booked=True)
        built.data["move_penalty"] = move_penalty
        keys = set(built.waiting) | set(order)
        for c in built.data["courses"]:
            if c["id"] in keys:
                c["weight"] = COURSE_WEIGHT
        if not built.data["open_days"] or not items:
            break
        try:
            bad = _keep_problems(built.data, {i.key for i in items})
        except ScheduleInputError as exc:
            # A fixed or booked visit the format cannot hold (off the grid, outside hours): keep its course put.
            bad = _named_in_error(built.data, exc) or {i.key for i in items}
        if not bad:
            break
        kept_out += [i for i in items if i.key in bad]
        items = [i for i in items if i.key not in bad]
    else:
        excluded = set()
        built = build_instance(clinic, first_day, last_day, waiting)
        order, kept_out, items = {}, kept_out + items, []
    for item in kept_out:
        built.skipped.append(f"{item.course.patient}: booked visits kept where they are (they break a rule "
                             f"as booked, so the optimizer cannot plan around them)")
    return BuiltReplan(built, order, {i.key: i.course.pk for i in items},
                       {v.pk for i in items for v in i.movable})


def _aware(stamp: str, clinic: Clinic) -> datetime:
    return datetime.fromisoformat(stamp).replace(tzinfo=clinic.zone)


def plan_moves(clinic: Clinic, plan: dict[str, Any], replan: BuiltReplan, first_day: date) -> list[dict[str, Any]]:
    """The moves a plan makes to booked visits: [{"visit", "from": {chair, start}, "to": {chair, start}}].

    A course whose movable visit lands before the horizon is left as it is. A visit whose
    start stays the same keeps its own chair when that chair is still free in the plan (the
    optimizer may shuffle chairs for nothing).
    """
    visits = {v.pk: v for v in Visit.objects.filter(pk__in=replan.movable).select_related("course", "chair")}
    chairs = {chair_key(c.pk): c for c in Chair.objects.filter(clinic=clinic)}
    spans: dict[int, list[tuple[datetime, datetime, str]]] = {}
    by_course: dict[str, dict[int, dict[str, Any]]] = {}
    for a in plan.get("assignments", []):
        by_course.setdefault(a["course"], {})[int(a["visit"])] = a
    lengths = {c["id"]: sum(c["phases"].values()) for c in replan.built.data["courses"]}
    for a in plan.get("assignments", []):
        chair = chairs.get(a["chair"])
        if chair is None:
            continue
        start = _aware(a["start"], clinic)
        spans.setdefault(chair.pk, []).append((start, start + timedelta(minutes=lengths.get(a["course"], 0)),
                                               f"{a['course']}:{a['visit']}"))
    moves: list[dict[str, Any]] = []
    for key in replan.replan:
        placed = by_course.get(key, {})
        order = replan.order[key]
        proposed: list[tuple[Visit, Chair, datetime, str]] = []
        refused = False
        for n, visit_id in enumerate(order, start=1):
            if visit_id not in visits or n not in placed:
                continue
            a = placed[n]
            start = _aware(a["start"], clinic)
            if _local_day(start, clinic) < first_day:
                refused = True
                break
            proposed.append((visits[visit_id], chairs[a["chair"]], start, f"{key}:{n}"))
        if refused:
            continue
        for visit, chair, start, tag in proposed:
            own = visit.chair
            if start == visit.starts_at and own is not None and chair.pk != own.pk:
                end = start + (visit.ends_at - visit.starts_at)
                if all(e <= start or s >= end for s, e, t in spans.get(own.pk, []) if t != tag):
                    spans.setdefault(own.pk, []).append((start, end, tag))
                    spans[chair.pk] = [x for x in spans.get(chair.pk, []) if x[2] != tag]
                    chair = own
            if start == visit.starts_at and chair.pk == visit.chair_id:
                continue
            moves.append({"visit": visit.pk, "course": visit.course_id,
                          "from": {"chair": visit.chair_id, "start": visit.starts_at.isoformat()},
                          "to": {"chair": chair.pk, "start": start.isoformat()}})
    moves.sort(key=lambda m: m["from"]["start"])
    return moves


@transaction.atomic
def do_replan_schedule(acting_user: User, clinic: Clinic, *, method: str = "cpsat", first_day: date | None = None,
                       days: int = HORIZON_DAYS, seconds: float = PROPOSE_SECONDS, move_penalty: int | None = None,
                       offer_id: int | None = None, now: datetime | None = None) -> Proposal:
    """Run the optimizer for the waiting courses, letting it move booked visits. Nothing is booked or moved.

    Visits that are done, checked in, locked or before tomorrow stay put; each changed start
    costs `move_penalty` (default 1, less than one more course placed). The proposal lists
    every proposed move; the front desk accepts or rejects each (do_decide_replan_move).
    Who: staff who may view patients. Raises ScheduleInputError when the clinic's set-up
    cannot be planned. Writes: Proposal, AuditEvent.
    """
    require_perm(acting_user, clinic, Perm.VIEW_PATIENTS)
    now = now or timezone.now()
    first = first_day or timezone.localdate(now, timezone=clinic.zone) + timedelta(days=1)
    last = first + timedelta(days=days - 1)
    penalty = DEFAULT_MOVE_PENALTY if move_penalty is None else max(0, move_penalty)
    replan = build_replan(clinic, first, last, move_penalty=penalty)
    if not replan.built.data["open_days"]:
        raise ScheduleInputError("open_days", "The clinic has no open days in the next weeks. Set opening hours first.")
    plan = run_plan(replan.built.data, method=method, seconds=seconds)
    if replan.replan and plan.get("unscheduled"):
        plan = _better_with_moves(replan.built.data, plan, method=method, seconds=seconds / 2)
    moves = plan_moves(clinic, plan, replan, first) if plan.get("status") in ("optimal", "feasible") else []
    built = replan.built
    proposal = Proposal.objects.create(
        clinic=clinic, first_day=first, last_day=last, method=method, instance=built.data, plan=plan,
        waiting={"courses": built.waiting, "skipped": built.skipped, "kind": "replan", "replan": replan.replan,
                 "order": replan.order, "moves": moves, "decisions": {}, "move_penalty": penalty,
                 "offer": offer_id},
        solve_seconds=float(plan.get("solve_seconds", 0)), created_at=now, created_by=acting_user)
    record_event(acting_user, "SCHEDULE_REPLANNED", clinic=clinic, obj=proposal,
                 details={"method": method, "waiting": len(built.waiting), "courses_that_may_move": len(replan.replan),
                          "moves": len(moves), "status": plan["status"], "move_penalty": penalty,
                          "offer": offer_id})
    return proposal


MUST_KEEP_WEIGHT = 1000  # in the second solve: a booked course outweighs any number of newcomers


def _score(plan: Plan, weights: dict[str, int], penalty: int) -> int:
    return sum(weights.get(c, 1) for c in {a.course for a in plan.assignments}) - penalty * plan.moved


def _better_with_moves(data: dict[str, Any], plan: dict[str, Any], *, method: str, seconds: float) -> dict[str, Any]:
    """A second try when the first plan left waiting courses out: let booked visits move freely.

    The solver may keep every booking where it is once the bookings fit (moving costs), even
    when a few moves would place another course. Here booked courses are ordinary courses of
    overwhelming weight (so all are kept, anywhere), the plan is solved, then every moved visit
    goes back to its booked slot wherever the independent validator still accepts the plan,
    so only the moves that matter remain. The better of the two plans by weight minus move
    penalties is returned, in the original instance's terms.
    """
    instance = parse_instance(data)
    weights = {c.id: c.weight for c in instance.courses}
    first = parse_plan(plan, instance.epoch)
    required = {b.course for b in instance.booked}
    free = {**data, "booked": [],
            "courses": [{**c, "weight": MUST_KEEP_WEIGHT} if c["id"] in required else c for c in data["courses"]]}
    try:
        loose = run_plan(free, method=method, seconds=seconds)
    except ScheduleInputError:
        return plan
    if not required.issubset({a["course"] for a in loose.get("assignments", [])}):
        return plan
    assignments = list(parse_plan(loose, instance.epoch).assignments)
    booked = {(b.course, b.visit): b for b in instance.booked}

    def valid(items: list[Assignment]) -> bool:
        trial = make_plan(instance, "cpsat", items, status="feasible", bound=10 ** 6, seconds=0)
        return not [v for v in validate(instance, trial) if v.rule not in ("objective", "bound", "moved")]

    if not valid(assignments):
        return plan

    def put_back(items: list[Assignment], course: str | None, index: int | None) -> list[Assignment]:
        """`items` with one course's booked visits (or the one at `index`) on their booked slots."""
        out = list(items)
        for j, x in enumerate(out):
            b = booked.get((x.course, x.visit))
            if b is not None and (x.course == course or j == index):
                out[j] = Assignment(x.course, x.visit, b.chair, b.start)
        return out

    # Whole courses first (a course's visits keep their order only together), then single visits.
    for course in sorted(required):
        back = put_back(assignments, course, None)
        if back != assignments and valid(back):
            assignments = back
    for i in range(len(assignments)):
        back = put_back(assignments, None, i)
        if back != assignments and valid(back):
            assignments = back
    # Chairs are free to the solver: give booked visits their own chair back where a swap allows.
    lengths = {c.id: c.phases.total for c in instance.courses}
    for i in range(len(assignments)):
        a = assignments[i]
        b = booked.get((a.course, a.visit))
        if b is None or a.chair == b.chair:
            continue
        end = a.start + lengths[a.course]
        swapped = [Assignment(x.course, x.visit, a.chair, x.start)
                   if x.chair == b.chair and x.start < end and x.start + lengths[x.course] > a.start else x
                   for x in assignments]
        swapped[i] = Assignment(a.course, a.visit, b.chair, a.start)
        if valid(swapped):
            assignments = swapped
    second = make_plan(instance, "cpsat", assignments, status="feasible", bound=max(first.bound, 0),
                       seconds=first.solve_seconds + float(loose.get("solve_seconds", 0)))
    if _score(second, weights, instance.move_penalty) <= _score(first, weights, instance.move_penalty):
        return plan
    out = plan_to_json(second, instance.epoch)
    out["bound"] = max(out["bound"], out["objective"])
    out["violations"] = [{"rule": v.rule, "detail": v.detail} for v in validate(instance, second)
                         if v.rule != "bound"]
    out["note"] = "booked visits moved in a second solve"
    return out


def move_label(move: dict[str, Any], visit: Visit, chairs: dict[int, Chair]) -> dict[str, Any]:
    """What the proposal page shows for one move."""
    zone = visit.clinic.zone
    old = datetime.fromisoformat(move["from"]["start"])
    new = datetime.fromisoformat(move["to"]["start"])
    old_chair, new_chair = chairs.get(move["from"]["chair"]), chairs.get(move["to"]["chair"])
    return {"visit": visit, "old": f"{day_label(_local_day(old, visit.clinic))} {hhmm(old, zone)}",
            "new": f"{day_label(_local_day(new, visit.clinic))} {hhmm(new, zone)}",
            "old_chair": old_chair.name if old_chair else "", "new_chair": new_chair.name if new_chair else ""}


class DecisionMade(ValueError):
    """The move was already accepted or rejected."""


def _decide(proposal: Proposal, visit_id: int, status: str, user: User, now: datetime, note: str = "") -> None:
    proposal.waiting.setdefault("decisions", {})[str(visit_id)] = {
        "status": status, "by": user.pk, "by_name": user.full_name or user.email, "at": now.isoformat(), "note": note}


def _apply_move(acting_user: User, proposal: Proposal, move: dict[str, Any], now: datetime) -> Visit:
    visit = Visit.objects.select_related("clinic", "patient", "course", "chair").get(pk=move["visit"])
    if visit.starts_at != datetime.fromisoformat(move["from"]["start"]) or visit.chair_id != move["from"]["chair"]:
        raise RuleBroken([Problem("changed", "This visit was changed after the proposal was made.")])
    chair = Chair.objects.get(pk=move["to"]["chair"], clinic=proposal.clinic)
    # The patient is told by the preparation app's "your visit has moved" notice, as for any
    # single move (schedule/notify.py): one message per change.
    return do_move_visit(acting_user, visit, chair, datetime.fromisoformat(move["to"]["start"]),
                         reason=f"Re-plan proposal {proposal.pk}", now=now)


@transaction.atomic
def do_decide_replan_move(acting_user: User, proposal: Proposal, visit_id: int | None, *, accept: bool,
                          now: datetime | None = None) -> tuple[int, list[str]]:
    """Accept or reject one proposed move (`visit_id`), or every undecided one (`visit_id=None`).

    Accepting moves the visit through do_move_visit (every rule re-checked, no double
    booking); the preparation app tells the patient, as for any moved visit. Accepting all tries the
    moves again while any succeeds, so a visit that must leave a slot before another takes it
    still works. A move that fails stays undecided, with the reason.
    Who: staff who may view patients. Returns (moves applied or rejected, problems).
    Writes: Visits, Proposal decisions, AuditEvents.
    """
    require_perm(acting_user, proposal.clinic, Perm.VIEW_PATIENTS)
    now = now or timezone.now()
    proposal = Proposal.objects.select_for_update().select_related("clinic").get(pk=proposal.pk)
    decisions = proposal.waiting.get("decisions", {})
    moves = [m for m in proposal.waiting.get("moves", [])
             if (visit_id is None or m["visit"] == visit_id)
             and decisions.get(str(m["visit"]), {}).get("status") not in ("accepted", "rejected")]
    if visit_id is not None and not moves:
        raise DecisionMade("This move was already decided.")
    done, problems = 0, []
    if not accept:
        for m in moves:
            _decide(proposal, m["visit"], "rejected", acting_user, now)
            done += 1
    else:
        pending = list(moves)
        errors: dict[int, str] = {}
        progress = True
        while pending and progress:
            progress = False
            for m in list(pending):
                try:
                    with transaction.atomic():
                        _apply_move(acting_user, proposal, m, now)
                except (RuleBroken, SlotTaken) as exc:
                    errors[m["visit"]] = str(exc)
                    continue
                _decide(proposal, m["visit"], "accepted", acting_user, now)
                pending.remove(m)
                errors.pop(m["visit"], None)
                done += 1
                progress = True
        for m in pending:
            _decide(proposal, m["visit"], "failed", acting_user, now, errors.get(m["visit"], ""))
            problems.append(errors.get(m["visit"], ""))
    proposal.save(update_fields=["waiting"])
    record_event(acting_user, "REPLAN_MOVES_DECIDED", clinic=proposal.clinic, obj=proposal, at=now,
                 details={"accept": accept, "visit": visit_id, "decided": done, "failed": len(problems)})
    return done, problems


# --- moving one whole course to a new first date ----------------------------------------------


@dataclass
class CourseMovePlan:
    placements: list[Placement]  # one per movable visit, visit_id set
    problem: str  # why nothing could be proposed ("" when placements are given)


def propose_course_move(course: TreatmentCourse, new_first: date, *, now: datetime | None = None,
                        days: int = HORIZON_DAYS) -> CourseMovePlan:
    """New times for every remaining visit of `course`, the first on or after `new_first`.

    Visits done, checked in, locked or today stay where they are (fixed), so the course rules
    hold over the whole course. First-fit (the scheduler's greedy method) with the other
    patients' bookings fixed. When the course does not fit, names the first visit that could
    not be placed. Reads only.
    """
    clinic = course.clinic
    now = now or timezone.now()
    tomorrow = timezone.localdate(now, timezone=clinic.zone) + timedelta(days=1)
    first = max(new_first, tomorrow)
    last = first + timedelta(days=max(days, course.window_days + 7) - 1)
    item = course_visits(course, tomorrow)
    if not item.movable:
        return CourseMovePlan([], "This course has no booked visits that can move.")
    late = [v for v in item.visits if v not in item.movable and _local_day(v.starts_at, clinic) > last]
    if late:
        return CourseMovePlan([], f"Visit {item.visits.index(late[0]) + 1} is locked or already started after "
                                  f"{day_label(last)}; move it first.")
    for count in range(len(item.movable), -1, -1):
        dropped = {v.pk for v in item.movable[count:]}  # diagnosing: the last ones left out
        trial = CourseVisits(course, [v for v in item.visits if v.pk not in dropped], item.movable[:count])
        try:
            built = build_instance(clinic, first, last, [], exclude_visits={v.pk for v in item.visits})
            if not built.data["open_days"]:
                return CourseMovePlan([], "The clinic has no open days from that date. Check the opening hours.")
            order = add_courses(built, clinic, first, [trial], keep_booked=False, first_movable_on=first)
            plan = solve_greedy(parse_instance(built.data))
        except ScheduleInputError as exc:
            return CourseMovePlan([], f"The course could not be planned: {exc.message}")
        placed = {a.visit: a for a in plan.assignments if a.course == trial.key}
        if placed and len(placed) == len(order[trial.key]):
            if count == len(item.movable):
                instance = parse_instance(built.data)
                chairs = {chair_key(c.pk): c for c in Chair.objects.filter(clinic=clinic)}
                out = []
                for n, visit_id in enumerate(order[trial.key], start=1):
                    if visit_id in {v.pk for v in item.movable}:
                        a = placed[n]
                        out.append(Placement(chairs[a.chair], _aware(format_stamp(instance.epoch, a.start), clinic),
                                             visit_id))
                return CourseMovePlan(out, "")
            number = len(item.visits) - len(item.movable) + count + 1
            return CourseMovePlan([], _not_placed_message(course, number, first))
        if count == 0:
            break
    return CourseMovePlan([], _not_placed_message(course, len(item.visits) - len(item.movable) + 1, first))


def _not_placed_message(course: TreatmentCourse, number: int, first: date) -> str:
    return (f"Visit {number} could not be placed from {day_label(first)}: no time keeps the course rules (all "
            f"visits within {course.window_days} days of the first, at least {course.min_gap_hours} hours apart, "
            f"at most {course.max_per_7_days} in 7 days) with a free chair and nurse, inside the patient's times. "
            f"Try an earlier date, or ask the provider about the course plan.")


@transaction.atomic
def do_move_course(acting_user: User, course: TreatmentCourse, placements: list[Placement], *,
                   now: datetime | None = None) -> list[Visit]:
    """Move every remaining visit of a course at once: all or nothing.

    Who: staff who may view patients. Steps:
    1. lock the course and its visits; the placements must cover exactly the visits that may
       move now (booked, not locked, from tomorrow), else RuleBroken ("changed since");
    2. lock the chairs; check each new slot (hours, grid, chair, patient, nurses) with the
       course's moving visits out of the way, naming the first visit that cannot go there;
    3. check the course rules over the whole course (done visits included);
    4. write: the moving visits first give up their old slots, then take the new ones, so the
       PostgreSQL overlap constraints never see a visit of this course in two places;
    5. renumber, audit, and queue one message to the patient listing every new time (their
       language); the preparation app sends no per-visit "moved" notices for these moves.
    Raises RuleBroken, SlotTaken. Writes: Visits, AuditEvent, OutboundMessage.
    """
    require_perm(acting_user, course.clinic, Perm.VIEW_PATIENTS)
    now = now or timezone.now()
    course = (TreatmentCourse.objects.select_for_update(of=("self",)).select_related("clinic", "patient")
              .get(pk=course.pk))
    clinic = course.clinic
    if course.status == CourseStatus.CANCELLED:
        raise RuleBroken([Problem("course", "This course was cancelled.")])
    tomorrow = timezone.localdate(now, timezone=clinic.zone) + timedelta(days=1)
    list(Visit.objects.select_for_update().filter(course=course))
    item = course_visits(course, tomorrow)
    if {p.visit_id for p in placements} != {v.pk for v in item.movable} or len(placements) != len(item.movable):
        raise RuleBroken([Problem("changed", "The course's visits changed since these times were proposed. "
                                             "Propose again.")])
    placements = sorted(placements, key=lambda p: p.starts_at)
    current = {v.pk: (v.chair_id, v.starts_at) for v in item.movable}
    if all(current[p.visit_id or 0] == (p.chair.pk, p.starts_at) for p in placements):
        return list(item.movable)  # a double submit: already there, nothing to write or tell
    if any(p.starts_at <= now for p in placements):
        raise RuleBroken([Problem("past", "A visit can't be moved into the past.")])
    _lock_chairs([p.chair for p in placements])
    moving = {v.pk for v in item.movable}
    zone = clinic.zone
    days = {_local_day(p.starts_at, clinic) for p in placements}
    boards = load_boards(clinic, days)
    numbers = {start: n for n, start in enumerate(sorted(
        [v.starts_at for v in item.visits if v.pk not in moving] + [p.starts_at for p in placements]), start=1)}
    for i, p in enumerate(placements):
        day = _local_day(p.starts_at, clinic)
        extra = [(q.chair, q.starts_at) for q in placements[:i] if _local_day(q.starts_at, clinic) == day]
        hard = blocking(boards[day].placement_problems(course, p.chair, p.starts_at, ignore=moving, extra=extra))
        if hard:
            when = f"{day_label(day)} at {hhmm(p.starts_at, zone)}"
            raise RuleBroken([Problem(hard[0].rule, f"Visit {numbers[p.starts_at]} ({when}, {p.chair.name}) could "
                                                    f"not be placed: {hard[0].message}")])
    problems = check_course_plan(course, placements, boards=boards)
    hard = blocking(problems)
    if hard:
        raise RuleBroken([Problem(h.rule, f"The new dates break the course rules: {h.message}") for h in hard])
    old = {v.pk: (v.chair.name if v.chair else "", v.starts_at) for v in item.movable}
    length = timedelta(minutes=course.visit_minutes)
    # 1) give up the old slots (an empty time range overlaps nothing), 2) take the new ones.
    Visit.objects.filter(pk__in=moving).update(ends_at=F("starts_at"))
    for p in placements:
        try:
            with transaction.atomic():
                Visit.objects.filter(pk=p.visit_id or 0).update(chair=p.chair, starts_at=p.starts_at,
                                                         ends_at=p.starts_at + length)
        except IntegrityError as exc:
            taken = _slot_taken(exc)
            raise SlotTaken(f"Visit {numbers[p.starts_at]} ({day_label(_local_day(p.starts_at, clinic))} at "
                            f"{hhmm(p.starts_at, zone)}): {taken}") from exc
    _renumber(course)
    visits = list(Visit.objects.filter(pk__in=moving).select_related("clinic", "patient", "course", "chair", "nurse")
                  .order_by("starts_at"))
    for v in visits:
        assign_on_booking(v)
    record_event(acting_user, COURSE_MOVED_EVENT, patient=course.patient, obj=course, at=now,
                 details={"visits": [{"visit": v.pk, "from": {"chair": old[v.pk][0],
                                                               "starts_at": old[v.pk][1].isoformat()},
                                      "to": {"chair": v.chair.name if v.chair else "",
                                             "starts_at": v.starts_at.isoformat()}} for v in visits],
                          "warnings": [p.message for p in problems if not p.blocking]})
    changed = [v for v in visits if v.starts_at != old[v.pk][1]]
    if changed:
        queue_course_moved_message(course, changed, now=now)
    return visits

