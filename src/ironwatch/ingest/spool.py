"""The durable spool: raw frames are written here before any sender is acknowledged.

Durability choice: WAL mode with ``synchronous=FULL``. In WAL mode ``NORMAL`` only syncs at
checkpoints, so a power cut can lose the last committed transactions; we acknowledge RELP
senders (and HTTP clients) the moment a batch commits, so a commit must mean "on disk".
``FULL`` costs one fsync of the WAL per commit, which the batching ``SpoolWriter`` amortises
over hundreds or thousands of frames. SQLite's automatic checkpoints keep the WAL small and
``journal_size_limit`` truncates it after a checkpoint.

Idempotency contract for the consumer:

1. ``claim(limit)`` hands out frames in id order; ids grow monotonically and are never reused
   in one spool file (``AUTOINCREMENT``), and the spool has its own ``spool_uuid``.
2. The consumer stores each parsed event under ``SpooledFrame.event_id`` (a UUIDv8 of the
   frame's receive time, the spool uuid and the frame id: ``frames.spool_event_id``), with an
   insert that ignores an existing id.
3. Only after its own commit does it call ``ack(ids)``, which deletes the frames.

A crash between 2 and 3 redelivers those frames on restart (claims are not persisted), and
the deterministic id makes the second insert a no-op: no loss, no duplicate.

Bounds: ``max_rows`` and ``max_bytes`` (payload plus a fixed per-row overhead) cap the
backlog. ``append_batch`` raises ``SpoolFull`` instead of exceeding them; listeners react
with backpressure (TCP/RELP stop reading, UDP counts a drop, HTTP answers 503).
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ironwatch.core.errors import ConfigurationError, IronwatchError
from ironwatch.ingest.frames import FileCheckpoint, RawFrame, SpooledFrame, Transport

ROW_OVERHEAD_BYTES = 64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_TRANSPORTS = {t.value: t for t in Transport}  # Transport(value) costs ~10 µs per frame

_SCHEMA = """
CREATE TABLE IF NOT EXISTS frames (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    transport TEXT NOT NULL,
    peer TEXT NOT NULL,
    received_us INTEGER NOT NULL,
    payload BLOB NOT NULL,
    failure TEXT
);
CREATE TABLE IF NOT EXISTS spool_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS file_checkpoints (
    path TEXT PRIMARY KEY,
    device INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    fingerprint_length INTEGER NOT NULL
);
"""


_UPSERT_CHECKPOINT = (
    "INSERT INTO file_checkpoints (path, device, inode, offset, fingerprint, fingerprint_length)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET device=excluded.device,"
    " inode=excluded.inode, offset=excluded.offset, fingerprint=excluded.fingerprint,"
    " fingerprint_length=excluded.fingerprint_length"
)


class SpoolFull(IronwatchError):
    """The spool holds as many frames or bytes as it may; the sender must wait or retry."""

    status = 503
    exit_code = 10
    title = "Spool full"


@dataclass(frozen=True, slots=True)
class SpoolStats:
    """Backlog of the spool right now."""

    rows: int
    bytes: int
    max_rows: int
    max_bytes: int
    last_id: int


def _to_us(value: datetime) -> int:
    return (value - _EPOCH) // _MICROSECOND


def _runs(ids: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted ids as runs of consecutive values: a claimed batch is usually one run, one DELETE."""
    runs: list[tuple[int, int]] = []
    for value in sorted(set(ids)):
        if runs and value == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def _frame_cost(frame: RawFrame) -> int:
    return len(frame.payload) + ROW_OVERHEAD_BYTES


class Spool:
    """A bounded, durable FIFO of raw frames in one SQLite file.

    Thread-safe: one connection guarded by a lock, so the batching writer may append from a
    worker thread while the consumer claims and acks from another.
    """

    def __init__(self, path: Path | str, *, max_rows: int = 1_000_000, max_bytes: int = 1 << 30) -> None:
        if max_rows < 1 or max_bytes < 1 << 20:
            raise ConfigurationError(
                f"spool bounds too small (max_rows={max_rows}, max_bytes={max_bytes})",
                hint="allow at least 1 row and 1 MiB",
            )
        self.path = Path(path)
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode != "wal":
                raise ConfigurationError(f"spool {self.path} cannot use WAL mode (got {mode})")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA journal_size_limit=67108864")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise ConfigurationError(
                f"cannot open spool {self.path}: {exc}", hint="check the path is writable and not corrupt"
            ) from exc
        self.spool_uuid = self._load_uuid()
        rows, size, last = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(length(payload)), 0), COALESCE(MAX(id), 0) FROM frames"
        ).fetchone()
        self._rows: int = rows
        self._bytes: int = size + rows * ROW_OVERHEAD_BYTES
        self._last_id: int = last
        self._cursor = 0  # claims live in memory only, so a restart redelivers what was not acked

    def _load_uuid(self) -> str:
        row = self._db.execute("SELECT value FROM spool_meta WHERE key = 'spool_uuid'").fetchone()
        if row is not None:
            return str(row[0])
        value = str(uuid.uuid4())
        self._db.execute("INSERT INTO spool_meta (key, value) VALUES ('spool_uuid', ?)", (value,))
        return value

    def append_batch(
        self, frames: Sequence[RawFrame], *, checkpoints: Iterable[FileCheckpoint] = ()
    ) -> list[int]:
        """Durably append ``frames`` in one transaction and return their ids, in order.

        ``checkpoints`` (from file followers) are saved in the same transaction, so a file
        offset never runs ahead of, or behind, the frames it covers.
        Raises ``SpoolFull`` (nothing written) when the batch would exceed the bounds.
        """
        cost = sum(_frame_cost(f) for f in frames)
        with self._lock:
            if frames and (self._rows + len(frames) > self.max_rows or self._bytes + cost > self.max_bytes):
                raise SpoolFull(
                    f"spool {self.path} is full ({self._rows} frames, {self._bytes} bytes)",
                    hint="the consumer must catch up (ack frames) or the spool bounds be raised",
                    details={"rows": self._rows, "bytes": self._bytes},
                )
            rows = []
            last_dt: datetime | None = None
            last_us = 0
            for f in frames:
                if f.received_at is not last_dt:
                    last_dt, last_us = f.received_at, _to_us(f.received_at)
                rows.append((f.source, f.transport.value, f.peer, last_us, f.payload, f.failure))
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "INSERT INTO frames (source, transport, peer, received_us, payload, failure)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
                last = int(db.execute("SELECT last_insert_rowid()").fetchone()[0]) if rows else 0
                db.executemany(_UPSERT_CHECKPOINT, [astuple(c) for c in checkpoints])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            # One transaction under the lock, so the ids of this batch are contiguous.
            ids = list(range(last - len(frames) + 1, last + 1))
            if frames:
                self._last_id = ids[-1]
            self._rows += len(frames)
            self._bytes += cost
            return ids

    def claim(self, limit: int) -> list[SpooledFrame]:
        """The next ``limit`` unclaimed frames, oldest first. Claims are not durable: see the module doc."""
        if limit < 1:
            raise ValueError(f"claim limit must be at least 1, got {limit}")
        with self._lock:
            rows = self._db.execute(
                "SELECT id, source, transport, peer, received_us, payload, failure FROM frames"
                " WHERE id > ? ORDER BY id LIMIT ?",
                (self._cursor, limit),
            ).fetchall()
            if rows:
                self._cursor = rows[-1][0]
        frames: list[SpooledFrame] = []
        last_us: int | None = None
        received_at = _EPOCH
        spool_uuid = self.spool_uuid
        for r in rows:
            if r[4] != last_us:  # a listener batch shares one receive time: build it once
                last_us = r[4]
                received_at = _EPOCH + timedelta(microseconds=last_us)
            frame = RawFrame(r[1], _TRANSPORTS[r[2]], r[3], received_at, r[5], r[6])
            frames.append(SpooledFrame(r[0], spool_uuid, frame))
        return frames

    def ack(self, ids: Iterable[int]) -> int:
        """Delete frames whose events the consumer has committed; returns how many were removed."""
        id_list = list(ids)
        removed = 0
        freed = 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for first, last in _runs(id_list):
                    for (length,) in self._db.execute(
                        "DELETE FROM frames WHERE id BETWEEN ? AND ? RETURNING length(payload)", (first, last)
                    ).fetchall():
                        removed += 1
                        freed += length + ROW_OVERHEAD_BYTES
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._rows -= removed
            self._bytes -= freed
        return removed

    def release_claims(self) -> None:
        """Make every unacked frame claimable again (a consumer restarting without a process restart)."""
        with self._lock:
            self._cursor = 0

    def depth(self) -> int:
        """Frames waiting (claimed or not) that have not been acked."""
        with self._lock:
            return self._rows

    def stats(self) -> SpoolStats:
        """Backlog and bounds, for status pages and metrics."""
        with self._lock:
            return SpoolStats(self._rows, self._bytes, self.max_rows, self.max_bytes, self._last_id)

    def has_room(self, frames: int = 1, size: int = 0) -> bool:
        """Whether ``frames`` more frames totalling ``size`` payload bytes would fit now."""
        with self._lock:
            return (
                self._rows + frames <= self.max_rows
                and self._bytes + size + frames * ROW_OVERHEAD_BYTES <= self.max_bytes
            )

    def file_checkpoint(self, path: str) -> FileCheckpoint | None:
        """The last durable position of a followed file, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT path, device, inode, offset, fingerprint, fingerprint_length"
                " FROM file_checkpoints WHERE path = ?",
                (path,),
            ).fetchone()
        return FileCheckpoint(*row) if row else None

    def compact(self) -> None:
        """Return freed pages to the file system and checkpoint the WAL (call when idle)."""
        with self._lock:
            self._db.execute("PRAGMA incremental_vacuum")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Close the database; the spool object is unusable afterwards."""
        with self._lock:
            self._db.close()
