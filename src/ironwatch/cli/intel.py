"""``ironwatch intel ...``: import, list, look up and expire threat-intelligence indicators."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import typer

from ironwatch.access.service import parse_expiry
from ironwatch.cli.context import console, emit_json, handle_errors, table, uow, when
from ironwatch.core.errors import ValidationError
from ironwatch.detect.intel import schemas as s
from ironwatch.detect.intel import service
from ironwatch.detect.intel.importers import parse_feed_file
from ironwatch.detect.intel.lookup import lookup_value

app = typer.Typer(
    help="Threat intelligence: import feeds, list, look up and expire indicators.", no_args_is_help=True
)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
Format = Literal["auto", "stix", "misp", "csv", "list"]


def _time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{value!r} is not a date", hint="use ISO 8601, e.g. 2026-03-01 or 2026-03-01T12:00Z"
        ) from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command("import")
@handle_errors
def import_(
    path: Annotated[Path, typer.Argument(help="a feed file, or a MISP feed directory")],
    source: Annotated[str, typer.Option(help="the feed's name; re-importing under it updates it")],
    format: Annotated[Format, typer.Option(help="the feed's format; auto recognises it")] = "auto",
    confidence: Annotated[
        int | None, typer.Option(min=0, max=100, help="for indicators without one (default 50)")
    ] = None,
    tlp: Annotated[
        str | None, typer.Option(help="for indicators without one: clear, green, amber, amber+strict, red")
    ] = None,
    expires: Annotated[
        str | None, typer.Option(help="valid for this long where the feed gives no end: 12h, 30d, 2w")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Import a STIX 2.1 bundle, a MISP event or feed directory, a CSV file or a plain list.

    Example: ironwatch intel import feodo.txt --source abuse-ch-feodo --confidence 80 --expires 30d
    """
    options = s.ImportOptions.model_validate(
        {"source": source, "format": format, "confidence": confidence, "tlp": tlp, "expires": expires}
    )
    duration = parse_expiry(expires) if expires else None
    feed, data = parse_feed_file(path, format)
    with uow(write=True) as unit:
        summary = service.import_feed(unit, feed, options=options, expires=duration, content=data)
        unit.commit()
    if json:
        emit_json(summary)
        return
    console.print(
        f"{summary.source}: {summary.read} indicators read ({summary.format}): {summary.added} added, "
        f"{summary.updated} updated ({summary.revived} revived), {summary.duplicates} duplicates, "
        f"{summary.skipped} skipped",
        highlight=False,
    )
    for reason, number in summary.reasons.items():
        console.print(f"  skipped {number}: {reason}", highlight=False, markup=False)
    for example in summary.examples[:5]:
        console.print(f"    e.g. {example}", highlight=False, markup=False)


@app.command("list")
@handle_errors
def list_(
    type: Annotated[
        str | None, typer.Option(help="ipv4, ipv6, cidr, domain, url, sha256, sha1, md5, email")
    ] = None,
    source: Annotated[str | None, typer.Option(help="only this feed")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="only active or only inactive")
    ] = None,
    search: Annotated[str | None, typer.Option(help="part of the value")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 100,
    json: JsonOpt = False,
) -> None:
    """List indicators, newest import first. Example: ironwatch intel list --type domain --active"""
    with uow() as unit:
        rows = service.list_indicators(
            unit, type=type, source=source, active=active, search=search, limit=limit
        )
    if json:
        emit_json(rows)
        return
    table(
        f"{len(rows)} indicators",
        ["value", "type", "source", "confidence", "tlp", "valid until", "active"],
        [
            (r.value, r.type, r.source, r.confidence, r.tlp, when(r.valid_until), "yes" if r.active else "no")
            for r in rows
        ],
    )


@app.command("sources")
@handle_errors
def sources(json: JsonOpt = False) -> None:
    """The feeds imported, with active and total indicators. Example: ironwatch intel sources"""
    with uow() as unit:
        rows = service.list_sources(unit)
    if json:
        emit_json(rows)
        return
    table(
        "feeds",
        ["source", "active", "total", "last import", "format", "revision"],
        [(r.name, r.active, r.total, when(r.last_import_at), r.last_format or "", r.revision) for r in rows],
    )


@app.command("expire")
@handle_errors
def expire(
    source: Annotated[str | None, typer.Option(help="every active indicator of this feed")] = None,
    before: Annotated[str | None, typer.Option(help="indicators not (re)imported since this date")] = None,
    all_past: Annotated[bool, typer.Option("--all-past", help="indicators whose validity has ended")] = False,
    json: JsonOpt = False,
) -> None:
    """Mark indicators expired so they no longer match (a later import that carries them revives them).

    Example: ironwatch intel expire --source old-feed; ironwatch intel expire --before 2026-01-01
    """
    with uow(write=True) as unit:
        summary = service.expire_indicators(
            unit, source=source, before=_time(before) if before else None, all_past=all_past
        )
        unit.commit()
    if json:
        emit_json(summary)
        return
    console.print(
        f"{summary.expired} indicators expired ({', '.join(summary.sources) or 'none'})", highlight=False
    )


@app.command("match")
@handle_errors
def match(
    value: Annotated[str, typer.Argument(help="an address, domain, URL, hash or e-mail address")],
    type: Annotated[str | None, typer.Option(help="the value's type, if it cannot be inferred")] = None,
    json: JsonOpt = False,
) -> None:
    """Look one value up: the indicators it would match in an event (active or not).

    Example: ironwatch intel match sub.evil.example; exit code 1 when nothing matches.
    """
    with uow() as unit:
        result = lookup_value(unit, value, type=type)
    if json:
        emit_json(result)
    elif not result.matches:
        console.print(f"{result.normalised} ({result.type}): no indicator matches", highlight=False)
    else:
        table(
            f"{result.normalised} ({result.type})",
            ["indicator", "type", "source", "confidence", "tlp", "active", "description"],
            [
                (m.value, m.type, m.source, m.confidence, m.tlp, "yes" if m.active else "no", m.description)
                for m in result.matches
            ],
        )
    if not any(m.active for m in result.matches):
        raise typer.Exit(1)
