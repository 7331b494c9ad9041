"""A realistic bedside-monitor feed: each monitor has its own baseline and drifts slowly; blood
pressure and heart rate rise a little during the first half hour (as ketamine does), then settle.
Used by the `simulate_monitors` command (demo board), the bench and tests."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ketaclinic.interop.hl7.mllp import FrameReader, wrap
from ketaclinic.interop.hl7.oru import build_oru


@dataclass
class MonitorState:
    device_id: str
    rng: random.Random
    systolic: float = 0
    diastolic: float = 0
    heart_rate: float = 0
    spo2: float = 0
    respiratory_rate: float = 0
    minute: float = 0
    sequence: int = 0
    prefix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    baseline: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        r = self.rng
        self.systolic, self.diastolic = r.uniform(112, 132), r.uniform(68, 84)
        self.heart_rate, self.spo2, self.respiratory_rate = r.uniform(62, 82), r.uniform(96, 99), r.uniform(12, 16)
        self.baseline = (self.systolic, self.diastolic, self.heart_rate)

    def next_readings(self, step_minutes: float) -> dict[str, int]:
        """One reading `step_minutes` after the last; the ketamine effect peaks around minute 25."""
        r = self.rng
        self.minute += step_minutes
        effect = max(0.0, 1 - abs(self.minute - 25) / 25)
        # a random walk pulled back towards the patient's baseline, as real readings wander
        sys0, dia0, hr0 = self.baseline
        self.systolic += 0.1 * (sys0 - self.systolic) + r.gauss(0, 1.5)
        self.diastolic += 0.1 * (dia0 - self.diastolic) + r.gauss(0, 1.0)
        self.heart_rate += 0.1 * (hr0 - self.heart_rate) + r.gauss(0, 1.2)
        self.spo2 = min(100.0, max(93.0, self.spo2 + r.gauss(0, 0.3)))
        self.respiratory_rate = min(20.0, max(10.0, self.respiratory_rate + r.gauss(0, 0.4)))
        return {"systolic": round(self.systolic + 14 * effect), "diastolic": round(self.diastolic + 8 * effect),
                "heart_rate": round(self.heart_rate + 9 * effect), "spo2": round(self.spo2),
                "respiratory_rate": round(self.respiratory_rate)}

    def next_message(self, taken_at: datetime, step_minutes: float) -> tuple[str, str]:
        self.sequence += 1
        control_id = f"{self.device_id}-{self.prefix}-{self.sequence}"
        return control_id, build_oru(device_id=self.device_id, control_id=control_id,
                                     readings=self.next_readings(step_minutes), taken_at=taken_at)


async def run_monitor(host: str, port: int, state: MonitorState, *, count: int, interval_s: float,
                      clock: Callable[[], datetime], on_ack: Callable[[str, str, float], None],
                      timeout: float = 10.0) -> None:
    """Send `count` readings over one connection, one every `interval_s` seconds (0 = as fast as
    ACKs come back), calling on_ack(control_id, ack_code, latency_s) for each."""
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection(host, port)
    frames = FrameReader()
    try:
        for _ in range(count):
            control_id, text = state.next_message(clock(), step_minutes=max(interval_s, 1) / 60)
            sent = loop.time()
            writer.write(wrap(text.encode("utf-8")))
            await writer.drain()
            acks: list[bytes] = []
            while not acks:
                data = await asyncio.wait_for(reader.read(65536), timeout)
                if not data:
                    raise ConnectionError("The listener closed the connection.")
                acks = [f for f in frames.feed(data) if isinstance(f, bytes)]
            code = ack_code(acks[0].decode("utf-8"))
            on_ack(control_id, code, loop.time() - sent)
            if interval_s:
                await asyncio.sleep(interval_s)
    finally:
        writer.close()
        await writer.wait_closed()


def ack_code(ack: str) -> str:
    for segment in ack.split("\r"):
        if segment.startswith("MSA|"):
            return segment.split("|")[1]
    return "??"


def step(taken_at: datetime, seconds: float) -> datetime:
    return taken_at + timedelta(seconds=seconds)
