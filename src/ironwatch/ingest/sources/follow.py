"""Follow a log file like ``tail -F``: across rotation, and from where we stopped after a restart.

Each batch of lines is spooled together with a ``FileCheckpoint`` (device, inode, offset of
the end of the last complete line, and a SHA-256 fingerprint of the file's first bytes) in
one transaction, so after a crash the follower resumes exactly after the last spooled line.

On start the checkpoint is trusted when the file at the path has the same inode and the same
fingerprint. If the path now holds a new file (rotated while we were down), the previous file
is looked for among its rotated siblings (``app.log.1`` etc., same inode), its rest is read
first, then the new file from the start. Rotation while running is seen by polling:
rename+create (the path's inode changes: the old file is read to its end, then the new one
from 0) and copytruncate (the file shrinks below our position: read again from 0).

Limits: lines written to a copytruncate'd file between the copy and the truncate are lost
(inherent in copytruncate); an oversized line is kept as a capped failure frame, and if the
process stops in the middle of skipping one, its tail is read as a line after the restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from pathlib import Path
from typing import BinaryIO

from ironwatch.core.clock import Clock, SystemClock
from ironwatch.ingest.counters import SourceCounters
from ironwatch.ingest.frames import FileCheckpoint, RawFrame, Transport
from ironwatch.ingest.sources.framing import Framed, Framing, SyslogStreamFramer
from ironwatch.ingest.spool_writer import SpoolWriter

log = logging.getLogger(__name__)


def fingerprint(handle: BinaryIO, length: int) -> tuple[str, int]:
    """SHA-256 of the first ``length`` bytes (fewer if the file is shorter) and how many were hashed."""
    head = os.pread(handle.fileno(), length, 0)
    return hashlib.sha256(head).hexdigest(), len(head)


class FileFollower:
    """Spool the lines of one file as it grows, rotates and is truncated."""

    def __init__(
        self,
        path: Path,
        *,
        writer: SpoolWriter,
        counters: SourceCounters,
        source: str | None = None,
        clock: Clock | None = None,
        poll_interval: float = 0.25,
        max_frame: int = 1 << 20,
        failure_capture: int = 4096,
        read_chunk: int = 1 << 16,
        fingerprint_bytes: int = 1024,
        start_at_end: bool = False,
    ) -> None:
        self.path = Path(path)
        self.key = str(self.path)
        self.writer = writer
        self.counters = counters
        self.source = source or f"file:{self.path}"
        self.clock = clock or SystemClock()
        self.poll_interval = poll_interval
        self.max_frame = max_frame
        self.failure_capture = failure_capture
        self.read_chunk = read_chunk
        self.fingerprint_bytes = fingerprint_bytes
        self.start_at_end = start_at_end
        self._handle: BinaryIO | None = None
        self._identity = (0, 0)
        self._read_pos = 0
        self._fingerprint = ("", 0)
        self._framer = self._new_framer()
        self._task: asyncio.Task[None] | None = None

    def _new_framer(self) -> SyslogStreamFramer:
        return SyslogStreamFramer(
            max_frame=self.max_frame, failure_capture=self.failure_capture, framing=Framing.NON_TRANSPARENT
        )

    def start(self) -> None:
        """Run in a background task on the running loop."""
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=f"follow {self.path}")

    async def aclose(self) -> None:
        """Stop following; what was spooled so far is checkpointed."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._close_handle()

    async def run(self) -> None:
        """Follow until cancelled."""
        opened = False
        while True:
            if not opened:
                # tail -F: the file may not exist yet; polling is the portable way to notice it.
                opened = await asyncio.to_thread(self._open_initial)
                if not opened:
                    await asyncio.sleep(self.poll_interval)
                continue
            if await self._read_available():
                continue
            if not await self._check_rotation():
                await asyncio.sleep(self.poll_interval)

    # -- opening -----------------------------------------------------------------------------

    def _open_initial(self) -> bool:
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return False
        except OSError as exc:
            log.warning("cannot open %s: %s; retrying", self.path, exc)
            return False
        saved = self.writer.spool.file_checkpoint(self.key)
        self._adopt(handle, 0)
        if saved is None:
            if self.start_at_end:
                self._adopt(handle, os.fstat(handle.fileno()).st_size)
            return True
        if self._matches(handle, saved):
            self._adopt(handle, saved.offset)
            return True
        rotated = self._find_rotated(saved)
        if rotated is not None:
            log.info("%s was rotated while stopped; reading the rest of the old file first", self.path)
            handle.close()
            self._adopt(rotated, saved.offset)
        return True

    def _matches(self, handle: BinaryIO, saved: FileCheckpoint) -> bool:
        st = os.fstat(handle.fileno())
        if st.st_size < saved.offset:
            return False
        same_inode = (st.st_dev, st.st_ino) == (saved.device, saved.inode)
        digest, _ = fingerprint(handle, saved.fingerprint_length)
        same_content = digest == saved.fingerprint and saved.fingerprint_length > 0
        return same_content and (same_inode or saved.fingerprint_length >= self.fingerprint_bytes)

    def _find_rotated(self, saved: FileCheckpoint) -> BinaryIO | None:
        for candidate in sorted(self.path.parent.glob(self.path.name + "?*")):
            try:
                st = candidate.stat()
                if (st.st_dev, st.st_ino) != (saved.device, saved.inode):
                    continue
                handle = candidate.open("rb")
            except OSError:
                continue
            if self._matches(handle, saved):
                return handle
            handle.close()
        return None

    def _adopt(self, handle: BinaryIO, offset: int) -> None:
        if self._handle is not None and self._handle is not handle:
            self._handle.close()
        self._handle = handle
        st = os.fstat(handle.fileno())
        self._identity = (st.st_dev, st.st_ino)
        handle.seek(offset)
        self._read_pos = offset
        self._fingerprint = fingerprint(handle, self.fingerprint_bytes)
        self._framer = self._new_framer()

    def _close_handle(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    # -- reading -----------------------------------------------------------------------------

    async def _read_available(self) -> bool:
        handle = self._handle
        if handle is None:
            return False
        chunk = await asyncio.to_thread(handle.read, self.read_chunk)
        if not chunk:
            return False
        self._read_pos += len(chunk)
        if self._fingerprint[1] < self.fingerprint_bytes:
            self._fingerprint = fingerprint(handle, self.fingerprint_bytes)
        await self._spool(self._framer.feed(chunk))
        return True

    def _checkpoint(self) -> FileCheckpoint:
        digest, length = self._fingerprint
        offset = self._read_pos - self._framer.buffered
        return FileCheckpoint(self.key, self._identity[0], self._identity[1], offset, digest, length)

    async def _spool(self, framed: list[Framed]) -> None:
        if not framed:
            return
        now = self.clock.now()
        peer = self.key
        frames = [RawFrame(self.source, Transport.FILE, peer, now, f.payload, f.failure) for f in framed]
        failed = sum(1 for f in framed if f.failure is not None)
        await self.writer.submit_many(frames, checkpoint=self._checkpoint(), wait=True)
        self.counters.add_received(len(frames) - failed, sum(len(f.payload) for f in framed))
        if failed:
            self.counters.add_failed(failed, oversized=failed)

    async def _check_rotation(self) -> bool:
        """At end of file: switch files or rewind if the path was rotated or truncated."""
        try:
            st = await asyncio.to_thread(os.stat, self.path)
        except FileNotFoundError:
            return False  # renamed away, new file not created yet: keep waiting
        if (st.st_dev, st.st_ino) != self._identity:
            try:
                handle = await asyncio.to_thread(self.path.open, "rb")
            except OSError:
                return False
            while await self._read_available():  # lines written to the old file just before the rename
                pass
            await self._spool(self._framer.close())
            log.info("%s rotated (new inode); following the new file", self.path)
            self._adopt(handle, 0)
            await self._spool_position_only()
            return True
        if st.st_size < self._read_pos and self._handle is not None:
            await self._spool(self._framer.close())
            log.info("%s truncated (copytruncate?); reading again from the start", self.path)
            self._adopt(self._handle, 0)
            await self._spool_position_only()
            return True
        return False

    async def _spool_position_only(self) -> None:
        """Record the switch to a new file even before it has lines, so a restart does not re-read the old."""
        await self.writer.submit_many([], checkpoint=self._checkpoint(), wait=True)
