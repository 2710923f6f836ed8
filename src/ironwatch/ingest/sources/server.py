"""Start and stop every configured listener and file follower as one group.

``ironwatch serve --syslog-udp HOST:PORT --syslog-tcp ... --relp ...`` maps its options onto
``ListenerConfig`` and calls ``start_listeners``:

>>> group = await start_listeners(ListenerConfig(syslog_udp="0.0.0.0:514"), writer)  # doctest: +SKIP
>>> group.addresses["syslog-udp"]  # doctest: +SKIP
('0.0.0.0', 514)
>>> await group.aclose()  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ironwatch.core.clock import Clock
from ironwatch.core.errors import ValidationError
from ironwatch.ingest.counters import IngestCounters
from ironwatch.ingest.sources.addresses import parse_host_port
from ironwatch.ingest.sources.follow import FileFollower
from ironwatch.ingest.sources.relp import RelpListener
from ironwatch.ingest.sources.stream_server import StreamListener
from ironwatch.ingest.sources.syslog_tcp import SyslogTcpListener
from ironwatch.ingest.sources.syslog_udp import SyslogUdpListener
from ironwatch.ingest.sources.tls import server_tls_context
from ironwatch.ingest.spool_writer import SpoolWriter

log = logging.getLogger(__name__)


class ListenerConfig(BaseModel):
    """Which sources to run and their limits. Addresses are ``host:port`` (``[v6]:port``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    syslog_udp: str | None = Field(default=None, description="UDP syslog, e.g. 0.0.0.0:514")
    syslog_tcp: str | None = Field(default=None, description="TCP syslog (RFC 6587), e.g. 0.0.0.0:514")
    syslog_tls: str | None = Field(default=None, description="syslog over TLS (RFC 5425), e.g. 0.0.0.0:6514")
    relp: str | None = Field(default=None, description="RELP, e.g. 0.0.0.0:2514")
    relp_tls: str | None = Field(default=None, description="RELP over TLS, e.g. 0.0.0.0:2515")
    tls_cert: Path | None = Field(default=None, description="PEM certificate (chain) for the TLS listeners")
    tls_key: Path | None = Field(default=None, description="PEM private key for tls_cert")
    tls_ca: Path | None = Field(default=None, description="PEM CA file to verify client certificates")
    tls_require_client_cert: bool = Field(
        default=False, description="refuse TLS clients without a valid cert"
    )
    max_frame: int = Field(default=1 << 20, ge=256, le=64 << 20, description="largest message in bytes")
    failure_capture: int = Field(default=4096, ge=0, le=1 << 20, description="bytes kept of a bad frame")
    max_connections: int = Field(default=1000, ge=1, description="open connections per stream listener")
    udp_rcvbuf: int = Field(default=4 << 20, ge=65536, description="UDP socket receive buffer")
    follow: tuple[Path, ...] = Field(default=(), description="files to follow like tail -F")
    follow_poll_interval: float = Field(default=0.25, gt=0, le=60)
    follow_start_at_end: bool = Field(default=False, description="new files: skip existing content")

    @field_validator("syslog_udp", "syslog_tcp", "syslog_tls", "relp", "relp_tls")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_host_port(value)
            except ValidationError as exc:
                raise ValueError(str(exc)) from exc
        return value

    @model_validator(mode="after")
    def _tls_material(self) -> ListenerConfig:
        if (self.syslog_tls or self.relp_tls) and (self.tls_cert is None or self.tls_key is None):
            raise ValueError("a TLS listener needs tls_cert and tls_key (PEM files)")
        if self.tls_require_client_cert and self.tls_ca is None:
            raise ValueError("tls_require_client_cert needs tls_ca, the CA that signs client certificates")
        return self


#: name, address, TLS context, listener class, extra options
_Stream = tuple[str, str | None, ssl.SSLContext | None, Callable[..., StreamListener], dict[str, int]]


class _Listener(Protocol):
    async def aclose(self) -> None: ...


@dataclass
class ListenerGroup:
    """The running sources; ``addresses`` maps source name to the bound (host, port)."""

    counters: IngestCounters
    addresses: dict[str, tuple[str, int]] = field(default_factory=dict)
    _listeners: list[_Listener] = field(default_factory=list)

    async def aclose(self) -> None:
        """Stop every source: stream sessions get their outstanding acks (RELP: then serverclose).

        Close the spool writer afterwards, so frames still in its queue are written.
        """
        for listener in reversed(self._listeners):
            try:
                await listener.aclose()
            except Exception:
                log.exception("error while stopping %r", listener)
        self._listeners.clear()


async def start_listeners(
    config: ListenerConfig,
    spool_writer: SpoolWriter,
    *,
    counters: IngestCounters | None = None,
    clock: Clock | None = None,
) -> ListenerGroup:
    """Start every source ``config`` names; on any failure, stop those already started and raise."""
    group = ListenerGroup(counters=counters or IngestCounters())
    await spool_writer.start()
    tls = None
    if config.tls_cert is not None and config.tls_key is not None and (config.syslog_tls or config.relp_tls):
        tls = server_tls_context(
            cert_file=config.tls_cert,
            key_file=config.tls_key,
            ca_file=config.tls_ca,
            require_client_cert=config.tls_require_client_cert,
        )
    try:
        if config.syslog_udp:
            host, port = parse_host_port(config.syslog_udp)
            udp = SyslogUdpListener(
                host=host,
                port=port,
                writer=spool_writer,
                counters=group.counters.source("syslog-udp"),
                clock=clock,
                max_frame=min(config.max_frame, 65536),
                failure_capture=config.failure_capture,
                rcvbuf=config.udp_rcvbuf,
            )
            await udp.start()
            group._listeners.append(udp)
            group.addresses["syslog-udp"] = udp.address
        streams: list[
            tuple[str, str | None, ssl.SSLContext | None, Callable[..., StreamListener], dict[str, int]]
        ] = [
            (
                "syslog-tcp",
                config.syslog_tcp,
                None,
                SyslogTcpListener,
                {"failure_capture": config.failure_capture},
            ),
            (
                "syslog-tls",
                config.syslog_tls,
                tls,
                SyslogTcpListener,
                {"failure_capture": config.failure_capture},
            ),
            ("relp", config.relp, None, RelpListener, {}),
            ("relp-tls", config.relp_tls, tls, RelpListener, {}),
        ]
        for name, address, context, kind, extra in streams:
            if address:
                host, port = parse_host_port(address)
                stream = kind(
                    host=host,
                    port=port,
                    writer=spool_writer,
                    counters=group.counters.source(name),
                    source=name,
                    ssl_context=context,
                    clock=clock,
                    max_frame=config.max_frame,
                    max_connections=config.max_connections,
                    **extra,
                )
                await stream.start()
                group._listeners.append(stream)
                group.addresses[name] = stream.address
        for path in config.follow:
            follower = FileFollower(
                path,
                writer=spool_writer,
                counters=group.counters.source(f"file:{path}"),
                clock=clock,
                poll_interval=config.follow_poll_interval,
                max_frame=config.max_frame,
                failure_capture=config.failure_capture,
                start_at_end=config.follow_start_at_end,
            )
            follower.start()
            group._listeners.append(follower)
    except BaseException:
        await group.aclose()
        raise
    return group
