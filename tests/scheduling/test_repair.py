"""Insertion by re-packing (repair.py): a lost course goes back by moving others within their day."""

from __future__ import annotations

from ketaclinic.scheduling.common import course_slots, make_plan, nurse_capacity
from ketaclinic.scheduling.generate import generate
from ketaclinic.scheduling.greedy import schedulable_alone, solve_greedy
from ketaclinic.scheduling.model import Assignment, parse_instance
from ketaclinic.scheduling.repair import Timetable, insert_lost
from ketaclinic.scheduling.validate import validate

from .factory import course, make_instance, visit

MORNING = [{"date": "2027-01-04", "open": "08:00", "close": "12:00"}]
NURSE = [{"id": "N1", "shifts": [{"date": "2027-01-04", "start": "08:00", "end": "12:00"}]}]


def _morning(**extra: object) -> dict[str, object]:
    # One chair, four hours, 105-minute visits: two fit only if the first starts by 08:20.
    return make_instance(open_days=MORNING, nurses=NURSE, chairs=["C1"], courses=[course("A"), course("B")], **extra)


def test_second_visit_fits_only_after_moving_the_first() -> None:
    inst = parse_instance(_morning())
    slots, cap = course_slots(inst), nurse_capacity(inst)
    placed = [Assignment("A", 1, "C1", 9 * 60)]  # 09:00 leaves no room before or after
    got = insert_lost(inst, slots, cap, placed, {"B": [0]}, 5.0, 1)
    plan = make_plan(inst, "test", got, status="feasible", bound=2, seconds=0.0)
    assert plan.objective == 2 and validate(inst, plan) == []
    assert {a.course: a.start for a in plan.assignments}["A"] < 9 * 60


def test_kept_booking_is_never_moved_to_make_room() -> None:
    inst = parse_instance(_morning(booked=[visit("A", 1, "C1", "2027-01-04T09:00")]))
    slots, cap = course_slots(inst), nurse_capacity(inst)
    placed = [Assignment("A", 1, "C1", 9 * 60)]
    got = insert_lost(inst, slots, cap, placed, {"B": [0]}, 5.0, 1, pin_booked=True)
    assert got == placed


def test_failed_insertion_changes_nothing() -> None:
    inst = parse_instance(_morning())
    slots, cap = course_slots(inst), nurse_capacity(inst)
    placed = [Assignment("A", 1, "C1", 9 * 60)]
    table = Timetable(inst, slots, cap, placed)
    before = (dict(table.start), table.seats.copy(), table.load.copy())
    # The repack is refused when no day re-pack is allowed: nothing may have moved.
    assert not table.insert("B", [0], 5.0, 1, repacks=0)
    assert table.start == before[0]
    assert (table.seats == before[1]).all() and (table.load == before[2]).all()


def test_inserting_every_waiting_course_keeps_plans_valid() -> None:
    inst = parse_instance(generate(chairs=2, nurses=1, courses=30, days=10, seed=5))
    slots, cap = course_slots(inst), nurse_capacity(inst)
    greedy = solve_greedy(inst)
    alone = schedulable_alone(inst)
    got = insert_lost(inst, slots, cap, list(greedy.assignments), {}, 10.0, 1, wanted=alone)
    plan = make_plan(inst, "test", got, status="feasible", bound=len(inst.courses), seconds=0.0)
    assert validate(inst, plan) == []
    assert plan.objective >= greedy.objective


def test_a_repack_moves_others_before_a_booking() -> None:
    # One chair 08:00-13:30 holds three 105-minute visits only back to back from 08:00. Z is
    # booked at 08:00, B sits at 10:00; C fits only if B moves up to 09:50. Z, sorting after
    # B, would take B's later start if keeping its booking were worth nothing.
    day = [{"date": "2027-01-04", "open": "08:00", "close": "13:30"}]
    nurse = [{"id": "N1", "shifts": [{"date": "2027-01-04", "start": "08:00", "end": "13:30"}]}]
    inst = parse_instance(make_instance(open_days=day, nurses=nurse, chairs=["C1"],
                                        courses=[course("Z"), course("B"), course("C")],
                                        booked=[visit("Z", 1, "C1", "2027-01-04T08:00")]))
    slots, cap = course_slots(inst), nurse_capacity(inst)
    placed = [Assignment("Z", 1, "C1", 8 * 60), Assignment("B", 1, "C1", 10 * 60)]
    got = insert_lost(inst, slots, cap, placed, {"C": [0]}, 5.0, 1)
    plan = make_plan(inst, "test", got, status="feasible", bound=3, seconds=0.0)
    assert plan.objective == 3 and validate(inst, plan) == []
    starts = {a.course: a.start for a in plan.assignments}
    assert starts["Z"] == 8 * 60 and plan.moved == 0
    assert starts["B"] == 9 * 60 + 50 and starts["C"] == 11 * 60 + 40


def test_an_insertion_stands_only_when_the_course_outweighs_the_moves() -> None:
    # One chair 08:00-13:30; A booked 08:20 and Z booked 10:10 leave no 105-minute gap. C fits
    # only if both move (A to 08:00, Z to 09:50): two moves at penalty 1 each.
    day = [{"date": "2027-01-04", "open": "08:00", "close": "13:30"}]
    nurse = [{"id": "N1", "shifts": [{"date": "2027-01-04", "start": "08:00", "end": "13:30"}]}]
    for weight, fitted in ((2, False), (3, True)):
        inst = parse_instance(make_instance(
            open_days=day, nurses=nurse, chairs=["C1"], courses=[course("A"), course("Z"), course("C", weight=weight)],
            booked=[visit("A", 1, "C1", "2027-01-04T08:20"), visit("Z", 1, "C1", "2027-01-04T10:10")]))
        slots, cap = course_slots(inst), nurse_capacity(inst)
        placed = [Assignment("A", 1, "C1", 8 * 60 + 20), Assignment("Z", 1, "C1", 10 * 60 + 10)]
        got = insert_lost(inst, slots, cap, placed, {"C": [0]}, 5.0, 1)
        plan = make_plan(inst, "test", got, status="feasible", bound=10, seconds=0.0)
        assert validate(inst, plan) == []
        assert (plan.unscheduled, plan.moved) == (((), 2) if fitted else (("C",), 0))


def test_moved_bookings_go_back_where_their_slots_are_free() -> None:
    # P was booked Tue 12:00 and Wed 08:00 (20 hours apart, the minimum) but sits a day early,
    # Mon 12:00 and Tue 08:00. Its first visit alone cannot go back (it would follow the
    # second); both together can. Q, booked Mon 08:00 and placed Mon 10:00, goes back alone.
    inst = parse_instance(make_instance(
        chairs=["C1"], courses=[course("P", 2), course("Q")],
        booked=[visit("P", 1, "C1", "2027-01-05T12:00"), visit("P", 2, "C1", "2027-01-06T08:00"),
                visit("Q", 1, "C1", "2027-01-04T08:00")]))
    slots, cap = course_slots(inst), nurse_capacity(inst)
    placed = [Assignment("P", 1, "C1", 12 * 60), Assignment("P", 2, "C1", 1440 + 8 * 60),
              Assignment("Q", 1, "C1", 10 * 60)]
    assert make_plan(inst, "test", placed, status="feasible", bound=2, seconds=0.0).moved == 3
    got = insert_lost(inst, slots, cap, placed, {}, 5.0, 1)
    plan = make_plan(inst, "test", got, status="feasible", bound=2, seconds=0.0)
    assert validate(inst, plan) == [] and plan.moved == 0
