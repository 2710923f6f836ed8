"""RELP server: reliable syslog delivery as rsyslog's ``omrelp`` speaks it.

``syslog`` frames are answered ``rsp 200 OK`` only after they are durable in the spool, so a
sender that sees the ack may forget the message. Responses go out in the order the frames
came in, while many frames are in flight (omrelp keeps a window of up to 128 by default).

Refusals (``rsp 500``) are counted as failed: a frame before ``open``, an unknown command, an
empty message. A frame that breaks the wire format or the transaction sequence is answered
``500`` and the session is closed after outstanding acks are sent, as librelp does, because
the stream cannot be trusted past that point. On shutdown every session gets a
``serverclose`` once its outstanding frames are acked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections import deque

from ironwatch import __version__
from ironwatch.core.clock import Clock, SystemClock
from ironwatch.ingest.counters import SourceCounters
from ironwatch.ingest.frames import RawFrame, Transport
from ironwatch.ingest.sources.relp_protocol import (
    RelpFrame,
    RelpParser,
    encode_frame,
    encode_response,
    next_txnr,
    parse_offers,
)
from ironwatch.ingest.sources.stream_server import StreamConnection, StreamListener
from ironwatch.ingest.spool_writer import SpoolWriter, SpoolWriterClosed

log = logging.getLogger(__name__)

_Pending = tuple[asyncio.Future[list[int]], list[int]]


class RelpListener(StreamListener):
    """A RELP server (plain, or TLS with an ``ssl.SSLContext``) feeding a ``SpoolWriter``."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        writer: SpoolWriter,
        counters: SourceCounters,
        source: str = "relp",
        ssl_context: ssl.SSLContext | None = None,
        clock: Clock | None = None,
        max_frame: int = 1 << 20,
        max_connections: int = 1000,
    ) -> None:
        super().__init__(host=host, port=port, ssl_context=ssl_context, max_connections=max_connections)
        self.writer = writer
        self.counters = counters
        self.source = source
        self.clock = clock or SystemClock()
        self.max_frame = max_frame
        self.offers = f"relp_version=0\nrelp_software=ironwatch,{__version__}\ncommands=syslog".encode()

    def make_connection(self) -> StreamConnection:
        """Protocol for one accepted session."""
        return _RelpSession(self)


class _RelpSession(StreamConnection):
    listener: RelpListener

    def __init__(self, listener: RelpListener) -> None:
        super().__init__(listener)
        self.parser = RelpParser(max_data=listener.max_frame)
        self.is_open = False
        self.expected_txnr = 1
        self.outbox: deque[bytes | _Pending] = deque()
        self.close_when_flushed = False
        self.stopped = False
        self._paused = False
        self._batch: list[RawFrame] = []
        self._batch_txnrs: list[int] = []

    def data_received(self, data: bytes) -> None:
        if self.stopped:
            return
        for frame in self.parser.feed(data):
            self._dispatch(frame)
            if self.stopped:
                break
        self._flush_batch()
        violation = self.parser.violation
        if violation is not None and not self.stopped:
            self._refuse(violation.txnr or 0, f"malformed frame: {violation.reason}")
            self._stop_after_flush(violation.reason)
        self._pump()
        if not self.listener.writer.has_room and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
            self.listener.writer.when_room(self._resume)

    def _dispatch(self, frame: RelpFrame) -> None:
        if frame.txnr != 0:
            if frame.txnr != self.expected_txnr:
                self._flush_batch()
                reason = f"txnr {frame.txnr} out of sequence, expected {self.expected_txnr}"
                self._refuse(frame.txnr, reason)
                self._stop_after_flush(reason)
                return
            self.expected_txnr = next_txnr(frame.txnr)
        command = frame.command
        if command == "syslog":
            if not self.is_open:
                self._flush_batch()
                self._refuse(frame.txnr, "session not open: send open first")
            elif not frame.data:
                self._flush_batch()
                self._refuse(frame.txnr, "empty syslog message")
            else:
                listener = self.listener
                self._batch.append(
                    RawFrame(listener.source, Transport.RELP, self.peer, listener.clock.now(), frame.data)
                )
                self._batch_txnrs.append(frame.txnr)
            return
        self._flush_batch()
        if command == "open":
            self._open(frame)
        elif command == "close":
            self.outbox.append(encode_frame(frame.txnr, "rsp"))
            self._stop_after_flush(None)
        else:
            self._refuse(frame.txnr, f"command {command!r} not supported; this server accepts syslog")

    def _open(self, frame: RelpFrame) -> None:
        if self.is_open:
            self.outbox.append(encode_response(frame.txnr, 200, "connection already open - ignored"))
            return
        offers = parse_offers(frame.data)
        version = offers.get("relp_version") or [""]
        if not version[0].isdigit():
            self._refuse(frame.txnr, "open needs a numeric relp_version offer")
            self._stop_after_flush("open without relp_version")
            return
        if "commands" in offers and "syslog" not in offers["commands"]:
            self.outbox.append(encode_response(frame.txnr, 500, "required command not supported by client"))
            self.listener.counters.add_failed(1)
            self._stop_after_flush("client does not offer the syslog command")
            return
        self.is_open = True
        self.outbox.append(encode_response(frame.txnr, 200, "OK", self.listener.offers))

    def _refuse(self, txnr: int, reason: str) -> None:
        self.listener.counters.add_failed(1)
        self.outbox.append(encode_response(txnr, 500, reason))

    def _stop_after_flush(self, reason: str | None) -> None:
        if reason is not None:
            log.warning("%s: closing session with %s: %s", self.listener.source, self.peer, reason)
        self.stopped = True
        self.close_when_flushed = True

    def _flush_batch(self) -> None:
        if not self._batch:
            return
        frames, txnrs = self._batch, self._batch_txnrs
        self._batch, self._batch_txnrs = [], []
        try:
            future = self.listener.writer.enqueue_acked(frames)
        except SpoolWriterClosed:
            for txnr in txnrs:
                self.outbox.append(encode_response(txnr, 500, "server shutting down; resend later"))
            return
        future.add_done_callback(lambda _f: self._pump())
        self.outbox.append((future, txnrs))
        self.listener.counters.add_received(len(frames), sum(len(f.payload) for f in frames))

    def _pump(self) -> None:
        """Write every response whose turn has come, in order."""
        out: list[bytes] = []
        while self.outbox:
            head = self.outbox[0]
            if isinstance(head, bytes):
                out.append(head)
            else:
                future, txnrs = head
                if not future.done():
                    break
                if future.exception() is None:
                    out.extend(encode_response(t, 200, "OK") for t in txnrs)
                else:
                    reason = f"not stored: {future.exception()}"
                    out.extend(encode_response(t, 500, reason) for t in txnrs)
            self.outbox.popleft()
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if out:
            transport.write(b"".join(out))
        if self.close_when_flushed and not self.outbox:
            transport.close()

    def _resume(self) -> None:
        self._paused = False
        if self.transport is not None and not self.transport.is_closing() and not self.stopped:
            self.transport.resume_reading()

    async def shutdown(self) -> None:
        """Stop reading, ack what is in flight, send ``serverclose``, close."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        self.stopped = True
        with contextlib.suppress(RuntimeError):
            transport.pause_reading()
        pending = [item[0] for item in self.outbox if not isinstance(item, bytes)]
        if pending:
            await asyncio.wait(pending)
        self._pump()
        if not transport.is_closing():
            transport.write(encode_frame(0, "serverclose"))
            transport.close()

    def eof_received(self) -> bool:
        # Keep the write side open so acks still owed can go out; _pump closes when flushed.
        self.stopped = True
        self.close_when_flushed = True
        self._pump()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        if self in self.listener.connections:
            self.listener.counters.connection_closed()
        self._forget()
