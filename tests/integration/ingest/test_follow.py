"""Following a file like tail -F: rotation, truncation and restarts, each line spooled once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

from listener_harness import eventually

from ironwatch.ingest.counters import IngestCounters
from ironwatch.ingest.sources.follow import FileFollower
from ironwatch.ingest.spool import Spool
from ironwatch.ingest.spool_writer import SpoolWriter


@contextlib.asynccontextmanager
async def following(spool: Spool, path: Path) -> AsyncIterator[FileFollower]:
    writer = SpoolWriter(spool, max_delay=0)
    await writer.start()
    follower = FileFollower(path, writer=writer, counters=IngestCounters().source("file"), poll_interval=0.02)
    follower.start()
    try:
        yield follower
    finally:
        await follower.aclose()
        await writer.aclose()


def lines(spool: Spool) -> list[bytes]:
    spool.release_claims()
    return [c.frame.payload for c in spool.claim(100_000)]


def append(path: Path, text: str) -> None:
    with path.open("a") as handle:
        handle.write(text)


async def wait_for_lines(spool: Spool, expected: list[bytes]) -> None:
    await eventually(lambda: lines(spool) == expected, what=f"lines {expected}, have {lines(spool)}")


def test_appended_lines_are_spooled_and_a_partial_line_waits_for_its_end(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("one\ntwo\n")

    async def scenario() -> None:
        spool = Spool(tmp_path / "spool.db")
        async with following(spool, log) as follower:
            await wait_for_lines(spool, [b"one", b"two"])
            append(log, "thr")
            await asyncio.sleep(0.1)
            assert lines(spool) == [b"one", b"two"]
            append(log, "ee\n")
            await wait_for_lines(spool, [b"one", b"two", b"three"])
            spool.release_claims()
            assert {c.frame.peer for c in spool.claim(10)} == {str(log)}
            assert follower.source == f"file:{log}"

    asyncio.run(scenario())


def test_rename_and_create_rotation_loses_nothing(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("a1\n")

    async def scenario() -> None:
        spool = Spool(tmp_path / "spool.db")
        async with following(spool, log):
            await wait_for_lines(spool, [b"a1"])
            append(log, "a2\n")
            log.rename(tmp_path / "app.log.1")
            append(tmp_path / "app.log.1", "a3 written after the rename\n")
            await asyncio.sleep(0.1)
            log.write_text("b1\n")
            await wait_for_lines(spool, [b"a1", b"a2", b"a3 written after the rename", b"b1"])

    asyncio.run(scenario())


def test_copytruncate_rotation_reads_the_file_again_from_the_start(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("old line one\nold line two\n")

    async def scenario() -> None:
        spool = Spool(tmp_path / "spool.db")
        async with following(spool, log):
            await wait_for_lines(spool, [b"old line one", b"old line two"])
            shutil.copy(log, tmp_path / "app.log.1")
            with log.open("r+") as handle:
                handle.truncate(0)
            await asyncio.sleep(0.1)
            append(log, "new\n")
            await wait_for_lines(spool, [b"old line one", b"old line two", b"new"])

    asyncio.run(scenario())


def test_a_restart_resumes_after_the_last_spooled_line(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("first\n")
    spool_path = tmp_path / "spool.db"

    async def scenario() -> None:
        async with following(Spool(spool_path), log):
            await eventually(lambda: Spool(spool_path).depth() == 1, what="first line")
        append(log, "second\n")
        spool = Spool(spool_path)
        async with following(spool, log):
            await wait_for_lines(spool, [b"first", b"second"])
            await asyncio.sleep(0.1)
            assert lines(spool) == [b"first", b"second"]

    asyncio.run(scenario())


def test_rotation_while_stopped_reads_the_old_files_tail_then_the_new_file(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("before stop\n")
    spool_path = tmp_path / "spool.db"

    async def scenario() -> None:
        async with following(Spool(spool_path), log):
            await eventually(lambda: Spool(spool_path).depth() == 1, what="first line")
        append(log, "written while down\n")
        os.rename(log, tmp_path / "app.log.1")
        log.write_text("new file\n")
        spool = Spool(spool_path)
        async with following(spool, log):
            await wait_for_lines(spool, [b"before stop", b"written while down", b"new file"])

    asyncio.run(scenario())


def test_a_file_that_does_not_exist_yet_is_picked_up_when_created(tmp_path: Path) -> None:
    log = tmp_path / "later.log"

    async def scenario() -> None:
        spool = Spool(tmp_path / "spool.db")
        async with following(spool, log):
            await asyncio.sleep(0.1)
            log.write_text("hello\n")
            await wait_for_lines(spool, [b"hello"])

    asyncio.run(scenario())
