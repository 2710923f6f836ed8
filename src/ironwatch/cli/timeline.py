"""``ironwatch incident timeline`` and ``timeline-add``: an incident's timeline, and steps by hand."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated

import typer

from ironwatch.cli.context import console, handle_errors, table, uow, when
from ironwatch.core.errors import ValidationError
from ironwatch.review import schemas as s
from ironwatch.review import timeline as service


def parse_time(value: str | None, what: str) -> datetime | None:
    """An ISO 8601 time from the command line (``Z`` allowed); a zone is required."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{what} {value!r} is not a time", hint="use ISO 8601, e.g. 2026-03-01T14:30Z"
        ) from None
    return s.aware(parsed, what)


@handle_errors
def show_timeline(
    key: Annotated[str, typer.Argument(help="reference (IR-2026-0001) or id")],
    kind: Annotated[
        list[str] | None, typer.Option(help="only these kinds (alert, event, state, manual...), repeatable")
    ] = None,
    since: Annotated[str | None, typer.Option(help="from this time, ISO 8601 with zone")] = None,
    until: Annotated[str | None, typer.Option(help="before this time, ISO 8601 with zone")] = None,
    csv: Annotated[bool, typer.Option("--csv", help="print CSV")] = False,
    json: Annotated[bool, typer.Option("--json", help="print JSON for scripts")] = False,
) -> None:
    """Show the incident's timeline: alerts, events, state changes, tasks, evidence, manual entries...

    Example: ironwatch incident timeline IR-2026-0001 --kind alert --kind manual --csv > timeline.csv
    """
    with uow() as unit:
        entries = service.incident_timeline(
            unit, key, kinds=kind, since=parse_time(since, "since"), until=parse_time(until, "until")
        )
    if csv:
        sys.stdout.write(service.timeline_csv(entries))
        return
    if json:
        sys.stdout.write(service.timeline_json(entries).decode() + "\n")
        return
    table(
        f"Timeline of {key.upper()} ({len(entries)} steps)",
        ["When", "Kind", "What", "Who / where", "ATT&CK", "Source"],
        [
            [
                when(e.at),
                e.kind if e.confidence == "recorded" else f"{e.kind} ({e.confidence})",
                e.text,
                e.actor,
                " ".join(e.techniques),
                e.source,
            ]
            for e in entries
        ],
    )


@handle_errors
def add_entry(
    key: Annotated[str, typer.Argument(help="reference (IR-2026-0001) or id")],
    text: Annotated[str, typer.Argument(help="what happened")],
    at: Annotated[str, typer.Option(help="when it happened, ISO 8601 with zone")],
    source: Annotated[str, typer.Option(help="where the fact comes from: a log, an interview...")] = "",
    confidence: Annotated[s.Confidence, typer.Option(help="how sure the team is")] = s.Confidence.CONFIRMED,
    technique: Annotated[str | None, typer.Option(help="ATT&CK technique, e.g. T1566.001")] = None,
) -> None:
    """Add a step to the timeline by hand.

    Example: ironwatch incident timeline-add IR-2026-0001 "User opened the attachment"
    --at 2026-03-01T08:12Z --source "interview with the user" --confidence likely --technique T1204.002
    """
    data = s.ManualEntryCreate.model_validate(
        {
            "at": parse_time(at, "at"),
            "text": text,
            "source": source,
            "confidence": confidence,
            "technique": technique,
        }
    )
    with uow(write=True) as unit:
        row = service.add_timeline_entry(unit, key, data)
        unit.commit()
    console.print(f"added to the timeline at {when(row.at)}: {row.text}", highlight=False, markup=False)
