"""The running log server: listeners -> spool -> pipeline -> event store, with status for people.

Started and stopped by the API's lifespan (so ``ironwatch serve`` runs it all in one process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from ironwatch.core.clock import Clock
from ironwatch.core.errors import ConfigurationError
from ironwatch.ingest.counters import IngestCounters
from ironwatch.ingest.frames import RawFrame
from ironwatch.ingest.parsers import evtx_records
from ironwatch.ingest.parsers.base import ParseLimits
from ironwatch.ingest.pipeline import EventPipeline, EventSink
from ironwatch.ingest.retention import RetentionPolicy, prune
from ironwatch.ingest.sources.server import ListenerConfig, ListenerGroup, start_listeners
from ironwatch.ingest.spool import Spool, SpoolFull
from ironwatch.ingest.spool_writer import SpoolWriter
from ironwatch.settings import Settings
from ironwatch.store.db import Database

log = logging.getLogger("ironwatch.ingest")
STATUS_FILE = "status.json"


def listener_config(settings: Settings) -> ListenerConfig:
    try:
        return ListenerConfig(
            syslog_udp=settings.syslog_udp,
            syslog_tcp=settings.syslog_tcp,
            syslog_tls=settings.syslog_tls,
            relp=settings.relp,
            tls_cert=settings.tls_cert,
            tls_key=settings.tls_key,
            tls_ca=settings.tls_ca,
            tls_require_client_cert=settings.tls_require_client_cert,
            max_frame=settings.max_frame_bytes,
            follow=tuple(settings.follow),
        )
    except ValueError as exc:
        raise ConfigurationError(
            f"the log server settings are not usable: {exc}", hint="check the IRONWATCH_* listener settings"
        ) from exc


def source_zone(settings: Settings) -> ZoneInfo:
    try:
        return ZoneInfo(settings.source_timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(
            f"unknown time zone {settings.source_timezone!r}",
            hint="use an IANA name such as Europe/Berlin or UTC",
        ) from exc


def retention_policy(settings: Settings) -> RetentionPolicy:
    return RetentionPolicy(
        max_age=timedelta(days=settings.event_retention_days), max_events=settings.event_max_rows
    )


class IngestService:
    """Owns the spool, its writer, the listeners and the consumer for one server process."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        clock: Clock,
        *,
        sinks: Sequence[EventSink] = (),
        status_sections: Mapping[str, Callable[[], dict[str, Any]]] | None = None,
    ) -> None:
        """``status_sections``: more sections for the status (e.g. ``detection``: its counters)."""
        self.settings = settings
        self.status_sections = dict(status_sections or {})
        self.clock = clock
        self.config = listener_config(settings)
        self.counters = IngestCounters()
        self.spool = Spool(settings.home / "spool.db", max_bytes=settings.spool_max_bytes)
        self.writer = SpoolWriter(self.spool)
        limits = ParseLimits(max_line_bytes=settings.max_frame_bytes)
        self.pipeline = EventPipeline(
            spool=self.spool, db=db, tz=source_zone(settings), clock=clock, limits=limits, sinks=sinks
        )
        self.retention = retention_policy(settings)
        self.db = db
        self.group: ListenerGroup | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []

    @property
    def addresses(self) -> dict[str, tuple[str, int]]:
        return dict(self.group.addresses) if self.group else {}

    async def start(self) -> None:
        self.group = await start_listeners(self.config, self.writer, counters=self.counters, clock=self.clock)
        self._tasks = [
            asyncio.create_task(self.pipeline.run(self._stop), name="ingest-pipeline"),
            asyncio.create_task(self._housekeeping(), name="ingest-housekeeping"),
        ]
        for name, (host, port) in self.addresses.items():
            log.info("listening for %s on %s:%d", name, host, port)

    async def submit(self, frames: Sequence[RawFrame]) -> list[int]:
        """Durably accept frames from the HTTP intake, or raise SpoolFull at once when there is no room.

        An HTTP client can retry later, so it is told to (429) instead of being held open.
        """
        size = sum(len(f.payload) for f in frames)
        counters = self.counters.source("http")
        if not self.writer.has_room or not self.spool.has_room(len(frames), size):
            counters.add_dropped(len(frames))
            raise SpoolFull("the spool has no room for this batch", hint="retry later")
        counters.add_received(len(frames), size)
        return await self.writer.submit_many(frames, wait=False)

    async def stop(self) -> None:
        if self.group is not None:
            await self.group.aclose()
        await self.writer.aclose()
        self._stop.set()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await asyncio.to_thread(self.pipeline.drain)
        self.write_status()
        self.spool.close()

    async def _housekeeping(self, interval: float = 5.0) -> None:
        ticks = 0
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), interval)
            ticks += 1
            try:
                await asyncio.to_thread(self.write_status)
                if ticks % 720 == 1:  # hourly (and once soon after start)
                    result = await asyncio.to_thread(prune, self.db, self.retention, now=self.clock.now())
                    if result.events or result.failures:
                        log.info(
                            "retention pruned %d events and %d parse failures", result.events, result.failures
                        )
            except Exception:
                log.exception("ingest housekeeping failed")

    def status(self) -> dict[str, Any]:
        """Per-source counters, spool depth and end-to-end lag: what `ironwatch status` prints."""
        spool = self.spool.stats()
        pipeline = self.pipeline.stats.snapshot()
        parsed: dict[str, Any] = pipeline.pop("per_source")  # type: ignore[assignment]
        sources: dict[str, dict[str, int]] = {}
        for name, counts in self.counters.snapshot().items():
            sources[name] = {
                "received": counts.received,
                "bytes": counts.bytes,
                "failed": counts.failed,
                "oversized": counts.oversized,
                "dropped": counts.dropped,
                "connections": counts.open_connections,
            }
        for name, counts in parsed.items():
            sources.setdefault(name, {}).update(counts)
        status: dict[str, Any] = {
            "at": self.clock.now().isoformat(),
            "listeners": {name: f"{host}:{port}" for name, (host, port) in self.addresses.items()},
            "sources": sources,
            "spool": {"depth": spool.rows, "bytes": spool.bytes, "max_bytes": spool.max_bytes},
            "pipeline": pipeline,
            # EVTX files: ironwatch's C reader or the evtx package, and why
            "evtx_reader": {
                "implementation": evtx_records.implementation,
                "native": evtx_records.native is not None,
            },
        }
        for name, section in self.status_sections.items():
            status[name] = section()
        return status

    def write_status(self) -> None:
        """Leave the status where `ironwatch status` finds it without credentials (owner-only file)."""
        path: Path = self.settings.home / STATUS_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps(self.status(), option=orjson.OPT_INDENT_2))
        tmp.chmod(0o600)
        tmp.replace(path)
