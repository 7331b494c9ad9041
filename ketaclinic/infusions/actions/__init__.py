"""Every write of the infusion day. Import from here: `from ketaclinic.infusions.actions import do_record_vitals`."""

from __future__ import annotations

from ketaclinic.infusions.actions.care import (
    do_amend_adverse_event,
    do_amend_observation,
    do_answer_call,
    do_give_rescue_medication,
    do_record_adverse_event,
    do_record_observation,
    do_request_nurse,
)
from ketaclinic.infusions.actions.checkin import (
    do_mark_arrived,
    do_override_gate_item,
    do_record_checkin,
    do_take_patient,
)
from ketaclinic.infusions.actions.common import GateNotMet, InfusionError
from ketaclinic.infusions.actions.controlled import (
    do_dispose_stock,
    do_receive_stock,
    do_record_cs_administration,
    do_record_cs_count,
)
from ketaclinic.infusions.actions.discharge import (
    do_answer_follow_up,
    do_discharge_patient,
    do_review_follow_up,
    do_score_discharge,
)
from ketaclinic.infusions.actions.dose import DoseRequest, do_order_dose, do_record_pump_event, parse_request
from ketaclinic.infusions.actions.vitals import (
    do_acknowledge_alert,
    do_amend_vitals,
    do_confirm_vitals,
    do_record_vitals,
)

__all__ = [
    "DoseRequest",
    "GateNotMet",
    "InfusionError",
    "do_acknowledge_alert",
    "do_amend_adverse_event",
    "do_amend_observation",
    "do_amend_vitals",
    "do_answer_call",
    "do_answer_follow_up",
    "do_confirm_vitals",
    "do_discharge_patient",
    "do_dispose_stock",
    "do_give_rescue_medication",
    "do_mark_arrived",
    "do_order_dose",
    "do_override_gate_item",
    "do_receive_stock",
    "do_record_adverse_event",
    "do_record_checkin",
    "do_record_cs_administration",
    "do_record_cs_count",
    "do_record_observation",
    "do_record_pump_event",
    "do_record_vitals",
    "do_request_nurse",
    "do_review_follow_up",
    "do_score_discharge",
    "do_take_patient",
    "parse_request",
]
