"""Shared pieces of the listener integration tests: a running server, waiting, a RELP client, certificates."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ironwatch.ingest.counters import IngestCounters
from ironwatch.ingest.frames import SpooledFrame
from ironwatch.ingest.sources.relp_protocol import RelpFrame, RelpParser, encode_frame
from ironwatch.ingest.sources.server import ListenerConfig, ListenerGroup, start_listeners
from ironwatch.ingest.spool import Spool
from ironwatch.ingest.spool_writer import SpoolWriter

OPEN_OFFERS = b"relp_version=0\nrelp_software=ironwatch-test\ncommands=syslog"


@dataclass
class Running:
    group: ListenerGroup
    spool: Spool
    writer: SpoolWriter

    def address(self, name: str) -> tuple[str, int]:
        return self.group.addresses[name]

    def frames(self) -> list[SpooledFrame]:
        self.spool.release_claims()
        return self.spool.claim(1_000_000)

    def payloads(self, source: str | None = None) -> list[bytes]:
        return [f.frame.payload for f in self.frames() if source is None or f.frame.source == source]


@contextlib.asynccontextmanager
async def running(
    tmp_path: Path,
    *,
    spool: Spool | None = None,
    writer_options: dict[str, Any] | None = None,
    **config: Any,
) -> AsyncIterator[Running]:
    spool = spool or Spool(tmp_path / "spool.db")
    writer = SpoolWriter(spool, **(writer_options or {"max_delay": 0.005}))
    group = await start_listeners(ListenerConfig(**config), writer, counters=IngestCounters())
    try:
        yield Running(group, spool, writer)
    finally:
        await group.aclose()
        await writer.aclose()


async def eventually(check: Callable[[], bool], *, within: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.02)


class RelpClient:
    """A minimal RELP client, speaking the protocol as librelp does."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.parser = RelpParser()
        self.received: list[RelpFrame] = []
        self.txnr = 0

    @classmethod
    async def connect(cls, host: str, port: int) -> RelpClient:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    def send(self, command: str, data: bytes = b"", *, txnr: int | None = None) -> int:
        self.txnr = self.txnr + 1 if txnr is None else txnr
        self.writer.write(encode_frame(self.txnr, command, data))
        return self.txnr

    async def response(self, within: float = 5.0) -> RelpFrame:
        async with asyncio.timeout(within):
            while not self.received:
                chunk = await self.reader.read(65536)
                if not chunk:
                    raise ConnectionError("server closed the session")
                self.received += self.parser.feed(chunk)
        return self.received.pop(0)

    async def open(self) -> RelpFrame:
        self.send("open", OPEN_OFFERS)
        return await self.response()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


@dataclass(frozen=True)
class Certificates:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    rogue_cert: Path
    rogue_key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certificates(directory: Path) -> Certificates:
    """A CA, a server certificate for 127.0.0.1 and two client certificates (one from another CA)."""
    d = directory
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=test ca",
        cwd=d,
    )
    _openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "rogue-ca.key",
        "-out",
        "rogue-ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=rogue ca",
        cwd=d,
    )
    (d / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for name, ca, ext in (
        ("server", "ca", "server.ext"),
        ("client", "ca", "client.ext"),
        ("rogue", "rogue-ca", "client.ext"),
    ):
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
        _openssl(
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            f"{ca}.pem",
            "-CAkey",
            f"{ca}.key",
            "-CAcreateserial",
            "-out",
            f"{name}.pem",
            "-days",
            "2",
            "-extfile",
            ext,
            cwd=d,
        )
    return Certificates(
        d / "ca.pem",
        d / "server.pem",
        d / "server.key",
        d / "client.pem",
        d / "client.key",
        d / "rogue.pem",
        d / "rogue.key",
    )
