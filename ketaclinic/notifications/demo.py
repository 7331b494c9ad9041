"""Demo data for notifications (called by ketaclinic.demo.seed; idempotent; actions only).

A few patients prefer text messages or both channels, with their own quiet hours, so the
reminders the preparation demo queues go out on every channel. Messages themselves are
queued by the preparation demo and sent by the worker.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from ketaclinic.notifications.actions import do_update_message_preference
from ketaclinic.notifications.models import MessagePreference


def seed(ctx: Any) -> None:
    if MessagePreference.objects.filter(patient__clinic=ctx.clinic).exists():
        return
    people = [p for p in ctx.patients.get("induction", []) + ctx.patients.get("maintenance", [])
              if p.user_id and p.phone]
    choices = [("sms", time(22), time(7)), ("both", time(21, 30), time(7, 30)), ("sms", time(23), time(8))]
    for patient, (channel, quiet_start, quiet_end) in zip(people[::3], choices, strict=False):
        do_update_message_preference(patient.user, patient, channel=channel, quiet_start=quiet_start,
                                     quiet_end=quiet_end, now=ctx.now)
