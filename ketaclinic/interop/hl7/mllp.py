"""MLLP (Minimal Lower Layer Protocol) framing and the asyncio listener.

A frame is <VT> message <FS><CR>. The listener reads frames from any number of monitors
(an asyncio Protocol per connection: no task or timer per read), hands each message to an
`Ingestor` (database work in one dedicated thread, batched so one commit covers every message
waiting), and writes the ACK back on the same connection, in order. The event loop never
touches the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.db import connections
from django.utils import timezone

from ketaclinic.interop.hl7.oru import build_ack

log = logging.getLogger(__name__)

VT, FS, CR = b"\x0b", b"\x1c", b"\x0d"
MAX_FRAME_BYTES = 1 << 20  # a vitals message is a few hundred bytes; 1 MiB is generous
IDLE_TIMEOUT_S = 600.0
# A monitor waits for each ACK; one that does not is not read from while this many await theirs.
MAX_PENDING_PER_CONNECTION = 64


def wrap(message: bytes) -> bytes:
    return VT + message + FS + CR


@dataclass(frozen=True)
class FrameError:
    reason: str


class FrameReader:
    """Turns a byte stream into frames. Keeps a partial frame until the rest arrives.

    Bytes outside a frame are dropped (and counted). A new VT inside an unfinished frame
    means the earlier frame was cut short: it is reported as an error and the new one starts.
    A frame larger than `max_bytes` is reported once and skipped up to its end.
    """

    def __init__(self, max_bytes: int = MAX_FRAME_BYTES) -> None:
        self.max_bytes = max_bytes
        self.buffer = bytearray()
        self.in_frame = False
        self.oversized = False
        self.junk_bytes = 0

    @property
    def has_partial(self) -> bool:
        return self.in_frame

    def feed(self, data: bytes) -> list[bytes | FrameError]:
        out: list[bytes | FrameError] = []
        i, n = 0, len(data)
        while i < n:
            if not self.in_frame:
                j = data.find(VT, i)
                outside = data[i:] if j < 0 else data[i:j]
                self.junk_bytes += len(outside.replace(CR, b"").replace(b"\n", b""))
                if j < 0:
                    break
                self.in_frame, self.oversized = True, False
                self.buffer.clear()
                i = j + 1
                continue
            j_fs, j_vt = data.find(FS, i), data.find(VT, i)
            if j_vt >= 0 and (j_fs < 0 or j_vt < j_fs):
                self._append(data[i:j_vt])
                out.append(FrameError("A frame was cut short: a new frame started before the end marker."))
                self.buffer.clear()
                self.oversized = False
                i = j_vt + 1
                continue
            end = j_fs if j_fs >= 0 else n
            self._append(data[i:end])
            if j_fs < 0:
                break
            self.in_frame = False
            if self.oversized:
                out.append(FrameError(f"The message is larger than {self.max_bytes} bytes."))
            else:
                out.append(bytes(self.buffer))
            self.buffer.clear()
            i = j_fs + 1
        return out

    def _append(self, chunk: bytes) -> None:
        if self.oversized:
            return
        self.buffer += chunk
        if len(self.buffer) > self.max_bytes:
            self.oversized = True
            self.buffer.clear()


@dataclass
class Incoming:
    raw: bytes
    peer: str
    received_at: datetime


BatchProcessor = Callable[[Sequence[Incoming]], list[str]]


def _generic_ack(code: str, text: str) -> str:
    return build_ack(None, code, text, now=timezone.now(), ack_id=uuid.uuid4().hex[:20])


def _drop_broken_connections() -> None:
    """Like close_old_connections, but without the CONN_MAX_AGE limit: the listener is one
    long-lived thread, and reconnecting for every batch (CONN_MAX_AGE=0, the web default) would
    cost more than storing the batch. A connection that saw an error is checked and replaced."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        if conn.get_autocommit() != conn.settings_dict["AUTOCOMMIT"]:
            conn.close()
        elif conn.errors_occurred:
            if conn.is_usable():
                conn.errors_occurred = False
            else:
                conn.close()


class Ingestor:
    """Queues messages from every connection and runs `process_batch` in one database thread.

    While the thread works on one batch, new messages queue up and go into the next batch, so
    the number of commits falls as the load rises (group commit). Each message's ACK is handed
    to the callback it was queued with, on the event loop, once its batch is committed.
    """

    def __init__(self, process_batch: BatchProcessor, *, max_batch: int = 200, linger_s: float = 0.005) -> None:
        self.process_batch = process_batch
        self.max_batch = max_batch
        # How long a batch may wait for more messages while some connections have none queued;
        # the MLLPServer keeps `connections` up to date. A monitor sends its next message only
        # after the ACK of the last, so a batch holding one from every connection is full.
        self.linger_s = linger_s
        self.connections = 0
        self.waiting: deque[tuple[Incoming, Callable[[str], None]]] = deque()
        self._arrived: asyncio.Event | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mllp-db")
        self._task: asyncio.Task[None] | None = None
        self._busy = False  # a batch is being gathered, stored or answered

    def start(self) -> None:
        self._arrived = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            # let queued work and the batch being stored finish first (their ACKs go out)
            while self.waiting or self._busy:
                await asyncio.sleep(0.01)
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        # close the database thread's connection before the thread goes away
        await asyncio.get_running_loop().run_in_executor(self.executor, connections.close_all)
        self.executor.shutdown(wait=True)

    def put(self, item: Incoming, on_ack: Callable[[str], None]) -> None:
        """Queue one message; `on_ack(ack)` is called on the event loop when it is stored (or refused)."""
        self.waiting.append((item, on_ack))
        if self._arrived is not None:
            self._arrived.set()

    async def submit(self, raw: bytes, peer: str) -> str:
        """Queue one message and wait for its ACK."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def answered(ack: str) -> None:
            if not future.done():
                future.set_result(ack)

        self.put(Incoming(raw, peer, timezone.now()), answered)
        return await future

    def _process(self, items: list[Incoming]) -> list[str]:
        """In the database thread: drop a connection that broke, then do the batch."""
        _drop_broken_connections()
        started = time.perf_counter()
        acks = self.process_batch(items)
        log.debug("MLLP batch of %d stored in %.1f ms", len(items), (time.perf_counter() - started) * 1000)
        return acks

    async def _gather(self) -> list[tuple[Incoming, Callable[[str], None]]]:
        arrived = self._arrived
        assert arrived is not None  # noqa: S101 - set by start()
        while not self.waiting:
            arrived.clear()
            await arrived.wait()
        self._busy = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.linger_s
        # Group commit: monitors whose ACK just went out send their next reading within a
        # millisecond or two; one batch for all of them costs far less than two.
        while len(self.waiting) < min(self.connections, self.max_batch):
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            arrived.clear()
            try:
                await asyncio.wait_for(arrived.wait(), remaining)
            except TimeoutError:
                break
        return [self.waiting.popleft() for _ in range(min(len(self.waiting), self.max_batch))]

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._busy = False
            batch = await self._gather()
            items = [item for item, _ in batch]
            try:
                acks = await loop.run_in_executor(self.executor, self._process, items)
            except Exception:  # the processor answers every message itself; this is the last guard
                log.exception("MLLP batch failed")
                acks = [_generic_ack("AE", "Temporary error storing the message; please send it again.")
                        for _ in items]
            for (_, on_ack), ack in zip(batch, acks, strict=True):
                on_ack(ack)


class _Connection(asyncio.Protocol):
    """One monitor's connection: frames in, one ACK per frame out, in the order the frames came."""

    def __init__(self, server: MLLPServer) -> None:
        self.server = server
        self.frames = FrameReader()
        self.transport: asyncio.Transport | None = None
        self.peer = ""
        self.pending: deque[list[str | None]] = deque()  # one slot per frame, filled by its ACK
        self.last_active = 0.0
        self.paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # noqa: S101 - a TCP server's transport
        self.transport = transport
        peername = transport.get_extra_info("peername")
        self.peer = f"{peername[0]}:{peername[1]}" if peername else ""
        self.last_active = asyncio.get_running_loop().time()
        self.server.opened(self)

    def data_received(self, data: bytes) -> None:
        self.last_active = asyncio.get_running_loop().time()
        for frame in self.frames.feed(data):
            slot: list[str | None] = [None]
            self.pending.append(slot)
            if isinstance(frame, FrameError):
                slot[0] = _generic_ack("AR", frame.reason)
            else:
                self.server.ingestor.put(Incoming(frame, self.peer, timezone.now()), partial(self._answer, slot))
        self._flush()
        if len(self.pending) >= MAX_PENDING_PER_CONNECTION and not self.paused and self.transport is not None:
            # A monitor that sends without waiting for ACKs: stop reading until it has caught up.
            self.paused = True
            self.transport.pause_reading()

    def _answer(self, slot: list[str | None], ack: str) -> None:
        slot[0] = ack
        self._flush()

    def _flush(self) -> None:
        while self.pending and (ack := self.pending[0][0]) is not None:
            self.pending.popleft()
            if self.transport is not None and not self.transport.is_closing():
                self.transport.write(wrap(ack.encode("utf-8")))
        if self.paused and len(self.pending) < MAX_PENDING_PER_CONNECTION // 2 and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.frames.has_partial:
            # The monitor got no ACK for it and will send it again; nothing was stored.
            log.info("MLLP %s disconnected in the middle of a frame; dropped it", self.peer)
        elif exc is not None:
            log.info("MLLP %s connection lost", self.peer)
        self.server.closed(self)


class MLLPServer:
    """asyncio TCP server speaking MLLP; one ACK per frame, in order, on the same connection."""

    def __init__(self, ingestor: Ingestor, *, host: str = "0.0.0.0", port: int = 2575,  # noqa: S104
                 idle_timeout: float = IDLE_TIMEOUT_S, reuse_port: bool = False) -> None:
        self.ingestor = ingestor
        self.host, self.port = host, port
        # Several listener processes on one port (SO_REUSEPORT): the kernel spreads the monitors'
        # connections over them, and each process stores its own batches.
        self.reuse_port = reuse_port
        self.idle_timeout = idle_timeout
        self.server: asyncio.base_events.Server | None = None
        self.open: set[_Connection] = set()
        self._reaper: asyncio.Task[None] | None = None

    @property
    def connections(self) -> int:
        return len(self.open)

    def opened(self, connection: _Connection) -> None:
        self.open.add(connection)
        self.ingestor.connections = len(self.open)

    def closed(self, connection: _Connection) -> None:
        self.open.discard(connection)
        self.ingestor.connections = len(self.open)

    async def start(self) -> None:
        self.ingestor.start()
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: _Connection(self), self.host, self.port,
                                               reuse_port=self.reuse_port or None)
        sock = self.server.sockets[0].getsockname()
        self.port = sock[1]
        self._reaper = loop.create_task(self._close_idle())
        log.info("MLLP listener on %s:%s", sock[0], sock[1])

    async def _close_idle(self) -> None:
        """Close connections that sent nothing for `idle_timeout` seconds (and wait for no ACK)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(self.idle_timeout / 4, 30.0))
            cutoff = loop.time() - self.idle_timeout
            for connection in list(self.open):
                if connection.last_active < cutoff and not connection.pending and connection.transport is not None:
                    connection.transport.close()

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        if self.server is not None:
            self.server.close()
        await self.ingestor.stop()  # queued messages are stored and their ACKs written first
        for connection in list(self.open):
            if connection.transport is not None:
                connection.transport.close()
        if self.server is not None:
            await self.server.wait_closed()


async def send_messages(host: str, port: int, messages: Sequence[str], *, timeout: float = 10.0) -> list[str]:
    """A minimal MLLP client: send each message and wait for its ACK (simulator, bench, tests)."""
    reader, writer = await asyncio.open_connection(host, port)
    acks: list[str] = []
    try:
        frames = FrameReader()
        for message in messages:
            writer.write(wrap(message.encode("utf-8")))
            await writer.drain()
            got: list[bytes] = []
            while not got:
                data = await asyncio.wait_for(reader.read(65536), timeout)
                if not data:
                    raise ConnectionError("The listener closed the connection.")
                got = [f for f in frames.feed(data) if isinstance(f, bytes)]
            acks.extend(f.decode("utf-8") for f in got)
    finally:
        writer.close()
        await writer.wait_closed()
    return acks
