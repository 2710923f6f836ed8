"""Syslog over UDP (RFC 5426; RFC 3164 and RFC 5424 payloads alike): one message per datagram.

UDP has no backpressure, so loss is counted instead of hidden:

* when the spool writer's queue is full, datagrams are read and counted as ``dropped``;
* datagrams the kernel discards because the socket buffer overflowed never reach userspace.
  On Linux, ``SO_RXQ_OVFL`` makes the kernel report its running drop count with each
  datagram, so those are counted too. Elsewhere they are invisible (raise ``rcvbuf``).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import sys

from ironwatch.core.clock import Clock, SystemClock
from ironwatch.core.errors import ConfigurationError
from ironwatch.ingest.counters import SourceCounters
from ironwatch.ingest.frames import RawFrame, Transport
from ironwatch.ingest.sources.addresses import format_peer
from ironwatch.ingest.spool_writer import SpoolWriter, SpoolWriterClosed

log = logging.getLogger(__name__)

# Not exported by Python's socket module; the value is fixed in the Linux ABI.
SO_RXQ_OVFL = getattr(socket, "SO_RXQ_OVFL", 40 if sys.platform.startswith("linux") else None)
_MAX_DATAGRAM = 65536
_READS_PER_WAKEUP = 512


class SyslogUdpListener:
    """A syslog UDP receiver feeding a ``SpoolWriter``."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        writer: SpoolWriter,
        counters: SourceCounters,
        source: str = "syslog-udp",
        clock: Clock | None = None,
        max_frame: int = _MAX_DATAGRAM,
        failure_capture: int = 4096,
        rcvbuf: int = 4 << 20,
    ) -> None:
        self.host = host
        self.port = port
        self.writer = writer
        self.counters = counters
        self.source = source
        self.clock = clock or SystemClock()
        self.max_frame = max_frame
        self.failure_capture = failure_capture
        self.rcvbuf = rcvbuf
        self.overflow_reporting = False
        self._sock: socket.socket | None = None
        self._kernel_drops = 0

    async def start(self) -> None:
        """Bind the socket and start reading on the running loop."""
        try:
            infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_DGRAM, flags=socket.AI_PASSIVE)
            family, kind, proto, _, sockaddr = infos[0]
            sock = socket.socket(family, kind, proto)
        except OSError as exc:
            raise ConfigurationError(f"cannot resolve UDP address {self.host}:{self.port}: {exc}") from exc
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
            if SO_RXQ_OVFL is not None:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, SO_RXQ_OVFL, 1)
                    self.overflow_reporting = True
                except OSError:
                    log.info("SO_RXQ_OVFL not supported; kernel buffer overruns will not be counted")
            sock.bind(sockaddr)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise ConfigurationError(
                f"cannot listen on UDP {self.host}:{self.port}: {exc.strerror or exc}",
                hint="choose a free port, or a port >= 1024 when not running as root",
            ) from exc
        self._sock = sock
        asyncio.get_running_loop().add_reader(sock.fileno(), self._on_readable)

    @property
    def address(self) -> tuple[str, int]:
        """The bound host and port."""
        if self._sock is None:
            raise RuntimeError("listener is not started")
        name = self._sock.getsockname()
        return str(name[0]), int(name[1])

    async def aclose(self) -> None:
        """Stop reading and close the socket."""
        if self._sock is not None:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None

    def _on_readable(self) -> None:
        sock = self._sock
        if sock is None:
            return
        frames: list[RawFrame] = []
        size = failed = oversized = empty = 0
        now = self.clock.now()
        ancillary = socket.CMSG_SPACE(4) if self.overflow_reporting else 0
        for _ in range(_READS_PER_WAKEUP):
            try:
                data, cmsgs, _flags, addr = sock.recvmsg(_MAX_DATAGRAM, ancillary)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:  # e.g. ICMP errors surfaced on the socket; keep listening
                log.debug("%s: recvmsg: %s", self.source, exc)
                break
            for level, kind, value in cmsgs:
                if level == socket.SOL_SOCKET and kind == SO_RXQ_OVFL and len(value) >= 4:
                    total = struct.unpack("=I", value[:4])[0]
                    lost = (total - self._kernel_drops) & 0xFFFFFFFF
                    self._kernel_drops = total
                    if lost:
                        self.counters.add_dropped(lost)
            payload = data.rstrip(b"\r\n\0")
            if not payload:
                empty += 1
                continue
            failure = None
            if len(payload) > self.max_frame:
                failure = (
                    f"oversized: datagram of {len(payload)} bytes exceeds the {self.max_frame}-byte limit"
                )
                payload = payload[: self.failure_capture]
                failed += 1
                oversized += 1
            size += len(payload)
            frames.append(RawFrame(self.source, Transport.UDP, format_peer(addr), now, payload, failure))
        if empty:
            self.counters.add_failed(empty)
        if not frames:
            return
        if not self.writer.has_room:
            self.counters.add_dropped(len(frames))
            return
        try:
            self.writer.enqueue(frames)
        except SpoolWriterClosed:
            self.counters.add_dropped(len(frames))
            return
        self.counters.add_received(len(frames) - failed, size)
        if failed:
            self.counters.add_failed(failed, oversized=oversized)
