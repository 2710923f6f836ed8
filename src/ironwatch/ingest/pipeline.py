"""The consumer side of the spool: parse frames, store events exactly once, then acknowledge.

Order matters for "lose nothing": events are committed to the store under ids derived from
the spool (``SpooledFrame.event_id``) *before* the frames are acked, so a crash between the two
replays the frames and the store ignores the ids it already has.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from ironwatch.core.clock import Clock, SystemClock
from ironwatch.ingest.event import Event, ParseFailure, cap_raw
from ironwatch.ingest.frames import SpooledFrame, Transport
from ironwatch.ingest.parsers import DEFAULT_LIMITS, ParseContext, ParseLimits, frame_context, parse_frame
from ironwatch.ingest.spool import Spool
from ironwatch.ingest.store import store_results
from ironwatch.store.db import Database

log = logging.getLogger("ironwatch.ingest")
EventSink = Callable[[Sequence[Event]], None]


@dataclass
class PipelineStats:
    """What the consumer has done since start; read by status and metrics."""

    frames: int = 0
    events: int = 0
    failures: int = 0
    batches: int = 0
    errors: int = 0
    last_lag_seconds: float = 0.0
    per_source: dict[str, list[int]] = field(default_factory=dict)  # source -> [events, failures]
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, source_counts: dict[str, list[int]], lag: float) -> None:
        with self._lock:
            self.batches += 1
            self.last_lag_seconds = lag
            for source, (events, failures) in source_counts.items():
                slot = self.per_source.setdefault(source, [0, 0])
                slot[0] += events
                slot[1] += failures
                self.events += events
                self.failures += failures
                self.frames += events + failures

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "frames": self.frames,
                "events": self.events,
                "failures": self.failures,
                "batches": self.batches,
                "errors": self.errors,
                "lag_seconds": round(self.last_lag_seconds, 3),
                "per_source": {k: {"parsed": v[0], "failed": v[1]} for k, v in self.per_source.items()},
            }


@dataclass(slots=True)
class _Batch:
    """Frames claimed from the spool and their parse results, paired with their event ids."""

    claimed: list[SpooledFrame]
    results: list[tuple[Event | ParseFailure, str]]


class EventPipeline:
    """Claims frames from the spool in batches and turns them into stored events."""

    def __init__(
        self,
        *,
        spool: Spool,
        db: Database,
        tz: tzinfo,
        clock: Clock | None = None,
        limits: ParseLimits = DEFAULT_LIMITS,
        batch_size: int = 2000,
        sinks: Sequence[EventSink] = (),
    ) -> None:
        self.spool = spool
        self.db = db
        self.tz = tz
        self.clock = clock or SystemClock()
        self.limits = limits
        self.batch_size = batch_size
        self.sinks = list(sinks)
        self.stats = PipelineStats()
        self._contexts: dict[str, ParseContext] = {}

    def _parse(self, spooled: SpooledFrame, event_id: str) -> Event | ParseFailure:
        frame = spooled.frame
        if frame.failure is not None:
            raw, truncated = cap_raw(frame.payload, self.limits.max_failure_raw_bytes)
            return ParseFailure(
                source=frame.source,
                reason=frame.failure,
                raw=raw,
                received_at=frame.received_at,
                format="frame",
                truncated=truncated,
            )
        context = self._contexts.get(frame.source)
        if context is None:
            context = self._contexts[frame.source] = frame_context(frame.source, self.tz, self.limits)
        result = parse_frame(
            frame.payload,
            source=frame.source,
            transport="tcp" if frame.transport is Transport.FILE else frame.transport,  # a str enum
            received_at=frame.received_at,
            tz=self.tz,
            limits=self.limits,
            event_id=event_id,
            context=context,
        )
        if isinstance(result, Event) and not result.source:
            result.source = frame.source
        return result

    def _prepare(self) -> _Batch | None:
        """Claim the next batch and parse it (the first half of a batch; no database writes)."""
        claimed = self.spool.claim(self.batch_size)
        if not claimed:
            return None
        results = []
        for spooled in claimed:
            event_id = spooled.event_id
            results.append((self._parse(spooled, event_id), event_id))
        return _Batch(claimed, results)

    def _commit(self, batch: _Batch) -> int:
        """Store a parsed batch, ack its frames, hand its events to the sinks. Returns frames handled."""
        claimed, results = batch.claimed, batch.results
        try:
            with self.db.engine.begin() as conn:
                store_results(conn, results)
        except Exception:
            # nothing acked: put the claims back so the next round (or a restart) retries them
            self.spool.release_claims()
            self.stats.errors += 1
            raise
        self.spool.ack([s.id for s in claimed])
        counts: dict[str, list[int]] = {}
        oldest: datetime = claimed[0].frame.received_at
        for (result, _), spooled in zip(results, claimed, strict=True):
            slot = counts.setdefault(spooled.frame.source, [0, 0])
            slot[0 if isinstance(result, Event) else 1] += 1
            oldest = min(oldest, spooled.frame.received_at)
        self.stats.record(counts, (self.clock.now() - oldest).total_seconds())
        events = [r for r, _ in results if isinstance(r, Event)]
        for sink in self.sinks:
            try:
                sink(events)
            except Exception:
                log.exception("event sink %r failed on a batch of %d events", sink, len(events))
        return len(claimed)

    def process_once(self) -> int:
        """One batch: claim, parse, store, ack, hand events to the sinks. Returns frames handled."""
        batch = self._prepare()
        return self._commit(batch) if batch is not None else 0

    def drain(self, *, timeout: float = 30.0) -> int:
        """Process until the spool has nothing unclaimed (shutdown, one-shot imports)."""
        handled = 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.process_once()
            if not done:
                break
            handled += done
        return handled

    async def run(self, stop: asyncio.Event, *, idle_sleep: float = 0.05) -> None:
        """Consume until ``stop`` is set; a failing batch is logged and retried after a pause.

        One batch at a time. Overlapping the next batch's parsing with the previous one's storing
        (SQLite releases the GIL while it works) was measured and made no gain on the shared
        2-core machine, only GIL hand-over cost (docs/benchmarks.md, "Where the time goes").
        """
        while not stop.is_set():
            try:
                handled = await asyncio.to_thread(self.process_once)
            except Exception:
                log.exception("storing a batch of events failed; retrying in 1 s")
                handled = 0
                await asyncio.sleep(1.0)
            if not handled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), idle_sleep)
