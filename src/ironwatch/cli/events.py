"""``ironwatch ingest``, ``ironwatch follow``, ``ironwatch events ...`` and ``ironwatch status``."""

from __future__ import annotations

import asyncio
import signal
from datetime import datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from ironwatch.cli.context import console, emit_json, handle_errors, state, table, uow, when
from ironwatch.core.errors import NotFoundError
from ironwatch.ingest import search
from ironwatch.ingest.importer import check_format, import_files
from ironwatch.ingest.retention import prune
from ironwatch.ingest.service import STATUS_FILE, IngestService, retention_policy, source_zone

events = typer.Typer(
    help="Search stored events and parse failures; prune by retention.", no_args_is_help=True
)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


@handle_errors
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="log files (syslog, auth.log, EVE JSON, Zeek, CEF, EVTX, ...)")
    ],
    format: Annotated[
        str, typer.Option("--format", "-f", help="auto, or a format such as linux.auth, windows.evtx")
    ] = "auto",
    json: JsonOpt = False,
) -> None:
    """Import log files once, with a progress bar. Re-importing a file adds nothing twice.

    Example: ironwatch ingest /var/log/auth.log Security.evtx --format auto
    """
    check_format(format)
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise NotFoundError(f"no such file: {', '.join(missing)}", hint="give paths of readable log files")
    runtime = state.runtime
    total = sum(p.stat().st_size for p in paths)
    columns = (
        TextColumn("[bold]importing"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=json, disable=json) as progress:
        task = progress.add_task("import", total=total)
        result = import_files(
            runtime.db,
            paths,
            fmt=format,
            tz=source_zone(runtime.settings),
            clock=runtime.clock,
            progress=lambda n: progress.advance(task, n),
        )
        progress.update(task, completed=total)
    if json:
        emit_json(result.__dict__)
        return
    console.print(f"{result.events} events and {result.failures} parse failures from {result.files} file(s)")
    table("By dataset", ["Dataset", "Events"], sorted(result.datasets.items(), key=lambda kv: -kv[1]))
    if result.failure_reasons:
        table(
            "Parse failures (kept; see `ironwatch events failures`)",
            ["Reason", "Count"],
            sorted(result.failure_reasons.items(), key=lambda kv: -kv[1]),
        )


@handle_errors
def follow(
    paths: Annotated[list[Path], typer.Argument(help="files to follow like tail -F")],
    from_end: Annotated[bool, typer.Option("--from-end", help="skip what a new file already holds")] = False,
) -> None:
    """Follow log files through rotation and store their lines until interrupted (Ctrl-C).

    The read offset is saved with every batch, so a restart resumes where it stopped.
    Example: ironwatch follow /var/log/auth.log /var/log/syslog
    """
    runtime = state.runtime
    settings = runtime.settings.model_copy(
        update={
            "follow": list(paths),
            "syslog_udp": None,
            "syslog_tcp": None,
            "syslog_tls": None,
            "relp": None,
        }
    )
    service = IngestService(settings, runtime.db, runtime.clock)
    service.config = service.config.model_copy(update={"follow_start_at_end": from_end})

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await service.start()
        console.print(f"following {', '.join(map(str, paths))}; Ctrl-C to stop")
        await stop.wait()
        await service.stop()
        stats = service.pipeline.stats.snapshot()
        console.print(f"stored {stats['events']} events and {stats['failures']} parse failures")

    asyncio.run(run())


@handle_errors
def status(json: JsonOpt = False) -> None:
    """Log server counters per source, spool depth and lag (from the running server), and stored totals."""
    runtime = state.runtime
    path = runtime.settings.home / STATUS_FILE
    live = orjson.loads(path.read_bytes()) if path.exists() else None
    with uow() as unit:
        stored = search.count_stored(unit)
    if json:
        emit_json({"server": live, "stored": stored})
        return
    if live is None:
        console.print(
            "[yellow]no running server has written a status yet[/] (start one with `ironwatch serve`)"
        )
    else:
        console.print(
            f"status of {live['at']}; listeners: "
            + (", ".join(f"{k} {v}" for k, v in live["listeners"].items()) or "none")
        )
        rows = [
            [
                name,
                c.get("received", 0),
                c.get("parsed", 0),
                c.get("failed", 0),
                c.get("dropped", 0),
                c.get("bytes", 0),
                c.get("connections", 0),
            ]
            for name, c in sorted(live["sources"].items())
        ]
        table("Sources", ["Source", "Received", "Parsed", "Failed", "Dropped", "Bytes", "Connections"], rows)
        console.print(
            f"spool depth {live['spool']['depth']} frames ({live['spool']['bytes']} bytes); "
            f"lag {live['pipeline']['lag_seconds']} s"
        )
        reader = live.get("evtx_reader")
        if isinstance(reader, dict) and reader.get("implementation"):
            console.print(f"EVTX files read by: {reader['implementation']}")
        detection = live.get("detection")
        if isinstance(detection, dict):
            rules = detection.get("rules", {})
            console.print(
                f"detection: {rules.get('enabled', 0)} rules enabled ({rules.get('failed', 0)} failed, "
                f"{rules.get('disabled', 0)} disabled), {detection.get('events_evaluated', 0)} events "
                f"evaluated, {detection.get('alerts_opened', 0)} alerts opened, "
                f"{detection.get('alert_write_failures', 0)} alert write failures"
            )
            if detection.get("engine"):
                console.print(f"detection runs on: {detection['engine']}")
            if detection.get("literal_scanner"):
                console.print(f"literal scan by: {detection['literal_scanner']}")
    console.print(f"stored: {stored['events']} events, {stored['parse_failures']} parse failures")


@events.command("search")
@handle_errors
def search_events(
    since: Annotated[str | None, typer.Option(help="ISO 8601 with zone")] = None,
    until: Annotated[str | None, typer.Option(help="ISO 8601 with zone")] = None,
    host: Annotated[str | None, typer.Option()] = None,
    user: Annotated[str | None, typer.Option()] = None,
    address: Annotated[str | None, typer.Option(help="source or destination IP")] = None,
    dataset: Annotated[str | None, typer.Option(help="e.g. linux.auth, or a prefix such as zeek")] = None,
    text: Annotated[str | None, typer.Option(help="substring of the original message")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    json: JsonOpt = False,
) -> None:
    """Search stored events, newest first.

    Example: ironwatch events search --dataset linux.auth --address 203.0.113.7 --since 2026-03-01T00:00Z
    """
    query = search.EventQuery(
        since=_ts(since),
        until=_ts(until),
        host=host,
        user=user,
        address=address,
        dataset=dataset,
        text=text,
        limit=limit,
    )
    with uow() as unit:
        total, rows = search.search_events(unit, query)
        items = [search.EventOut.model_validate(r) for r in rows]
    if json:
        emit_json(search.EventPage(total=total, limit=limit, offset=0, items=items))
        return
    table(
        f"Events ({len(items)} of {total})",
        ["Time", "Dataset", "Host", "User", "Source IP", "Action", "Message"],
        [
            [when(e.event_time), e.dataset, e.host, e.user_name, e.source_ip, e.action, e.message[:120]]
            for e in items
        ],
    )


@events.command("failures")
@handle_errors
def failures(
    source: Annotated[str | None, typer.Option()] = None, limit: int = 50, json: JsonOpt = False
) -> None:
    """Input that could not be parsed, kept with its reason and raw bytes."""
    with uow() as unit:
        rows = search.list_failures(unit, source=source, limit=limit)
    if json:
        emit_json(rows)
        return
    table(
        "Parse failures",
        ["When", "Source", "Reason", "Bytes", "Preview"],
        [[when(r.received_at), r.source, r.reason, r.size, r.preview[:60]] for r in rows],
    )


@events.command("prune")
@handle_errors
def prune_events() -> None:
    """Apply the retention policy now (IRONWATCH_EVENT_RETENTION_DAYS, IRONWATCH_EVENT_MAX_ROWS)."""
    runtime = state.runtime
    result = prune(runtime.db, retention_policy(runtime.settings), now=runtime.clock.now())
    console.print(f"pruned {result.events} events and {result.failures} parse failures")
