"""Demo data for interop: a few bedside-monitor messages through the real MLLP processing path —
readings filed on the patients in chairs now (waiting for a nurse to confirm), and one message
from a monitor no chair knows, waiting in the inbox. Idempotent: does nothing once any exist."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ketaclinic.interop.hl7.ingest import Processor
from ketaclinic.interop.hl7.mllp import Incoming
from ketaclinic.interop.hl7.simulator import MonitorState
from ketaclinic.interop.models import MonitorMessage
from ketaclinic.schedule.models import Chair


def seed(ctx: Any) -> None:
    if MonitorMessage.objects.filter(clinic=ctx.clinic).exists():
        return
    devices = list(Chair.objects.filter(clinic=ctx.clinic, active=True).exclude(monitor_device_id="")
                   .order_by("name").values_list("monitor_device_id", flat=True))
    items = []
    for device in [*devices, "MON-99"]:
        state = MonitorState(device, ctx.rng)
        state.prefix = "demo"
        _, text = state.next_message(ctx.now - timedelta(minutes=1), step_minutes=5)
        items.append(Incoming(text.encode("utf-8"), "demo-gateway", ctx.now))
    # Chairs with nobody in them answer "no patient in the chair": they stay in the inbox too,
    # as they would from a real monitor left on.
    Processor(ctx.clinic.pk)(items)
