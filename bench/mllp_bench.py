"""MLLP ingest bench: 20 simulated monitors send ORU^R01 as fast as ACKs come back.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kc_bench_interop SECRET_KEY=x \
        .venv/bin/python bench/mllp_bench.py [--monitors 20] [--per-monitor 1500] [--processes 1]

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


async def run_clients(port: int, devices: list[str], per_monitor: int) -> tuple[list[float], dict[str, int], float]:
    from django.utils import timezone

    from ketaclinic.interop.hl7.simulator import MonitorState, run_monitor

    latencies: list[float] = []
    codes: dict[str, int] = {}
    start = timezone.now()

    def on_ack(control_id: str, code: str, latency: float) -> None:
        latencies.append(latency)
        codes[code] = codes.get(code, 0) + 1

    async def one(index: int, device: str) -> None:
        state = MonitorState(device, random.Random(index))
        sent = 0

        def clock() -> object:
            # Readings 181 s apart, all in the past: no two of one monitor fall within the vitals
            # action's 90-second double-submit window, so every message must become one row.
            nonlocal sent
            sent += 1
            return start - timedelta(seconds=181 * (per_monitor - sent + 1))

        await run_monitor("127.0.0.1", port, state, count=per_monitor, interval_s=0, clock=clock,  # type: ignore[arg-type]
                          on_ack=on_ack, timeout=30)

    began = time.perf_counter()
    await asyncio.gather(*(one(i, d) for i, d in enumerate(devices)))
    return latencies, codes, time.perf_counter() - began


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
    parser.add_argument("--processes", type=int, default=1, help="Listener processes sharing the port")
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
    if connection.vendor == "postgresql":
        # Current planner statistics, as autovacuum keeps them on a live system. Without them
        # (a database the bench just filled) PostgreSQL may plan the stored-control-id look-up as
        # a walk over the clinic's whole inbox, a cost a running clinic does not pay.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE interop_monitormessage, infusions_vitalsign, audit_auditevent, schedule_visit")
    connection.close()

    load_at_start = round(os.getloadavg()[0], 1)
    port = free_port()
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
        listener_cpu, client_cpu = sum(cpu_seconds(p) for p in listeners), time.process_time()
        latencies, codes, seconds = asyncio.run(run_clients(port, devices, args.per_monitor))
        listener_cpu = sum(cpu_seconds(p) for p in listeners) - listener_cpu
        client_cpu = time.process_time() - client_cpu
        database_cpu = 0.0
        if connection.vendor == "postgresql":
            database_cpu = sum(cpu_seconds(pid) for pid in backend_pids(connection.settings_dict["NAME"]))
    finally:
        listener.terminate()
        listener.wait(30)

    from ketaclinic.infusions.models import VitalSign
    from ketaclinic.interop.models import MonitorMessage

    sent = args.monitors * args.per_monitor
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
        "lost": sent - stored_vitals, "duplicated": stored_messages - distinct_ids,
        "load_average_1m_at_start": load_at_start,
        "cpu_us_per_message": {"listener": round(listener_cpu / sent * 1e6), "database_backend":
                               round(database_cpu / sent * 1e6), "simulated_monitors": round(client_cpu / sent * 1e6)},
        "ok": stored_messages == sent == stored_vitals == distinct_ids and codes.get("AA", 0) == sent,
    }
    text = (f"MLLP ingest, {args.monitors} concurrent monitors, {connection.vendor}, {args.processes} listener "
            f"process{'es' if args.processes > 1 else ''}: {sent} messages in "
            f"{seconds:.1f} s = {result['messages_per_second']} msg/s; ACK latency p50 "
            f"{result['ack_latency_ms']['p50']} ms, p99 {result['ack_latency_ms']['p99']} ms; stored {stored_vitals} "
            f"vitals / {stored_messages} messages, lost {result['lost']}, duplicated {result['duplicated']}; "
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
