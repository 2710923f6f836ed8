"""Syslog over TCP (RFC 6587) and, given an ``ssl.SSLContext``, over TLS (RFC 5425).

Framing is detected per connection (see ``framing``). Frames go to the spool writer once per
read; when its queue is full the connection stops reading, so the sender's TCP window fills
and it slows down instead of us dropping anything.
"""

from __future__ import annotations

import logging
import ssl

from ironwatch.core.clock import Clock, SystemClock
from ironwatch.ingest.counters import SourceCounters
from ironwatch.ingest.frames import RawFrame, Transport
from ironwatch.ingest.sources.framing import Framed, SyslogStreamFramer
from ironwatch.ingest.sources.stream_server import StreamConnection, StreamListener
from ironwatch.ingest.spool_writer import SpoolWriter, SpoolWriterClosed

log = logging.getLogger(__name__)


class SyslogTcpListener(StreamListener):
    """A syslog TCP (or TLS) server feeding a ``SpoolWriter``; ``port=0`` binds a free port."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        writer: SpoolWriter,
        counters: SourceCounters,
        source: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        clock: Clock | None = None,
        max_frame: int = 1 << 20,
        failure_capture: int = 4096,
        max_connections: int = 1000,
    ) -> None:
        super().__init__(host=host, port=port, ssl_context=ssl_context, max_connections=max_connections)
        self.writer = writer
        self.counters = counters
        self.transport_kind = Transport.TLS if ssl_context is not None else Transport.TCP
        self.source = source or f"syslog-{self.transport_kind.value}"
        self.clock = clock or SystemClock()
        self.max_frame = max_frame
        self.failure_capture = failure_capture

    def make_connection(self) -> StreamConnection:
        """Protocol for one accepted connection."""
        return _SyslogStreamConnection(self)


class _SyslogStreamConnection(StreamConnection):
    listener: SyslogTcpListener

    def __init__(self, listener: SyslogTcpListener) -> None:
        super().__init__(listener)
        self.framer = SyslogStreamFramer(
            max_frame=listener.max_frame, failure_capture=listener.failure_capture
        )
        self._paused = False

    def data_received(self, data: bytes) -> None:
        framed = self.framer.feed(data)
        if framed:
            self._emit(framed)
        if self.framer.fatal is not None:
            log.warning("%s: closing %s: %s", self.listener.source, self.peer, self.framer.fatal)
            self._emit([Framed(data[: self.listener.failure_capture], self.framer.fatal)])
            if self.transport is not None:
                self.transport.close()
            return
        if not self.listener.writer.has_room and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
            self.listener.writer.when_room(self._resume)

    def _resume(self) -> None:
        self._paused = False
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def _emit(self, framed: list[Framed]) -> None:
        listener = self.listener
        now = listener.clock.now()
        kind, source, peer = listener.transport_kind, listener.source, self.peer
        frames = [RawFrame(source, kind, peer, now, f.payload, f.failure) for f in framed]
        size = 0
        failed = oversized = 0
        for f in framed:
            size += len(f.payload)
            if f.failure is not None:
                failed += 1
                oversized += f.failure.startswith("oversized")
        try:
            listener.writer.enqueue(frames)
        except SpoolWriterClosed:
            listener.counters.add_dropped(len(frames))
            if self.transport is not None:
                self.transport.abort()
            return
        listener.counters.add_received(len(frames) - failed, size)
        if failed:
            listener.counters.add_failed(failed, oversized=oversized)

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self in self.listener.connections:
            leftover = self.framer.close()
            if leftover:
                self._emit(leftover)
            self.listener.counters.connection_closed()
        self._forget()
