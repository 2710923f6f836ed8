"""Per-source ingest counters, read by the Prometheus endpoint and ``ironwatch status``.

Listeners update counters from the event loop, in bulk (once per read, not per frame);
readers may call ``snapshot`` from any thread. A lock makes both safe.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceCounts:
    """Counter values of one source at one moment. All are totals since start except ``open_connections``."""

    received: int = 0
    bytes: int = 0
    failed: int = 0
    oversized: int = 0
    dropped: int = 0
    connections: int = 0
    open_connections: int = 0


class SourceCounters:
    """Mutable counters of one source (a listener or a followed file)."""

    __slots__ = ("_bytes", "_connections", "_dropped", "_failed", "_lock", "_open", "_oversized", "_received")

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock
        self._received = 0
        self._bytes = 0
        self._failed = 0
        self._oversized = 0
        self._dropped = 0
        self._connections = 0
        self._open = 0

    def add_received(self, frames: int, size: int) -> None:
        """Frames accepted into the spool writer and their payload bytes."""
        with self._lock:
            self._received += frames
            self._bytes += size

    def add_failed(self, frames: int = 1, *, oversized: int = 0) -> None:
        """Malformed frames (kept as failure frames or refused); ``oversized`` of them cut for length."""
        with self._lock:
            self._failed += frames
            self._oversized += oversized

    def add_dropped(self, frames: int = 1) -> None:
        """Frames lost without a trace except this count (UDP when full, kernel buffer overruns)."""
        with self._lock:
            self._dropped += frames

    def connection_opened(self) -> None:
        """A stream connection was accepted."""
        with self._lock:
            self._connections += 1
            self._open += 1

    def connection_closed(self) -> None:
        """A stream connection ended, for whatever reason."""
        with self._lock:
            self._open -= 1

    def snapshot(self) -> SourceCounts:
        """The current values."""
        with self._lock:
            return SourceCounts(
                self._received,
                self._bytes,
                self._failed,
                self._oversized,
                self._dropped,
                self._connections,
                self._open,
            )


class IngestCounters:
    """Registry of counters by source name; ``source(name)`` creates on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sources: dict[str, SourceCounters] = {}

    def source(self, name: str) -> SourceCounters:
        """Counters for ``name``, created empty if new."""
        with self._lock:
            counters = self._sources.get(name)
            if counters is None:
                counters = self._sources[name] = SourceCounters(self._lock)
            return counters

    def snapshot(self) -> dict[str, SourceCounts]:
        """All sources' values, sorted by name."""
        with self._lock:
            items = sorted(self._sources.items())
        return {name: counters.snapshot() for name, counters in items}
