"""The whole visit through the actions: gate, order, pump, recovery, discharge — and every refusal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from ketaclinic.audit.models import AuditEvent
from ketaclinic.infusions.actions import (
    GateNotMet,
    InfusionError,
    do_discharge_patient,
    do_mark_arrived,
    do_order_dose,
    do_override_gate_item,
    do_record_checkin,
    do_record_pump_event,
    do_record_vitals,
    do_score_discharge,
    do_take_patient,
    parse_request,
)
from ketaclinic.infusions.actions.discharge import discharge_blockers
from ketaclinic.infusions.models import Discharge, DoseOrder, FollowUp, PumpEvent
from ketaclinic.infusions.readiness import readiness, unmet
from tests.infusions.conftest import at, book_visit, complete_checkin

pytestmark = pytest.mark.django_db
FULL = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "oxygen_saturation": 2}


def standard(**changes: Any) -> Any:
    values = {"dose_mg_per_kg": "0.5", "weight_basis": "actual", "concentration_mg_per_ml": "10",
              "bag_volume_ml": "100", "duration_minutes": "40"}
    values.update(changes)
    return parse_request(**values)


def test_the_gate_lists_every_unmet_item_for_a_new_arrival(visit: Any) -> None:
    codes = [i.code for i in unmet(readiness(visit, now=at(9, 5)))]
    assert codes == ["health_update", "weight", "fasting", "alcohol_drugs", "medications", "ride",
                     "baseline_vitals", "pregnancy", "consent"]


def test_fasting_gives_the_earliest_safe_start(nurse: Any, visit: Any) -> None:
    do_take_patient(nurse, visit, visit.chair, now=at(9, 1))
    complete_checkin(nurse, visit, last_solid_food_at=at(7, 30))
    fasting = next(i for i in readiness(visit, now=at(9, 10)) if i.code == "fasting")
    assert not fasting.met and "13:30" in fasting.detail
    assert next(i for i in readiness(visit, now=at(13, 31)) if i.code == "fasting").met


def test_high_baseline_bp_holds_the_gate(nurse: Any, visit: Any) -> None:
    do_take_patient(nurse, visit, visit.chair, now=at(9, 1))
    complete_checkin(nurse, visit)
    do_record_vitals(nurse, visit, systolic=185, diastolic=100, heart_rate=80, spo2=98, respiratory_rate=14,
                     now=at(9, 20))
    item = next(i for i in readiness(visit, now=at(9, 21)) if i.code == "baseline_vitals")
    assert not item.met and "Do not start" in item.detail


def test_the_pump_cannot_start_until_the_gate_passes(nurse: Any, provider: Any, visit: Any) -> None:
    do_take_patient(nurse, visit, visit.chair, now=at(9, 1))
    complete_checkin(nurse, visit, ride_confirmed=False)
    do_order_dose(provider, visit, standard(), now=at(9, 12))
    with pytest.raises(GateNotMet) as exc:
        do_record_pump_event(nurse, visit, "start", now=at(9, 15))
    assert [i.code for i in exc.value.items] == ["ride"]
    assert not PumpEvent.objects.exists()
    visit.refresh_from_db()
    assert visit.status == "in_chair"


def test_only_a_provider_overrides_a_gate_item_and_it_is_audited(nurse: Any, provider: Any, visit: Any) -> None:
    do_take_patient(nurse, visit, visit.chair, now=at(9, 1))
    complete_checkin(nurse, visit, ride_confirmed=False)
    do_order_dose(provider, visit, standard(), now=at(9, 12))
    with pytest.raises(PermissionDenied):
        do_override_gate_item(nurse, visit, "ride", reason="escort is in the lounge")
    with pytest.raises(InfusionError):
        do_override_gate_item(provider, visit, "ride", reason=" ")
    do_override_gate_item(provider, visit, "ride", reason="Escort in the lounge; phone confirmed in person",
                          now=at(9, 14))
    assert AuditEvent.objects.filter(action="GATE_ITEM_OVERRIDDEN", details__item="ride").exists()
    event = do_record_pump_event(nurse, visit, "start", now=at(9, 15))
    assert event.rate_ml_per_h == Decimal("156.00")


def test_no_dose_order_no_start(nurse: Any, visit: Any) -> None:
    do_take_patient(nurse, visit, visit.chair, now=at(9, 1))
    complete_checkin(nurse, visit)
    with pytest.raises(InfusionError):
        do_record_pump_event(nurse, visit, "start", now=at(9, 15))


def test_the_order_computes_rate_and_needs_reasons_for_findings(provider: Any, nurse: Any, nurse2: Any,
                                                                visit: Any, medical_director: Any) -> None:
    do_take_patient(nurse, visit, visit.chair, now=at(9, 1))
    complete_checkin(nurse, visit)
    with pytest.raises(PermissionDenied):
        do_order_dose(nurse, visit, standard())
    with pytest.raises(InfusionError) as exc:
        do_order_dose(provider, visit, standard(dose_mg_per_kg="0.8"))
    assert exc.value.field == "acknowledgement_reason"
    # hard stop (2 mg/kg): needs a second licensed person with their password
    with pytest.raises(InfusionError) as exc:
        do_order_dose(provider, visit, standard(dose_mg_per_kg="2"), acknowledgement_reason="x", cosign_reason="y")
    assert exc.value.field == "cosigner"
    with pytest.raises(InfusionError) as exc:
        do_order_dose(provider, visit, standard(dose_mg_per_kg="2"), acknowledgement_reason="x", cosign_reason="y",
                      cosigner=provider, cosigner_password="correct-horse-battery-staple")
    assert exc.value.field == "cosigner"
    with pytest.raises(InfusionError) as exc:
        do_order_dose(provider, visit, standard(dose_mg_per_kg="2"), acknowledgement_reason="x", cosign_reason="y",
                      cosigner=nurse2, cosigner_password="wrong")
    assert exc.value.field == "cosigner_password"
    assert not DoseOrder.objects.exists()
    order = do_order_dose(provider, visit, standard(dose_mg_per_kg="2"), acknowledgement_reason="research protocol",
                          cosign_reason="approved by the medical director", cosigner=medical_director,
                          cosigner_password="correct-horse-battery-staple", now=at(9, 12))
    assert order.cosigned_by == medical_director and order.has_hard_stop
    assert AuditEvent.objects.filter(action="DOSE_OVERRIDDEN", actor=medical_director).exists()
    with pytest.raises(InfusionError) as exc:
        do_order_dose(provider, visit, standard())
    assert exc.value.field == "amend_reason"
    replacement = do_order_dose(provider, visit, standard(), amend_reason="back to standard", now=at(9, 13))
    assert replacement.amends == order and list(DoseOrder.objects.current()) == [replacement]
    assert replacement.dose_mg == Decimal("40.00") and replacement.rate_ml_per_h == Decimal("156.00")


def test_pump_sequence_recovery_and_discharge(nurse: Any, provider: Any, ready_visit: Any) -> None:
    visit = ready_visit
    with pytest.raises(InfusionError):
        do_record_pump_event(nurse, visit, "pause", reason="x", now=at(9, 14))
    do_record_pump_event(nurse, visit, "start", now=at(9, 15))
    visit.refresh_from_db()
    assert visit.status == "infusing"
    with pytest.raises(InfusionError):
        do_record_pump_event(nurse, visit, "rate_change", rate_ml_per_h="200", reason="x", now=at(9, 20))
    do_record_pump_event(nurse, visit, "pause", reason="nausea", now=at(9, 25))
    do_record_pump_event(nurse, visit, "resume", now=at(9, 30))
    with pytest.raises(InfusionError):
        do_discharge_patient(nurse, visit, escort_name="Sam Reyes", escort_relationship="brother",
                             aftercare_given=True, now=at(9, 40))
    do_record_pump_event(nurse, visit, "stop", volume_infused_ml="104", now=at(10, 0))
    visit.refresh_from_db()
    assert visit.status == "recovering"
    do_score_discharge(nurse, visit, "aldrete", FULL, now=at(10, 10))
    assert any("observe" in r for r in discharge_blockers(visit, now=at(10, 10)))
    with pytest.raises(InfusionError) as exc:
        do_discharge_patient(nurse, visit, escort_name="Sam Reyes", escort_relationship="brother",
                             aftercare_given=True, now=at(10, 10))
    assert exc.value.field == "override_reason"
    with pytest.raises(PermissionDenied):
        do_discharge_patient(nurse, visit, escort_name="Sam Reyes", escort_relationship="brother",
                             aftercare_given=True, override_reason="feels fine", now=at(10, 10))
    assert discharge_blockers(visit, now=at(10, 31)) == []
    discharge = do_discharge_patient(nurse, visit, escort_name="sam  reyes", escort_relationship="Brother",
                                     aftercare_given=True, now=at(10, 31))
    assert discharge.escort_matches_ride and discharge.override_by is None
    visit.refresh_from_db()
    assert visit.status == "discharged"
    assert FollowUp.objects.get(visit=visit).due_at == at(10, 0).replace(day=27)
    again = do_discharge_patient(nurse, visit, escort_name="x", escort_relationship="y", aftercare_given=True)
    assert again.pk == discharge.pk and Discharge.objects.count() == 1


def test_a_provider_may_discharge_early_with_a_reason(nurse: Any, provider: Any, ready_visit: Any) -> None:
    visit = ready_visit
    do_record_pump_event(nurse, visit, "start", now=at(9, 15))
    do_record_pump_event(nurse, visit, "stop", now=at(9, 55))
    d = do_discharge_patient(provider, visit, escort_name="Lee Park", escort_relationship="friend",
                             aftercare_given=True, override_reason="Transfer to ED by ambulance crew", now=at(10, 0))
    assert d.override_by == provider and not d.escort_matches_ride
    assert AuditEvent.objects.filter(action="DISCHARGE_OVERRIDDEN").exists()


def test_front_desk_marks_arrival_once(front_desk: Any, patient: Any, chair: Any, provider: Any, frozen: Any) -> None:
    visit = book_visit(patient, chair, provider, front_desk, at(9, 0), status="booked")
    do_mark_arrived(front_desk, visit, now=at(8, 50))
    do_mark_arrived(front_desk, visit, now=at(8, 51))
    assert AuditEvent.objects.filter(action="PATIENT_ARRIVED").count() == 1


def test_a_chair_with_a_patient_cannot_be_taken(nurse: Any, visit: Any, other_patient: Any, chair: Any,
                                                provider: Any, front_desk: Any) -> None:
    do_take_patient(nurse, visit, chair, now=at(9, 1))
    from ketaclinic.schedule.actions import do_create_chair

    chair2 = do_create_chair(None, visit.clinic, "Chair 2")
    second = book_visit(other_patient, chair2, provider, front_desk, at(9, 0))
    with pytest.raises(InfusionError):
        do_take_patient(nurse, second, chair, now=at(9, 3))


def test_checkin_versions_are_kept(nurse: Any, visit: Any) -> None:
    first = do_record_checkin(nurse, visit, weight_kg="80", now=at(9, 1))
    second = do_record_checkin(nurse, visit, weight_kg="81.5", now=at(9, 2))
    same = do_record_checkin(nurse, visit, weight_kg="81.5", now=at(9, 3))
    assert first.pk != second.pk and same.pk == second.pk
    first.refresh_from_db()
    assert first.weight_kg == Decimal("80.0")
    with pytest.raises(InfusionError) as exc:
        do_record_checkin(nurse, visit, weight_kg="900")
    assert exc.value.field == "weight_kg"


def test_a_raised_bp_before_the_start_needs_a_provider_acknowledgement(nurse: Any, provider: Any,
                                                                        visit: Any) -> None:
    from ketaclinic.infusions.actions import do_acknowledge_alert
    from ketaclinic.infusions.models import VitalAlert

    do_take_patient(nurse, visit, visit.chair, now=at(9, 1))
    complete_checkin(nurse, visit)
    do_record_vitals(nurse, visit, systolic=145, diastolic=85, heart_rate=72, spo2=98, respiratory_rate=14,
                     repeat=True, now=at(9, 20))
    alert = VitalAlert.objects.get(code="bp_preinfusion_flag")
    do_acknowledge_alert(nurse, alert, action_taken="rested 5 min, repeat 145/85", now=at(9, 21))
    item = next(i for i in readiness(visit, now=at(9, 22)) if i.code == "baseline_vitals")
    assert not item.met and "provider" in item.detail
    do_record_vitals(nurse, visit, systolic=146, diastolic=86, heart_rate=72, spo2=98, respiratory_rate=14,
                     repeat=True, now=at(9, 25))
    do_acknowledge_alert(provider, VitalAlert.objects.get(status="open"), action_taken="Reviewed: proceed",
                         now=at(9, 26))
    assert next(i for i in readiness(visit, now=at(9, 27)) if i.code == "baseline_vitals").met


def test_double_submits_of_events_make_one_row(nurse: Any, provider: Any, ready_visit: Any) -> None:
    from ketaclinic.infusions.actions import (
        do_give_rescue_medication,
        do_record_adverse_event,
        do_record_observation,
    )
    from ketaclinic.infusions.models import AdverseEvent, Observation, RescueMedication

    do_record_pump_event(nurse, ready_visit, "start", now=at(9, 15))
    for second in (0, 20):
        moment = at(9, 30).replace(second=second)
        do_record_observation(nurse, ready_visit, "nausea", value=2, now=moment)
        do_record_adverse_event(nurse, ready_visit, event_type="vomiting", severity="moderate",
                                action_taken="paused", provider_notified=provider, now=moment)
        do_give_rescue_medication(nurse, ready_visit, drug="ondansetron", dose="4", unit="mg", route="IV",
                                  ordered_by=provider, now=moment)
        do_record_pump_event(nurse, ready_visit, "rate_change", rate_ml_per_h="100", reason="slower", now=moment)
    assert Observation.objects.count() == 1 and AdverseEvent.objects.count() == 1
    assert RescueMedication.objects.count() == 1
    assert PumpEvent.objects.filter(kind="rate_change").count() == 1


def test_an_unconfirmed_monitor_reading_or_an_earlier_open_alert_keeps_the_gate_shut(nurse: Any,
                                                                                      visit: Any) -> None:
    from ketaclinic.infusions.actions import do_acknowledge_alert, do_confirm_vitals
    from ketaclinic.infusions.models import VitalAlert

    do_take_patient(nurse, visit, visit.chair, now=at(9, 1))
    complete_checkin(nurse, visit)  # includes a normal baseline at 09:08
    do_record_vitals(nurse, visit, heart_rate=130, spo2=98, now=at(9, 10))  # an alert on a partial reading
    monitor = do_record_vitals(None, visit, systolic=120, diastolic=75, heart_rate=80, spo2=98, respiratory_rate=14,
                               source="monitor", device_id="MON-01", now=at(9, 12))

    def baseline() -> Any:
        return next(i for i in readiness(visit, now=at(9, 13)) if i.code == "baseline_vitals")

    assert not baseline().met and "Acknowledge the alert" in baseline().detail
    do_acknowledge_alert(nurse, VitalAlert.objects.get(), action_taken="recheck 84", now=at(9, 11))
    do_confirm_vitals(nurse, monitor, now=at(9, 13))
    assert baseline().met and "09:12" in baseline().detail


def test_an_open_phq9_safety_follow_up_holds_the_pump(nurse: Any, provider: Any, patient: Any,
                                                      ready_visit: Any) -> None:
    """clinical-reference §11: item 9 ≥ 1 → same-day clinician review before any infusion starts."""
    from ketaclinic.outcomes.actions import do_close_safety_task, do_submit_questionnaire
    from ketaclinic.outcomes.models import SafetyTask

    do_submit_questionnaire(patient.user, patient, "phq9", [1, 1, 1, 1, 1, 1, 1, 1, 1], submission_key="k1",
                            now=at(8, 0))
    with pytest.raises(GateNotMet) as exc:
        do_record_pump_event(nurse, ready_visit, "start", now=at(9, 15))
    assert [i.code for i in exc.value.items] == ["safety_task"]
    task = SafetyTask.objects.get(patient=patient)
    do_close_safety_task(provider, task, contacted_by_name="Dr Provider", contacted_at=at(8, 20),
                         action_taken="Phone call: no plan or intent; safety plan reviewed.",
                         outcome="safe_plan", now=at(8, 30))
    assert not [i for i in unmet(readiness(ready_visit, now=at(9, 16)))]



def test_a_nurse_cannot_take_a_patient_to_a_chair_booked_for_someone_else(nurse: Any, provider: Any,
                                                                         front_desk: Any, patient: Any,
                                                                         visit: Any) -> None:
    from ketaclinic.infusions.actions import InfusionError
    from ketaclinic.schedule.actions import do_create_chair
    from tests.factories import make_patient

    other_chair = do_create_chair(None, visit.clinic, "Chair 9")
    book_visit(make_patient(visit.clinic), other_chair, provider, front_desk, visit.starts_at, status="booked")
    with pytest.raises(InfusionError, match="Chair 9 is booked for"):
        do_take_patient(nurse, visit, other_chair, now=at(9, 2))


def test_the_provider_told_of_an_adverse_event_gets_a_written_copy_without_health_details(
    nurse: Any, provider: Any, patient: Any, ready_visit: Any, smtp_server: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from ketaclinic.infusions.actions import do_record_adverse_event

    do_record_pump_event(nurse, ready_visit, "start", now=at(9, 15))
    with django_capture_on_commit_callbacks(execute=True):
        do_record_adverse_event(nurse, ready_visit, event_type="emergence reaction", severity="moderate",
                                action_taken="paused pump; reassurance", provider_notified=provider, now=at(9, 30))
    [message] = smtp_server.to(provider.email)
    body = message.get_payload(decode=True).decode()
    assert f"/infusions/visit/{ready_visit.pk}/" in body and "moderate" in body
    assert patient.last_name not in body and "emergence" not in body
