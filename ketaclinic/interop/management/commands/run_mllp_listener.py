"""Receive HL7 v2 ORU^R01 vitals from bedside monitors over MLLP.

Run one listener per clinic, as a long-running service next to the web server:

    manage.py run_mllp_listener --clinic harbor --port 2575

Point each monitor (or the monitor gateway) at this host and port, and enter each monitor's id
on its chair (Setup → chairs → edit → Monitor id; Chair.monitor_device_id). SIGTERM or Ctrl-C
stops it after the current batch (its ACKs still go out). See docs/interop.md.

`--processes N` (Linux) starts N listener processes sharing the port (SO_REUSEPORT): one
Python process stores at most about 1,000 messages a second, and while one process waits for
PostgreSQL another works. Control ids stay unique across processes (a database constraint);
the audit chain's lock is held only while a batch's hashes are chained and inserted.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
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
        parser.add_argument("--processes", type=int, default=1,
                            help="Listener processes sharing the port (SO_REUSEPORT, Linux; default 1)")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = self._clinic(options["clinic"])
        port, processes = options["port"], options["processes"]
        if not 0 <= port <= 65535:
            raise CommandError("--port must be between 0 and 65535.")
        if not 1 <= processes <= 32:
            raise CommandError("--processes must be between 1 and 32.")
        if processes > 1 and (port == 0 or not hasattr(socket, "SO_REUSEPORT")):
            raise CommandError("--processes above 1 needs a fixed --port and SO_REUSEPORT (Linux).")
        if processes == 1:
            asyncio.run(self._serve(clinic, options["host"], port, reuse_port=False))
            return
        # Fork before any event loop or database connection exists; each process opens its own.
        connections.close_all()
        children = []
        for _ in range(processes - 1):
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    asyncio.run(self._serve(clinic, options["host"], port, reuse_port=True))
                    code = 0
                finally:
                    os._exit(code)
            children.append(pid)
        try:
            asyncio.run(self._serve(clinic, options["host"], port, reuse_port=True))
        finally:
            for pid in children:  # each finishes its batch and exits, as this one did
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
            for pid in children:
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    continue

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

    async def _serve(self, clinic: Clinic, host: str, port: int, *, reuse_port: bool) -> None:
        _bind_on_server()
        server = MLLPServer(Ingestor(Processor(clinic.pk)), host=host, port=port, reuse_port=reuse_port)
        await server.start()
        self.stdout.write(f"Listening for {clinic.name} monitors on {host}:{server.port} (MLLP, process "
                          f"{os.getpid()}). Ctrl-C to stop.")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await server.stop()
        self.stdout.write("Stopped.")


def _bind_on_server() -> None:
    """PostgreSQL: the listener's database thread (connected after this) sends parameters apart
    from the SQL instead of quoting every value into the text in Python. Only this process.
    (Statements are not prepared: a plan made while a new clinic's tables are nearly empty would
    keep walking them as they grow, and planning is a small part of a batch's cost.)"""
    settings = connections.settings[DEFAULT_DB_ALIAS]
    if settings["ENGINE"] == "django.db.backends.postgresql":
        settings.setdefault("OPTIONS", {})["server_side_binding"] = True
