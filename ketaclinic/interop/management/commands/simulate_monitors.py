"""Play a realistic bedside-monitor feed into a running MLLP listener (for the demo floor board).

    manage.py run_mllp_listener --clinic harbor --port 2575 &
    manage.py simulate_monitors --clinic harbor --port 2575 --interval 60

Every active chair of the clinic that has a monitor id sends a set of vitals every --interval
seconds. Chairs with nobody in them are answered AE by the listener, as a real monitor would be.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ketaclinic.clinics.models import Clinic
from ketaclinic.interop.hl7.simulator import MonitorState, run_monitor
from ketaclinic.schedule.models import Chair


class Command(BaseCommand):
    help = "Send simulated bedside-monitor vitals (HL7 ORU^R01 over MLLP) for each monitored chair."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, help="Clinic slug")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2575)
        parser.add_argument("--interval", type=float, default=60.0, help="Seconds between readings (default 60)")
        parser.add_argument("--count", type=int, default=60, help="Readings per monitor (default 60)")
        parser.add_argument("--seed", type=int, default=None, help="Random seed, for a repeatable feed")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = Clinic.objects.filter(slug=options["clinic"]).first()
        if clinic is None:
            raise CommandError(f"No clinic with slug {options['clinic']!r}.")
        devices = list(Chair.objects.filter(clinic=clinic, active=True).exclude(monitor_device_id="")
                       .values_list("monitor_device_id", flat=True))
        if not devices:
            raise CommandError("No chair of this clinic has a monitor id. Set Chair.monitor_device_id first.")
        rng = random.Random(options["seed"])  # noqa: S311 - simulated vitals, not security
        states = [MonitorState(d, random.Random(rng.random())) for d in devices]  # noqa: S311
        self.stdout.write(f"Simulating {len(states)} monitor(s): {', '.join(devices)}")

        def on_ack(control_id: str, code: str, latency: float) -> None:
            self.stdout.write(f"{control_id}: {code} ({latency * 1000:.0f} ms)")

        async def main() -> None:
            await asyncio.gather(*(run_monitor(options["host"], options["port"], s, count=options["count"],
                                               interval_s=options["interval"], clock=timezone.now, on_ack=on_ack)
                                   for s in states))

        try:
            asyncio.run(main())
        except (ConnectionError, OSError) as exc:
            raise CommandError(f"Could not reach the listener at {options['host']}:{options['port']}: {exc}") \
                from None
