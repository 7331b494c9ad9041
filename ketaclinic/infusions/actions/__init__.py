"""Every write of the infusion day. Import from here: `from ketaclinic.infusions.actions import do_record_vitals`."""

from __future__ import annotations

from ketaclinic.infusions.actions.common import GateNotMet, InfusionError
from ketaclinic.infusions.actions.vitals import (
    do_acknowledge_alert,
    do_amend_vitals,
    do_confirm_vitals,
    do_record_vitals,
)

__all__ = [
    "GateNotMet",
    "InfusionError",
    "do_acknowledge_alert",
    "do_amend_vitals",
    "do_confirm_vitals",
    "do_record_vitals",
]
