"""Receive HL7 v2 ORU^R01 vitals from bedside monitors over MLLP.

Run one listener per clinic, as a long-running service next to the web server:

    manage.py run_mllp_listener --clinic harbor --port 2575

Point each monitor (or the monitor gateway) at this host and port, and enter each monitor's id
on its chair (Setup → chairs → edit → Monitor id; Chair.monitor_device_id). SIGTERM or Ctrl-C
stops it after the current batch (its ACKs still go out). See docs/interop.md.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from ketaclinic.clinics.models import Clinic
from ketaclinic.interop.hl7.ingest import Processor
from ketaclinic.interop.hl7.mllp import Ingestor, MLLPServer


class Command(BaseCommand):
    help = "Listen for bedside-monitor vitals (HL7 v2 ORU^R01 over MLLP) for one clinic."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=2575, help="TCP port (default 2575)")
        parser.add_argument("--host", default="0.0.0.0", help="Address to listen on (default all)")  # noqa: S104
        parser.add_argument("--clinic", default="", help="Clinic slug (may be left out when there is one clinic)")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = self._clinic(options["clinic"])
        if not 0 <= options["port"] <= 65535:
            raise CommandError("--port must be between 0 and 65535.")
        asyncio.run(self._serve(clinic, options["host"], options["port"]))

    def _clinic(self, slug: str) -> Clinic:
        if slug:
            clinic = Clinic.objects.filter(slug=slug).first()
            if clinic is None:
                raise CommandError(f"No clinic with slug {slug!r}.")
            return clinic
        clinics = list(Clinic.objects.all()[:2])
        if len(clinics) != 1:
            raise CommandError("Name the clinic with --clinic SLUG.")
        return clinics[0]

    async def _serve(self, clinic: Clinic, host: str, port: int) -> None:
        _bind_on_server()
        server = MLLPServer(Ingestor(Processor(clinic.pk)), host=host, port=port)
        await server.start()
        self.stdout.write(f"Listening for {clinic.name} monitors on {host}:{server.port} (MLLP). Ctrl-C to stop.")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await server.stop()
        self.stdout.write("Stopped.")


def _bind_on_server() -> None:
    """PostgreSQL: the listener's database thread (connected after this) sends parameters apart
    from the SQL and lets psycopg prepare the statements it repeats — the same dozen run for
    every batch — instead of quoting every value into the text in Python. Only this process."""
    settings = connections.settings[DEFAULT_DB_ALIAS]
    if settings["ENGINE"] == "django.db.backends.postgresql":
        settings.setdefault("OPTIONS", {})["server_side_binding"] = True
