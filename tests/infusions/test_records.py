"""Derived records: the vitals schedule, programmed versus actual pump course, CS reconciliation,
the paper-chart transcription and the next-day check-in."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from ketaclinic.audit.models import AuditEvent
from ketaclinic.infusions.actions import (
    InfusionError,
    do_answer_follow_up,
    do_discharge_patient,
    do_dispose_stock,
    do_receive_stock,
    do_record_cs_administration,
    do_record_cs_count,
    do_record_pump_event,
    do_record_vitals,
    do_score_discharge,
)
from ketaclinic.infusions.actions.controlled import lot_balance
from ketaclinic.infusions.actions.history import do_transcribe_paper_record
from ketaclinic.infusions.models import FollowUp, PumpEvent, VitalSign
from ketaclinic.infusions.records import cs_reconciliation, next_vitals_due, pump_course
from tests.factories import PASSWORD
from tests.infusions.conftest import at, book_visit

pytestmark = pytest.mark.django_db
FULL = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "oxygen_saturation": 2}


def _due(visit: Any) -> Any:
    visit.refresh_from_db()
    vitals = list(VitalSign.objects.current().filter(visit=visit))
    events = list(PumpEvent.objects.filter(visit=visit))
    return next_vitals_due(visit, vitals, events, visit.clinic.protocol())


def test_vitals_fall_due_every_10_minutes_then_at_the_end_then_every_15(nurse: Any, ready_visit: Any) -> None:
    do_record_pump_event(nurse, ready_visit, "start", now=at(9, 15))
    assert _due(ready_visit).due_at == at(9, 25)
    do_record_vitals(nurse, ready_visit, heart_rate=80, now=at(9, 27))
    assert _due(ready_visit).due_at == at(9, 37) and _due(ready_visit).overdue(at(9, 38))
    do_record_pump_event(nurse, ready_visit, "stop", now=at(9, 55))
    assert _due(ready_visit).due_at == at(9, 55) and _due(ready_visit).label == "end of infusion"
    do_record_vitals(nurse, ready_visit, heart_rate=80, now=at(9, 56))
    assert _due(ready_visit).due_at == at(10, 11)


def test_programmed_versus_actual_counts_pauses(nurse: Any, ready_visit: Any) -> None:
    do_record_pump_event(nurse, ready_visit, "start", now=at(9, 15))
    do_record_pump_event(nurse, ready_visit, "pause", reason="nausea", now=at(9, 25))
    do_record_pump_event(nurse, ready_visit, "resume", now=at(9, 30))
    do_record_pump_event(nurse, ready_visit, "rate_change", rate_ml_per_h="100", reason="slower", now=at(9, 40))
    do_record_pump_event(nurse, ready_visit, "stop", volume_infused_ml="90", now=at(10, 0))
    order = ready_visit.dose_orders.get()
    course = pump_course(order, list(PumpEvent.objects.filter(visit=ready_visit)), at(11, 0))
    assert course.running_minutes == 40 and course.paused_minutes == 5 and course.actual_minutes == 45
    assert course.estimated_volume_ml == Decimal("85.3")  # 156 × 20/60 + 100 × 20/60
    assert course.reported_volume_ml == Decimal("90") and course.programmed_minutes == Decimal("40.0")


def test_the_cs_log_reconciles_and_flags_discrepancies(nurse: Any, nurse2: Any, provider: Any,
                                                       ready_visit: Any, clinic: Any) -> None:
    do_receive_stock(nurse, clinic, lot="L1", expires_on=at(0).date() + timedelta(days=90),
                     concentration_mg_per_ml=10, mg=500, now=at(8, 0))
    do_receive_stock(nurse, clinic, lot="OLD", expires_on=at(0).date() - timedelta(days=1),
                     concentration_mg_per_ml=10, mg=500, now=at(8, 0))
    do_record_pump_event(nurse, ready_visit, "start", now=at(9, 15))
    with pytest.raises(InfusionError) as exc:
        do_record_cs_administration(nurse, ready_visit, lot="OLD", mg_drawn=50, mg_given=40, mg_wasted=10,
                                    witness=nurse2, witness_password=PASSWORD)
    assert "expired" in exc.value.message
    with pytest.raises(InfusionError) as exc:
        do_record_cs_administration(nurse, ready_visit, lot="L1", mg_drawn=50, mg_given=40, mg_wasted=5)
    assert exc.value.field == "mg_wasted"
    with pytest.raises(InfusionError) as exc:
        do_record_cs_administration(nurse, ready_visit, lot="L1", mg_drawn=50, mg_given=40, mg_wasted=10,
                                    witness=nurse2, witness_password="nope")
    assert exc.value.field == "witness_password"
    do_record_cs_administration(nurse, ready_visit, lot="L1", mg_drawn=50, mg_given=40, mg_wasted=10,
                                witness=nurse2, witness_password=PASSWORD, now=at(9, 16))
    do_record_cs_count(nurse, clinic, lot="L1", mg_on_hand=440, witness=provider, witness_password=PASSWORD,
                       now=at(17, 0))
    lots, visits = cs_reconciliation(clinic.pk, at(0), at(23))
    l1 = next(line for line in lots if line.lot == "L1")
    assert l1.balance == Decimal("450") and l1.wasted == Decimal("10")
    assert l1.problems == ["Count 440.00 mg differs from the log (450.00 mg)."]
    assert visits[0].given == Decimal("40") and visits[0].problems == []


def test_an_infusion_without_a_logged_drug_is_flagged(nurse: Any, ready_visit: Any, clinic: Any) -> None:
    do_record_pump_event(nurse, ready_visit, "start", now=at(9, 15))
    _, visits = cs_reconciliation(clinic.pk, at(0), at(23))
    assert visits[0].problems == ["Infusion started but no drug is logged."]


def test_paper_records_are_transcribed_only_onto_finished_visits(provider: Any, nurse: Any, patient: Any,
                                                                 chair: Any, front_desk: Any,
                                                                 frozen: Any) -> None:
    from ketaclinic.infusions.actions import parse_request

    past = book_visit(patient, chair, provider, front_desk, at(9, 0) - timedelta(days=7), status="discharged")
    dose = parse_request(dose_mg_per_kg="0.5", weight_basis="actual", concentration_mg_per_ml="10",
                         bag_volume_ml="100", duration_minutes="40")
    start = at(9, 30) - timedelta(days=7)
    kwargs: dict[str, Any] = {
        "source_note": "paper chart", "nurse": nurse, "weight_kg": Decimal(70), "height_cm": Decimal(165),
        "dose": dose, "started_at": start, "observations": [], "aldrete": FULL, "escort_name": "Sam",
        "escort_relationship": "husband",
        "vitals": [{"taken_at": start + timedelta(minutes=10), "systolic": 190, "diastolic": 95}],
        "adverse_events": [{"event_type": "vomiting", "severity": "moderate", "onset_at": start,
                            "action_taken": "paused", "rescue": ("ondansetron", Decimal(4), "mg", "IV")}],
    }
    with pytest.raises(PermissionDenied):
        do_transcribe_paper_record(nurse, past, **kwargs)
    order = do_transcribe_paper_record(provider, past, **kwargs)
    assert order.dose_mg == Decimal("35.00") and past.vital_alerts.get().code == "bp_pause"
    with pytest.raises(InfusionError):
        do_transcribe_paper_record(provider, past, **kwargs)  # only once


def test_concerning_next_day_answers_flag_the_nurse(nurse: Any, patient: Any, other_patient: Any,
                                                    ready_visit: Any) -> None:
    do_record_pump_event(nurse, ready_visit, "start", now=at(9, 15))
    do_record_pump_event(nurse, ready_visit, "stop", now=at(9, 55))
    do_score_discharge(nurse, ready_visit, "aldrete", FULL, now=at(10, 26))
    do_discharge_patient(nurse, ready_visit, escort_name="Sam Reyes", escort_relationship="husband",
                         aftercare_given=True, now=at(10, 27))
    follow_up = FollowUp.objects.get(visit=ready_visit)
    answers = {"feeling": "okay", "vomiting": "no", "strange_feelings": "no", "urine_pain": "no",
               "headache": "yes", "mood_worse": "no", "self_harm": "no"}
    with pytest.raises(PermissionDenied):
        do_answer_follow_up(other_patient.user, follow_up, answers)
    with pytest.raises(InfusionError) as exc:
        do_answer_follow_up(patient.user, follow_up, {**answers, "self_harm": None})
    assert exc.value.field == "self_harm"
    quiet = do_answer_follow_up(patient.user, follow_up, answers, now=at(10, 0) + timedelta(days=1))
    assert not quiet.flagged


def test_thoughts_of_self_harm_flag_for_a_call_today(nurse: Any, patient: Any, ready_visit: Any) -> None:
    do_record_pump_event(nurse, ready_visit, "start", now=at(9, 15))
    do_record_pump_event(nurse, ready_visit, "stop", now=at(9, 55))
    do_score_discharge(nurse, ready_visit, "aldrete", FULL, now=at(10, 26))
    do_discharge_patient(nurse, ready_visit, escort_name="Sam Reyes", escort_relationship="husband",
                         aftercare_given=True, now=at(10, 27))
    answers = {"feeling": "poor", "vomiting": "no", "strange_feelings": "yes", "urine_pain": "no",
               "headache": "no", "mood_worse": "yes", "self_harm": "yes"}
    item = do_answer_follow_up(patient.user, FollowUp.objects.get(visit=ready_visit), answers)
    assert item.flagged and "Thoughts of self-harm — call today" in item.flag_reasons
    assert "Perceptual changes the next day" in item.flag_reasons and "Feels unwell" in item.flag_reasons


def test_an_adverse_event_update_keeps_the_original(nurse: Any, ready_visit: Any, login: Any) -> None:
    from django.urls import reverse

    from ketaclinic.infusions.actions import do_record_adverse_event
    from ketaclinic.infusions.models import AdverseEvent

    original = do_record_adverse_event(nurse, ready_visit, event_type="headache", severity="mild",
                                       action_taken="water, dim lights", now=at(9, 20))
    response = login(nurse).post(reverse("infusions:amend_adverse_event", args=[original.pk]),
                                 {"outcome": "resolved by discharge", "reason": "outcome at discharge"})
    assert response.status_code == 302
    current = AdverseEvent.objects.current().get()
    assert current.amends == original and current.outcome == "resolved by discharge"
    original.refresh_from_db()
    assert original.outcome == ""


def test_the_cs_log_page_query_count_does_not_grow(login: Any, nurse: Any, nurse2: Any, clinic: Any,
                                                   provider: Any, front_desk: Any, frozen: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ketaclinic.infusions.actions import do_take_patient
    from ketaclinic.schedule.actions import do_create_chair
    from tests.factories import make_patient

    do_receive_stock(nurse, clinic, lot="L1", expires_on=at(0).date() + timedelta(days=90),
                     concentration_mg_per_ml=10, mg=5000, now=at(8, 0))

    def add(n: int) -> None:
        chair = do_create_chair(None, clinic, f"Chair C{n}")
        visit = book_visit(make_patient(clinic), chair, provider, front_desk, at(9, 0))
        do_take_patient(nurse, visit, chair, now=at(9, 1))
        do_record_cs_administration(nurse, visit, lot="L1", mg_drawn=50, mg_given=40, mg_wasted=10,
                                    witness=nurse2, witness_password=PASSWORD, now=at(9, 5))

    def count() -> int:
        client = login(nurse)
        with CaptureQueriesContext(connection) as ctx:
            body = client.get("/infusions/controlled-substances/").content.decode()
        assert "Drug drawn but the infusion never started." in body
        return len(ctx.captured_queries)

    add(0)
    one = count()
    for n in range(1, 6):
        add(n)
    assert count() == one


def test_expired_stock_is_disposed_of_with_a_witness_and_leaves_the_running_inventory(
        nurse: Any, nurse2: Any, front_desk: Any, clinic: Any) -> None:
    do_receive_stock(nurse, clinic, lot="EXP", expires_on=at(0).date() - timedelta(days=1),
                     concentration_mg_per_ml=10, mg=500, now=at(8, 0))
    good = {"lot": "EXP", "mg": 500, "method": "reverse_distributor", "reference": "RD-2231",
            "reason": "Expired", "witness": nurse2, "witness_password": PASSWORD}
    for change, field in [({"witness": None}, "witness"), ({"witness": nurse}, "witness"),
                          ({"witness_password": "nope"}, "witness_password"), ({"reference": " "}, "reference"),
                          ({"reason": ""}, "reason"), ({"method": "sink"}, "method"), ({"mg": 501}, "mg"),
                          ({"mg": 0}, "mg"), ({"lot": "NOPE"}, "lot")]:
        with pytest.raises(InfusionError) as exc:
            do_dispose_stock(nurse, clinic, **{**good, **change}, now=at(10, 0))  # type: ignore[arg-type]
        assert exc.value.field == field, change
    with pytest.raises(PermissionDenied):
        do_dispose_stock(front_desk, clinic, **good, now=at(10, 0))  # type: ignore[arg-type]
    entry = do_dispose_stock(nurse, clinic, **{**good, "mg": 300}, now=at(10, 0))  # type: ignore[arg-type]
    assert entry.witness == nurse2 and entry.disposal_reference == "RD-2231" and entry.note == "Expired"
    assert lot_balance(clinic, "EXP") == Decimal("200")
    with pytest.raises(InfusionError) as exc:
        do_dispose_stock(nurse, clinic, **{**good, "mg": 201}, now=at(10, 5))  # type: ignore[arg-type]
    assert "200.00 mg" in exc.value.message
    do_record_cs_count(nurse, clinic, lot="EXP", mg_on_hand=200, witness=nurse2, witness_password=PASSWORD,
                       now=at(11, 0))
    lots, _ = cs_reconciliation(clinic.pk, at(0), at(23))
    line = next(x for x in lots if x.lot == "EXP")
    assert line.disposed == Decimal("300") and line.balance == Decimal("200") and line.problems == []
    assert AuditEvent.objects.filter(action="CS_DISPOSED", actor=nurse).count() == 1
