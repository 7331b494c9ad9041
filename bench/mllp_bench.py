"""MLLP ingest bench: 20 simulated monitors send ORU^R01 as fast as ACKs come back.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kc_bench_interop SECRET_KEY=x \
        .venv/bin/python bench/mllp_bench.py [--monitors 20] [--per-monitor 1500] [--processes 2]

Creates a throw-away clinic with one chair, patient and infusing visit per monitor, starts the
real listener (`manage.py run_mllp_listener`) in its own process, sends the messages, then
counts rows: every message must be stored exactly once (MonitorMessage and VitalSign) and
acknowledged AA. Prints msg/s and ACK latency percentiles; writes bench/results/mllp_bench.{json,txt}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from datetime import time as wall_clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def setup_clinic(monitors: int) -> tuple[str, list[str]]:
    from django.utils import timezone

    from ketaclinic.accounts.actions import do_grant_role
    from ketaclinic.accounts.models import User
    from ketaclinic.accounts.roles import Role
    from ketaclinic.clinics.actions import do_create_clinic
    from ketaclinic.courses.actions import do_create_course
    from ketaclinic.infusions.actions.checkin import do_mark_arrived, do_take_patient
    from ketaclinic.patients.actions import do_register_patient
    from ketaclinic.schedule.actions import do_book_visit, do_create_chair

    tag = uuid.uuid4().hex[:8]
    clinic = do_create_clinic(None, name=f"MLLP bench {tag}", slug=f"mllp-bench-{tag}", tz="America/New_York",
                              phone="555-0100")
    staff = User.objects.create_user(email=f"bench-{tag}@example.org", full_name="Bench", password=None)
    for role in (Role.FRONT_DESK, Role.PROVIDER, Role.NURSE):
        do_grant_role(None, clinic, staff, role)
    now = timezone.now()
    devices = []
    for n in range(monitors):
        device = f"BENCH-{tag}-{n:02d}"
        chair = do_create_chair(None, clinic, f"Chair {n + 1}", monitor_device_id=device)
        patient = do_register_patient(staff, clinic, first_name=f"Bench{n}", last_name=tag,
                                      date_of_birth=now.date().replace(year=1980), sex_at_birth="female")
        course = do_create_course(staff, patient, indication_code="F33.2", earliest_on=now.date())
        midnight = datetime.combine(timezone.localdate(now, clinic.zone), wall_clock(0), tzinfo=clinic.zone)
        visit = do_book_visit(staff, course, chair, max(now - timedelta(minutes=30), midnight))
        do_mark_arrived(staff, visit)
        do_take_patient(staff, visit, chair)  # in the chair now: the monitor's readings are filed on it
        devices.append(device)
    return clinic.slug, devices


def build_messages(devices: list[str], per_monitor: int) -> list[list[tuple[str, bytes]]]:
    """Every monitor's messages, framed, made before the clock starts (real monitors build theirs
    on their own hardware; this machine's two cores are for the listener and PostgreSQL)."""
    from django.utils import timezone

    from ketaclinic.interop.hl7.mllp import wrap
    from ketaclinic.interop.hl7.simulator import MonitorState

    start = timezone.now()
    out = []
    for index, device in enumerate(devices):
        state = MonitorState(device, random.Random(index))
        messages = []
        for n in range(per_monitor):
            # Readings 181 s apart, all in the past: no two of one monitor fall within the vitals
            # action's 90-second double-submit window, so every message must become one row.
            control_id, text = state.next_message(start - timedelta(seconds=181 * (per_monitor - n)), 1)
            messages.append((control_id, wrap(text.encode("utf-8"))))
        out.append(messages)
    return out


class Monitor(asyncio.Protocol):
    """One simulated monitor: sends a message, waits for its ACK, sends the next."""

    def __init__(self, messages: list[tuple[str, bytes]], latencies: list[float], codes: dict[str, int]) -> None:
        from ketaclinic.interop.hl7.mllp import FrameReader

        self.messages, self.latencies, self.codes = messages, latencies, codes
        self.frames = FrameReader()
        self.next = 0
        self.sent_at = 0.0
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._send()

    def _send(self) -> None:
        if self.transport is not None:
            self.sent_at = time.perf_counter()
            self.transport.write(self.messages[self.next][1])

    def data_received(self, data: bytes) -> None:
        from ketaclinic.interop.hl7.simulator import ack_code

        for frame in self.frames.feed(data):
            if not isinstance(frame, bytes):
                continue
            self.latencies.append(time.perf_counter() - self.sent_at)
            code = ack_code(frame.decode("utf-8"))
            self.codes[code] = self.codes.get(code, 0) + 1
            self.next += 1
            if self.next == len(self.messages):
                self.done.set_result(None)
            else:
                self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(ConnectionError(f"The listener closed the connection: {exc}"))


async def run_clients(port: int, feeds: list[list[tuple[str, bytes]]]) -> tuple[list[float], dict[str, int], float]:
    latencies: list[float] = []
    codes: dict[str, int] = {}
    loop = asyncio.get_running_loop()
    began = time.perf_counter()
    monitors = []
    for messages in feeds:
        _, monitor = await loop.create_connection(lambda m=messages: Monitor(m, latencies, codes),  # type: ignore[misc]
                                                  "127.0.0.1", port)
        monitors.append(monitor)
    await asyncio.wait_for(asyncio.gather(*(m.done for m in monitors)), 600)
    seconds = time.perf_counter() - began
    for monitor in monitors:
        if monitor.transport is not None:
            monitor.transport.close()
    return latencies, codes, seconds


def analyze() -> None:
    """Current planner statistics for the tables the listener reads and writes, as autovacuum
    keeps them on a live system."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE interop_monitormessage, infusions_vitalsign, infusions_vitalalert, "
                           "audit_auditevent, schedule_visit, schedule_chair")
    connection.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc), 0 when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def listener_pids(pid: int) -> list[int]:
    """The listener and the processes it forked (--processes)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *(int(c) for c in children)]


def backend_pids(database: str) -> list[int]:
    """PostgreSQL server processes serving `database` (the listener's connection)."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    params["dbname"] = "postgres"
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database]).fetchall()
    return [int(r[0]) for r in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--monitors", type=int, default=20)
    parser.add_argument("--per-monitor", type=int, default=1500)
    parser.add_argument("--processes", type=int, default=2,
                        help="Listener processes sharing the port (2: one per CPU of this machine)")
    parser.add_argument("--warm-up", type=int, default=100, help="Messages per monitor before the clock starts")
    parser.add_argument("--no-write", action="store_true", help="Do not write bench/results")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        print("Warning: the target is PostgreSQL; DATABASE_URL points elsewhere.", file=sys.stderr)
    call_command("migrate", verbosity=0)
    slug, devices = setup_clinic(args.monitors)
    analyze()
    feeds = build_messages(devices, args.warm_up + args.per_monitor)
    warm_up, feeds = [f[:args.warm_up] for f in feeds], [f[args.warm_up:] for f in feeds]

    load_at_start = round(os.getloadavg()[0], 1)
    port = free_port()
    warm_up_codes: dict[str, int] = {}
    listener = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "run_mllp_listener", "--clinic", slug,
                                 "--host", "127.0.0.1", "--port", str(port), "--processes", str(args.processes)],
                                cwd=ROOT, env=os.environ.copy(),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("The listener did not start.")
        # CPU used during the run, per process: where the time goes (the listener's event loop and
        # database thread, the PostgreSQL backend serving it, and these simulated monitors).
        listeners = listener_pids(listener.pid)
        if args.warm_up:
            # A running clinic's tables are not empty and autovacuum keeps their planner
            # statistics current; a bench database starts empty. Without this warm-up (not
            # counted in the rate) PostgreSQL plans the look-ups for empty tables and then walks
            # the growing tables instead of using their indexes, a cost a running clinic does not pay.
            _, warm_up_codes, _ = asyncio.run(run_clients(port, warm_up))
            analyze()
        backends = backend_pids(connection.settings_dict["NAME"]) if connection.vendor == "postgresql" else []
        listener_cpu, client_cpu = sum(cpu_seconds(p) for p in listeners), time.process_time()
        database_cpu = sum(cpu_seconds(pid) for pid in backends)
        latencies, codes, seconds = asyncio.run(run_clients(port, feeds))
        listener_cpu = sum(cpu_seconds(p) for p in listeners) - listener_cpu
        client_cpu = time.process_time() - client_cpu
        # (a backend that started during the run is counted whole)
        later = backend_pids(connection.settings_dict["NAME"]) if connection.vendor == "postgresql" else []
        database_cpu = sum(cpu_seconds(pid) for pid in later) - database_cpu
    finally:
        listener.terminate()
        listener.wait(30)

    from ketaclinic.infusions.models import VitalSign
    from ketaclinic.interop.models import MonitorMessage

    sent = args.monitors * args.per_monitor
    total = sent + args.monitors * args.warm_up  # what the database must hold: warm-up and timed run
    stored_messages = MonitorMessage.objects.filter(clinic__slug=slug).count()
    distinct_ids = MonitorMessage.objects.filter(clinic__slug=slug).values("control_id").distinct().count()
    stored_vitals = VitalSign.objects.filter(clinic__slug=slug, source="monitor").count()
    latencies.sort()
    result = {
        "bench": "mllp_ingest", "database": connection.vendor, "listener_processes": args.processes,
        "load_average_1m_at_end": round(os.getloadavg()[0], 1), "machine": f"{platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}", "monitors": args.monitors,
        "messages_sent": sent, "acks": codes, "seconds": round(seconds, 2),
        "messages_per_second": round(sent / seconds, 1),
        "ack_latency_ms": {"p50": round(statistics.median(latencies) * 1000, 1),
                           "p99": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
                           "max": round(latencies[-1] * 1000, 1)},
        "stored_messages": stored_messages, "distinct_control_ids": distinct_ids, "stored_vitals": stored_vitals,
        "warm_up_messages": total - sent, "lost": total - stored_vitals, "duplicated": stored_messages - distinct_ids,
        "load_average_1m_at_start": load_at_start,
        "cpu_us_per_message": {"listener": round(listener_cpu / sent * 1e6), "database_backend":
                               round(database_cpu / sent * 1e6), "simulated_monitors": round(client_cpu / sent * 1e6)},
        "ok": (stored_messages == total == stored_vitals == distinct_ids and codes.get("AA", 0) == sent
               and warm_up_codes.get("AA", 0) == total - sent),
    }
    text = (f"MLLP ingest, {args.monitors} concurrent monitors, {connection.vendor}, {args.processes} listener "
            f"process{'es' if args.processes > 1 else ''}: {sent} messages in "
            f"{seconds:.1f} s = {result['messages_per_second']} msg/s; ACK latency p50 "
            f"{result['ack_latency_ms']['p50']} ms, p99 {result['ack_latency_ms']['p99']} ms; stored {stored_vitals} "
            f"vitals / {stored_messages} messages (with {total - sent} warm-up messages before the clock started), "
            f"lost {result['lost']}, duplicated {result['duplicated']}; "
            f"{'OK' if result['ok'] else 'NOT OK'} (machine load average {load_at_start} at start, "
            f"{result['load_average_1m_at_end']} at end, {os.cpu_count()} CPUs); CPU per message: "
            f"listener{'s' if args.processes > 1 else ''} "
            f"{result['cpu_us_per_message']['listener']} us, PostgreSQL backend "
            f"{result['cpu_us_per_message']['database_backend']} us, simulated monitors "
            f"{result['cpu_us_per_message']['simulated_monitors']} us")
    print(text)
    if not args.no_write:
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        (out / "mllp_bench.json").write_text(json.dumps(result, indent=2) + "\n")
        (out / "mllp_bench.txt").write_text(text + "\n")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
