"""The durable spool: what the consumer and the listeners rely on."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ironwatch.core.errors import ValidationError
from ironwatch.ingest.frames import FileCheckpoint, RawFrame, Transport
from ironwatch.ingest.spool import ROW_OVERHEAD_BYTES, Spool, SpoolFull
from ironwatch.ingest.spool_writer import SpoolWriter, SpoolWriterClosed

WHEN = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def frame(payload: bytes, *, failure: str | None = None) -> RawFrame:
    return RawFrame("syslog-tcp", Transport.TCP, "127.0.0.1:5000", WHEN, payload, failure)


def test_frames_come_back_as_written_in_id_order(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    ids = spool.append_batch([frame(b"<13>one"), frame(b"\xff\x00binary", failure="oversized: x")])
    claimed = spool.claim(10)
    assert [c.id for c in claimed] == ids == sorted(ids)
    assert claimed[0].frame == frame(b"<13>one")
    assert claimed[1].frame.payload == b"\xff\x00binary"
    assert claimed[1].frame.failure == "oversized: x"
    assert claimed[0].frame.received_at == WHEN


def test_claim_does_not_hand_out_a_frame_twice_but_a_restart_redelivers_unacked(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    spool.append_batch([frame(b"a"), frame(b"b"), frame(b"c")])
    first = spool.claim(2)
    second = spool.claim(2)
    assert [c.frame.payload for c in first] == [b"a", b"b"]
    assert [c.frame.payload for c in second] == [b"c"]
    spool.ack([first[0].id])
    spool.close()
    # Crash before acking b and c: both come back, with the same ids and event ids.
    reopened = Spool(tmp_path / "spool.db")
    again = reopened.claim(10)
    assert [c.id for c in again] == [first[1].id, second[0].id]
    assert again[0].event_id == first[1].event_id


def test_ids_are_never_reused_after_ack_and_reopen(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    old = spool.append_batch([frame(b"a"), frame(b"b")])
    assert spool.ack(old) == 2
    assert spool.depth() == 0
    spool.close()
    reopened = Spool(tmp_path / "spool.db")
    new = reopened.append_batch([frame(b"c")])
    assert new[0] > max(old)


def test_event_id_is_deterministic_and_differs_between_spool_files(tmp_path: Path) -> None:
    one = Spool(tmp_path / "one.db")
    two = Spool(tmp_path / "two.db")
    one.append_batch([frame(b"a")])
    two.append_batch([frame(b"a")])
    a, b = one.claim(1)[0], two.claim(1)[0]
    assert a.id == b.id
    assert a.event_id != b.event_id
    one.release_claims()
    assert one.claim(1)[0].event_id == a.event_id


def test_spool_uses_wal_with_full_sync(tmp_path: Path) -> None:
    Spool(tmp_path / "spool.db").append_batch([frame(b"a")])
    db = sqlite3.connect(tmp_path / "spool.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # What a second connection sees right after append_batch returns is on disk.
    assert db.execute("SELECT COUNT(*) FROM frames").fetchone()[0] == 1


def test_row_bound_refuses_a_batch_and_writes_nothing(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db", max_rows=3)
    spool.append_batch([frame(b"a"), frame(b"b")])
    with pytest.raises(SpoolFull, match="full"):
        spool.append_batch([frame(b"c"), frame(b"d")])
    assert spool.depth() == 2
    spool.ack([c.id for c in spool.claim(1)])
    spool.append_batch([frame(b"c"), frame(b"d")])
    assert spool.depth() == 3


def test_byte_bound_counts_payload_and_row_overhead(tmp_path: Path) -> None:
    limit = 1 << 20
    spool = Spool(tmp_path / "spool.db", max_bytes=limit)
    big = b"x" * (limit - 2 * ROW_OVERHEAD_BYTES)
    spool.append_batch([frame(big)])
    assert not spool.has_room(1, ROW_OVERHEAD_BYTES + 1)
    with pytest.raises(SpoolFull):
        spool.append_batch([frame(b"y" * (ROW_OVERHEAD_BYTES + 1))])
    assert spool.stats().bytes == limit - ROW_OVERHEAD_BYTES


def test_bounds_survive_a_reopen(tmp_path: Path) -> None:
    Spool(tmp_path / "spool.db", max_rows=2).append_batch([frame(b"a"), frame(b"b")])
    with pytest.raises(SpoolFull):
        Spool(tmp_path / "spool.db", max_rows=2).append_batch([frame(b"c")])


def test_file_checkpoint_is_saved_with_the_frames(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    mark = FileCheckpoint("/var/log/app.log", 1, 2, 300, "ab" * 32, 100)
    spool.append_batch([frame(b"line")], checkpoints=[mark])
    assert spool.file_checkpoint("/var/log/app.log") == mark
    moved = FileCheckpoint("/var/log/app.log", 1, 3, 10, "cd" * 32, 10)
    spool.append_batch([], checkpoints=[moved])
    assert spool.file_checkpoint("/var/log/app.log") == moved
    assert spool.file_checkpoint("/other") is None


def test_a_naive_timestamp_is_refused_with_a_hint() -> None:
    with pytest.raises(ValidationError, match="naive"):
        RawFrame("s", Transport.UDP, "p", datetime(2026, 1, 1), b"x")


def test_writer_resolves_acks_only_after_rows_are_on_disk(tmp_path: Path) -> None:
    async def scenario() -> None:
        spool = Spool(tmp_path / "spool.db")
        writer = SpoolWriter(spool, batch_size=100, max_delay=0.05)
        await writer.start()
        futures = [writer.enqueue_acked([frame(b"m%d" % i)]) for i in range(250)]
        ids = [(await f)[0] for f in futures]
        reader = sqlite3.connect(tmp_path / "spool.db")
        assert reader.execute("SELECT COUNT(*) FROM frames").fetchone()[0] == 250
        assert ids == sorted(ids) and len(set(ids)) == 250
        # 250 frames arrived at once: grouped into a few commits, not 250.
        assert writer.batches_written <= 5
        await writer.aclose()

    asyncio.run(scenario())


def test_writer_applies_backpressure_while_the_spool_is_full(tmp_path: Path) -> None:
    async def scenario() -> None:
        spool = Spool(tmp_path / "spool.db", max_rows=10)
        writer = SpoolWriter(spool, batch_size=10, max_delay=0, queue_frames=10, retry_interval=0.01)
        await writer.start()
        assert await writer.submit_many([frame(b"%d" % i) for i in range(10)]) == list(range(1, 11))
        pending = writer.enqueue_acked([frame(b"x%d" % i) for i in range(10)])
        await asyncio.sleep(0.05)
        assert writer.spool_blocked and not writer.has_room and not pending.done()
        with pytest.raises(SpoolFull):
            await writer.submit_many([frame(b"http")])
        resumed = asyncio.Event()
        writer.when_room(resumed.set)
        spool.ack(c.id for c in spool.claim(10))
        assert len(await asyncio.wait_for(pending, 2)) == 10
        await asyncio.wait_for(resumed.wait(), 1)
        assert writer.has_room and not writer.spool_blocked
        await writer.aclose()

    asyncio.run(scenario())


def test_writer_flushes_on_close_and_then_refuses(tmp_path: Path) -> None:
    async def scenario() -> None:
        spool = Spool(tmp_path / "spool.db")
        writer = SpoolWriter(spool, max_delay=0.2)
        await writer.start()
        writer.enqueue([frame(b"late")])
        await writer.aclose()
        assert spool.depth() == 1
        with pytest.raises(SpoolWriterClosed):
            writer.enqueue([frame(b"too late")])

    asyncio.run(scenario())


def test_event_ids_grow_with_the_frames_and_are_uuid_v8(tmp_path: Path) -> None:
    """Ordered ids keep the events table's primary-key index appended at its end (fast inserts)."""
    spool = Spool(tmp_path / "spool.db")
    later = RawFrame("syslog-tcp", Transport.TCP, "127.0.0.1:5000", WHEN.replace(second=1), b"c")
    spool.append_batch([frame(b"a"), frame(b"b")])
    spool.append_batch([later])
    ids = [c.event_id for c in spool.claim(10)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    parsed = uuid.UUID(ids[0])
    assert parsed.version == 8 and parsed.variant == uuid.RFC_4122
    # the first 48 bits are the frame's receive time in milliseconds
    assert int(ids[0].replace("-", "")[:12], 16) == int(WHEN.timestamp() * 1000)


def test_ack_removes_exactly_the_given_frames_even_when_not_consecutive(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    ids = spool.append_batch([frame(bytes([65 + i])) for i in range(6)])
    assert spool.ack([ids[0], ids[1], ids[3], ids[5], ids[5]]) == 4
    assert [c.frame.payload for c in spool.claim(10)] == [b"C", b"E"]
    assert spool.depth() == 2
    assert spool.stats().bytes == 2 * (1 + ROW_OVERHEAD_BYTES)
