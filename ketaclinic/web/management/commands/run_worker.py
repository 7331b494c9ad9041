from __future__ import annotations

import signal
import socket
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from ketaclinic.worker import run_one_pass


class Command(BaseCommand):
    help = ("Run the background worker: sends due reminders and runs queued jobs. "
            "Start one or more alongside the web server; SIGTERM finishes the current item and exits.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Do one pass and exit (for cron and tests).")
        parser.add_argument("--idle-sleep", type=float, default=2.0, help="Seconds to wait when nothing is due.")

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = f"{socket.gethostname()}:{id(self)}"
        self.running = True

        def stop(signum: int, frame: Any) -> None:
            self.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"Worker {worker_id} started.")
        while self.running:
            close_old_connections()
            busy = run_one_pass(worker_id)
            if options["once"]:
                break
            if not busy:
                time.sleep(options["idle_sleep"])
        self.stdout.write("Worker stopped.")
