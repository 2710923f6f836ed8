"""Group commits into the spool: many frames per fsync, acks only once durable.

Listeners hand frames to one ``SpoolWriter``. A background task takes whatever is queued,
up to ``batch_size`` frames, lingering at most ``max_delay`` seconds for a batch to fill,
and appends it in one transaction on a worker thread while the event loop keeps reading
sockets. Each entry may carry a future that resolves with the spool ids once the batch is
committed, which is when RELP answers ``200 OK`` and HTTP intake returns.

Backpressure: the in-memory queue is bounded (frames and bytes). When it is full,
``has_room`` is false: stream listeners pause reading and register ``when_room`` to
resume, UDP drops and counts. When the spool itself is full the writer keeps its batch
and retries, so the queue fills and the same backpressure reaches every sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ironwatch.core.errors import ConfigurationError, IronwatchError
from ironwatch.ingest.frames import FileCheckpoint, RawFrame
from ironwatch.ingest.spool import ROW_OVERHEAD_BYTES, Spool, SpoolFull

log = logging.getLogger(__name__)

MAX_DELAY_LIMIT = 0.2


class SpoolWriterClosed(IronwatchError):
    """Frames were offered after the writer was closed (the server is shutting down)."""

    status = 503
    title = "Shutting down"


@dataclass(slots=True)
class _Entry:
    """Frames queued together. A large submission is split into several entries that share
    ``collected``; only the last (``final``) resolves the future and carries the checkpoint."""

    frames: Sequence[RawFrame]
    size: int
    future: asyncio.Future[list[int]] | None
    checkpoint: FileCheckpoint | None
    collected: list[int]
    final: bool


class SpoolWriter:
    """The single batching writer in front of a ``Spool``; use from one event loop."""

    def __init__(
        self,
        spool: Spool,
        *,
        batch_size: int = 5000,
        max_delay: float = 0.01,
        queue_frames: int = 100_000,
        queue_bytes: int = 64 << 20,
        retry_interval: float = 0.1,
    ) -> None:
        if not 1 <= batch_size <= spool.max_rows:
            raise ConfigurationError(f"batch_size {batch_size} must be between 1 and the spool's max_rows")
        if not 0 <= max_delay <= MAX_DELAY_LIMIT:
            raise ConfigurationError(f"max_delay {max_delay}s must be between 0 and {MAX_DELAY_LIMIT}s")
        if queue_frames < batch_size or queue_bytes < 1 << 20:
            raise ConfigurationError("queue_frames must be >= batch_size and queue_bytes >= 1 MiB")
        self.spool = spool
        self.batch_size = batch_size
        self.max_delay = max_delay
        self.queue_frames = queue_frames
        self.queue_bytes = queue_bytes
        self.retry_interval = retry_interval
        # A batch never holds more than a quarter of the spool's byte bound, so it always fits eventually.
        self.batch_bytes = max(1, spool.max_bytes // 4)
        self._entries: deque[_Entry] = deque()
        self._queued = 0
        self._queued_bytes = 0
        self._room_callbacks: list[Callable[[], None]] = []
        self._wakeup = asyncio.Event()
        self._batch_ready = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._closing = False
        self._blocked = False
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool-writer")
        self.batches_written = 0

    async def start(self) -> None:
        """Start the background batcher on the running loop."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="spool-writer")

    @property
    def queued(self) -> int:
        """Frames accepted but not yet durable."""
        return self._queued

    @property
    def spool_blocked(self) -> bool:
        """True while the spool is full and the writer is waiting for the consumer."""
        return self._blocked

    @property
    def has_room(self) -> bool:
        """Whether listeners may keep handing frames over."""
        return self._queued < self.queue_frames and self._queued_bytes < self.queue_bytes

    def enqueue(self, frames: Sequence[RawFrame], *, checkpoint: FileCheckpoint | None = None) -> None:
        """Queue frames without waiting for durability (plain TCP, UDP).

        Always accepts (callers check ``has_room`` first and pause when it is false), so one
        read's worth of frames may overshoot the bound slightly; that keeps framing simple.
        """
        self._enqueue(frames, None, checkpoint)

    def enqueue_acked(
        self, frames: Sequence[RawFrame], *, checkpoint: FileCheckpoint | None = None
    ) -> asyncio.Future[list[int]]:
        """Queue frames; the returned future resolves with their spool ids once durable (RELP)."""
        future: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._enqueue(frames, future, checkpoint)
        return future

    def _enqueue(
        self,
        frames: Sequence[RawFrame],
        future: asyncio.Future[list[int]] | None,
        checkpoint: FileCheckpoint | None,
    ) -> None:
        if self._closing:
            raise SpoolWriterClosed("the spool writer is closed; frames are no longer accepted")
        collected: list[int] = []
        start = size = total = 0
        for i, frame in enumerate(frames):
            length = len(frame.payload)
            if i > start and (i - start >= self.batch_size or size + length > self.batch_bytes):
                self._entries.append(_Entry(frames[start:i], size, future, None, collected, False))
                start, size = i, 0
            size += length
            total += length
        self._entries.append(_Entry(frames[start:], size, future, checkpoint, collected, True))
        self._queued += len(frames)
        self._queued_bytes += total
        if not self.has_room:
            self._room.clear()
        if self._queued >= self.batch_size:
            self._batch_ready.set()
        self._wakeup.set()

    def offer(self, frame: RawFrame) -> bool:
        """Queue one frame if there is room (for UDP); False means the caller must count a drop."""
        if not self.has_room or self._closing:
            return False
        self.enqueue((frame,))
        return True

    def when_room(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once (soon) when the queue has room again; e.g. ``transport.resume_reading``."""
        if self.has_room:
            asyncio.get_running_loop().call_soon(callback)
        else:
            self._room_callbacks.append(callback)

    async def wait_for_room(self) -> None:
        """Wait until the queue has room."""
        while not self.has_room:
            self._room.clear()
            await self._room.wait()

    async def submit_many(
        self, frames: Sequence[RawFrame], *, checkpoint: FileCheckpoint | None = None, wait: bool = False
    ) -> list[int]:
        """Queue frames and return their spool ids once they are durable (HTTP intake, file follower).

        With ``wait=False`` a full spool raises ``SpoolFull`` at once, so an HTTP client can be told
        to retry; with ``wait=True`` the call waits for room instead.
        """
        if self._blocked and not wait:
            raise SpoolFull(
                "the spool is full; frames were not accepted",
                hint="retry later, once the backlog is processed",
            )
        await self.wait_for_room()
        return await self.enqueue_acked(frames, checkpoint=checkpoint)

    async def aclose(self) -> None:
        """Write what is queued, then stop.

        Frames still queued while the spool stays full fail with ``SpoolFull``.
        """
        self._closing = True
        self._wakeup.set()
        self._batch_ready.set()
        if self._task is not None:
            await self._task
        self._executor.shutdown(wait=True)

    async def _run(self) -> None:
        while True:
            if not self._entries:
                if self._closing:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if self.max_delay and self._queued < self.batch_size and not self._closing:
                self._batch_ready.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._batch_ready.wait(), self.max_delay)
            await self._write_one_batch()

    async def _write_one_batch(self) -> None:
        batch: list[_Entry] = []
        count = 0
        size = 0
        while self._entries:
            head = self._entries[0]
            if batch and (count + len(head.frames) > self.batch_size or size + head.size > self.batch_bytes):
                break
            batch.append(self._entries.popleft())
            count += len(head.frames)
            size += head.size
        frames = [f for e in batch for f in e.frames]
        checkpoints = [e.checkpoint for e in batch if e.checkpoint is not None]
        loop = asyncio.get_running_loop()
        append = functools.partial(self.spool.append_batch, frames, checkpoints=checkpoints)
        error: BaseException | None = None
        ids: list[int] = []
        while True:
            if size + count * ROW_OVERHEAD_BYTES > self.spool.max_bytes:
                error = SpoolFull(
                    f"a {size}-byte frame can never fit the spool's {self.spool.max_bytes}-byte bound"
                )
                break
            try:
                ids = await loop.run_in_executor(self._executor, append)
                break
            except (SpoolFull, sqlite3.OperationalError) as exc:
                # A full spool or a full disk clears when the consumer catches up: hold the batch.
                if self._closing:
                    error = exc if isinstance(exc, SpoolFull) else SpoolFull(f"spool write failed: {exc}")
                    log.error("shutting down with %d frames not spooled: %s", len(frames), exc)
                    break
                if not self._blocked:
                    log.warning("spool full, applying backpressure: %s", exc)
                self._blocked = True
                await asyncio.sleep(self.retry_interval)
            except Exception as exc:
                log.exception("spool write failed for %d frames", len(frames))
                error = exc
                break
        self._blocked = False
        self.batches_written += 1
        offset = 0
        for entry in batch:
            n = len(entry.frames)
            future = entry.future
            if future is not None and not future.done():
                if error is not None:
                    future.set_exception(error)
                else:
                    entry.collected.extend(ids[offset : offset + n])
                    if entry.final:
                        future.set_result(entry.collected)
            offset += n
            self._queued -= n
            self._queued_bytes -= entry.size
        if self.has_room:
            self._room.set()
            callbacks, self._room_callbacks = self._room_callbacks, []
            for callback in callbacks:
                callback()
