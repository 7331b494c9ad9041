"""Exactly once with real `manage.py run_worker` processes, a real SMTP server and a SQLite
file database: a worker killed mid-send, and two workers racing for the same rows.

The SMTP server below counts a message as delivered only when it answers "250 OK" to a live
connection (RFC 5321: the receiver takes responsibility at that reply). One chosen message is
held in the middle of its DATA exchange so the test can kill the worker exactly mid-send.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60  # seconds: an upper bound for a slow CI machine, never a fixed sleep


@dataclass
class CountingSmtp:
    port: int
    hold_number: int | None = None  # the n-th DATA (1-based) is held until `release` is set
    delivered: Counter[str] = field(default_factory=Counter)
    seen: int = 0
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    expected: int = 0
    all_in: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def counting_smtp() -> Iterator[CountingSmtp]:
    from aiosmtpd.controller import Controller

    state = CountingSmtp(port=free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with state.lock:
                state.seen += 1
                number = state.seen
            if number == state.hold_number:
                state.holding.set()
                await asyncio.get_running_loop().run_in_executor(None, state.release.wait, WAIT)
            if server.transport is None or server.transport.is_closing():
                return "451 sender went away"  # never acknowledged: not delivered
            message = message_from_bytes(envelope.original_content or envelope.content)
            with state.lock:
                state.delivered[str(message["Message-ID"])] += 1
                if sum(state.delivered.values()) >= state.expected > 0:
                    state.all_in.set()
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=state.port)
    controller.start()
    try:
        yield state
    finally:
        state.release.set()
        controller.stop()


def _env(db: Path, smtp_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": f"sqlite:///{db}", "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
                "SECRET_KEY": "worker-test-secret-key-0123456789abcdef", "SITE_URL": "http://testserver",
                "DJANGO_SETTINGS_MODULE": "ketaclinic.settings", "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"})
    env.pop("TEST_DATABASE_NAME", None)
    return env


def _run(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=WAIT * 3, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip().startswith(("{", "[")) else None


def _scenario(env: dict[str, str], *args: str) -> Any:
    return _run(env, "-m", "tests.notifications.worker_scenario", *args)


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "manage.py", "run_worker", "--idle-sleep", "0.2"], cwd=ROOT,
                            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per module; each test works on its own copy."""
    path = tmp_path_factory.mktemp("worker-db") / "template.sqlite3"
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT,
                   env=_env(path, 25), check=True, timeout=WAIT * 3)
    return path


@pytest.fixture
def worker_db(migrated_db: Path, tmp_path: Path, counting_smtp: CountingSmtp) -> dict[str, str]:
    db = tmp_path / "worker.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{migrated_db}{suffix}")
        if source.exists():
            shutil.copyfile(source, Path(f"{db}{suffix}"))
    return _env(db, counting_smtp.port)


def test_a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice(
        worker_db: dict[str, str], counting_smtp: CountingSmtp, tmp_path: Path) -> None:
    count = 10
    _scenario(worker_db, "seed", str(count))
    counting_smtp.hold_number = 4
    counting_smtp.expected = count
    worker = _start_worker(worker_db, tmp_path / "worker1.log")
    try:
        assert counting_smtp.holding.wait(WAIT), (tmp_path / "worker1.log").read_text()
        worker.send_signal(signal.SIGKILL)  # dies in the middle of message 4's DATA exchange
        worker.wait(WAIT)
    finally:
        if worker.poll() is None:
            worker.kill()
    counting_smtp.release.set()
    rows = _scenario(worker_db, "report")
    assert [r["status"] for r in rows].count("sent") == 3
    interrupted = [r for r in rows if r["status"] == "pending" and r["attempts"] == 1]
    assert len(interrupted) == 1  # claimed, not sent: a stale claim once the timeout passes

    # A restarted worker must not touch the interrupted row before the claim timeout…
    # …and offers it again after (the test moves the claim back instead of waiting 5 minutes).
    assert _scenario(worker_db, "age_claims", "600") == {"aged": 1}
    worker = _start_worker(worker_db, tmp_path / "worker2.log")
    try:
        assert counting_smtp.all_in.wait(WAIT), (tmp_path / "worker2.log").read_text()
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(WAIT)
    rows = _scenario(worker_db, "report")
    assert {r["status"] for r in rows} == {"sent"}
    assert len(counting_smtp.delivered) == count
    assert set(counting_smtp.delivered.values()) == {1}  # every message exactly once
    again = next(r for r in rows if r["subject"] == interrupted[0]["subject"])
    assert again["attempts"] == 2


def test_two_workers_racing_send_every_message_exactly_once(
        worker_db: dict[str, str], counting_smtp: CountingSmtp, tmp_path: Path) -> None:
    count = 30
    _scenario(worker_db, "seed", str(count))
    counting_smtp.expected = count
    workers = [_start_worker(worker_db, tmp_path / f"w{i}.log") for i in range(2)]
    try:
        assert counting_smtp.all_in.wait(WAIT)
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            w.wait(WAIT)
    rows = _scenario(worker_db, "report")
    assert {r["status"] for r in rows} == {"sent"}
    assert len(counting_smtp.delivered) == count and set(counting_smtp.delivered.values()) == {1}
    assert {r["attempts"] for r in rows} == {1}  # no claim was lost or taken twice
