"""What TCP-based listeners share: binding, the set of live connections, orderly shutdown."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from typing import cast

from ironwatch.core.errors import ConfigurationError
from ironwatch.ingest.counters import SourceCounters
from ironwatch.ingest.sources.addresses import format_peer

log = logging.getLogger(__name__)


class StreamConnection(asyncio.Protocol):
    """Base protocol: registers itself with its listener so shutdown can reach every connection."""

    transport: asyncio.Transport | None = None

    def __init__(self, listener: StreamListener) -> None:
        self.listener = listener
        self.peer = "unknown"
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Register the connection, or refuse it (counted) when the listener is at its limit."""
        self.transport = cast(asyncio.Transport, transport)
        listener = self.listener
        self.peer = format_peer(transport.get_extra_info("peername"))
        if len(listener.connections) >= listener.max_connections:
            log.warning(
                "%s: refusing %s, %d connections open", listener.source, self.peer, len(listener.connections)
            )
            listener.counters.add_failed(1)
            self.transport.abort()
            return
        listener.connections.add(self)
        listener.counters.connection_opened()

    async def shutdown(self) -> None:
        """Stop reading, finish what is owed to the peer, close. Subclasses extend."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def _forget(self) -> None:
        self.listener.connections.discard(self)
        if not self.closed.done():
            self.closed.set_result(None)


class StreamListener:
    """Owns an asyncio server and its connections; subclasses provide ``make_connection``.

    Subclasses also set ``source`` (the name counted under) and ``counters``.
    """

    source: str
    counters: SourceCounters

    def __init__(
        self, *, host: str, port: int, ssl_context: ssl.SSLContext | None, max_connections: int
    ) -> None:
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.max_connections = max_connections
        self.connections: set[StreamConnection] = set()
        self._server: asyncio.Server | None = None

    def make_connection(self) -> StreamConnection:
        """A new protocol instance for an accepted connection."""
        raise TypeError(f"{type(self).__name__} must define make_connection")

    async def start(self) -> None:
        """Bind and start accepting."""
        loop = asyncio.get_running_loop()
        factory: Callable[[], asyncio.Protocol] = self.make_connection
        try:
            self._server = await loop.create_server(
                factory, self.host, self.port, ssl=self.ssl_context, reuse_address=True, backlog=512
            )
        except OSError as exc:
            raise ConfigurationError(
                f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}",
                hint="choose a free port, or a port >= 1024 when not running as root",
            ) from exc

    @property
    def address(self) -> tuple[str, int]:
        """The bound host and port (useful when port 0 was asked for)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("listener is not started")
        sockname = self._server.sockets[0].getsockname()
        return str(sockname[0]), int(sockname[1])

    async def aclose(self, grace: float = 5.0) -> None:
        """Stop accepting, shut every connection down, and wait (bounded) until they are gone."""
        if self._server is not None:
            self._server.close()
        connections = list(self.connections)
        for connection in connections:
            try:
                await asyncio.wait_for(connection.shutdown(), grace)
            except TimeoutError:
                log.warning("connection did not shut down within %.1fs; aborting it", grace)
                if connection.transport is not None:
                    connection.transport.abort()
        if connections:
            await asyncio.wait([c.closed for c in connections], timeout=grace)
        if self._server is not None:
            await self._server.wait_closed()
