"""``ironwatch metrics``: response times, SLA compliance, volumes, false positives, training."""

from __future__ import annotations

from typing import Annotated

import typer

from ironwatch.cli.context import console, emit_json, handle_errors, table
from ironwatch.cli.context import uow as open_uow
from ironwatch.cli.timeline import parse_time
from ironwatch.review.metrics import compute_metrics
from ironwatch.review.report_render import format_hours as hours
from ironwatch.review.report_render import format_percent as percent


@handle_errors
def metrics(
    since: Annotated[
        str | None, typer.Option(help="incidents created from, ISO 8601 (default: 90 days ago)")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="incidents created before, ISO 8601 (default: now)")
    ] = None,
    by: Annotated[
        str, typer.Option(help="volume by category, severity, priority, source or month")
    ] = "category",
    json: Annotated[bool, typer.Option("--json", help="print JSON for scripts")] = False,
) -> None:
    """Show the incident response metrics for a period.

    Example: ironwatch metrics --since 2026-01-01T00:00Z --until 2026-04-01T00:00Z --by month
    """
    with open_uow() as unit:
        mt = compute_metrics(unit, since=parse_time(since, "since"), until=parse_time(until, "until"), by=by)
    if json:
        emit_json(mt)
        return
    console.print(
        f"[bold]{mt.incidents}[/] incidents created "
        f"{mt.since:%Y-%m-%d %H:%M} to {mt.until:%Y-%m-%d %H:%M} UTC, "
        f"{mt.open_incidents} still open (age: median {hours(mt.open_age.p50_hours)}, "
        f"oldest {hours(mt.open_age.max_hours)})"
    )
    table(
        "Response times",
        ["Figure", "From -> to", "Count", "Open", "Mean", "p50", "p90", "p95"],
        [
            [
                d.name.upper(),
                d.label,
                d.count,
                d.open,
                *(hours(v) for v in (d.mean_hours, d.p50_hours, d.p90_hours, d.p95_hours)),
            ]
            for d in mt.durations
        ],
    )
    table(
        "SLA compliance",
        ["Priority", "Target", "Within", "Met", "Missed", "Pending", "Compliance"],
        [
            [c.priority, c.target, hours(c.target_hours), c.met, c.missed, c.pending, percent(c.compliance)]
            for c in mt.sla
        ],
    )
    table(f"Incidents by {mt.by}", [mt.by.capitalize(), "Incidents"], [[c.key, c.count] for c in mt.volume])
    if mt.false_positive_rates:
        table(
            "False positives per rule",
            ["Rule", "False positives", "Decided", "Rate"],
            [[r.rule_id, r.false_positive, r.decided, percent(r.rate)] for r in mt.false_positive_rates],
        )
    if mt.root_causes:
        table("Top root causes", ["Root cause", "Incidents"], [[c.key, c.count] for c in mt.root_causes])
    items = mt.action_items
    console.print(f"action items: {items.open} open ({items.overdue} overdue), {items.closed} closed")
    table(
        f"Training completion ({percent(mt.training_rate)} current)",
        ["Course", "Required", "Current", "Rate"],
        [[c.title, c.required, c.current, percent(c.rate)] for c in mt.training],
    )
