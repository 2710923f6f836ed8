"""``ironwatch triage ...``: assessment and reasons, overrides, acknowledgement, assignment, SLA."""

from __future__ import annotations

from typing import Annotated

import typer

from ironwatch.cli.context import console, emit_json, handle_errors, state, table, uow, when
from ironwatch.triage import schemas as s
from ironwatch.triage import service
from ironwatch.triage.jobs import sla_tick

app = typer.Typer(
    help="Assessment, assignment, SLA clocks and escalation of incidents.", no_args_is_help=True
)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
Key = Annotated[str, typer.Argument(help="reference (IR-2026-0001) or id")]


def _print(out: s.AssessmentOut) -> None:
    console.print(
        f"[bold]{out.ref}[/]  category {out.category or '-'}  severity {out.severity or '-'}  "
        f"impact {out.impact or '-'}  "
        f"urgency {out.urgency or '-'}  priority {out.priority or '-'}",
        highlight=False,
    )
    console.print(
        f"assignee {out.assignee or '-'}  playbook {out.playbook or '-'}  "
        f"escalation level {out.escalation_level}"
        + (f"  special handling: {', '.join(out.special_handling)}" if out.special_handling else ""),
        highlight=False,
    )
    for field, why in out.reasons.items():
        mark = " (overridden)" if field in out.overridden else ""
        console.print(f"  {field}{mark}: {why}", markup=False)
    if out.sla:
        table(
            "SLA",
            ["Target", "Prio", "Due", "Met", "Breached"],
            [
                [
                    c.target,
                    c.priority,
                    when(c.due_at),
                    when(c.met_at) or ("cancelled" if c.cancelled_at else ""),
                    when(c.breached_at),
                ]
                for c in out.sla
            ],
        )
    if out.escalations:
        table(
            "Escalations",
            ["Level", "Roles", "People", "Reason", "At"],
            [
                [e.level, ", ".join(e.roles), ", ".join(e.people), e.reason, when(e.at)]
                for e in out.escalations
            ],
        )
    if out.alerts:
        table(
            "Alerts",
            ["Id", "Rule", "Level", "Count", "Decision"],
            [[a.id, a.rule_id, a.level, a.count, a.decision] for a in out.alerts],
        )


@app.command("show")
@handle_errors
def show(key: Key, json: JsonOpt = False) -> None:
    """The assessment with the reason for each value, SLA clocks, escalations and alerts."""
    with uow() as unit:
        out = service.incident_assessment(unit, key)
    emit_json(out) if json else _print(out)


@app.command("override")
@handle_errors
def override(
    key: Key,
    reason: Annotated[str, typer.Option(help="why (kept with the value)")],
    category: Annotated[str | None, typer.Option()] = None,
    severity: Annotated[str | None, typer.Option()] = None,
    impact: Annotated[str | None, typer.Option(help="impact level id of the plan")] = None,
    urgency: Annotated[str | None, typer.Option(help="urgency level id of the plan")] = None,
    priority: Annotated[str | None, typer.Option()] = None,
    playbook: Annotated[str | None, typer.Option()] = None,
    json: JsonOpt = False,
) -> None:
    """Override assessment values (kept from then on).

    Example: ironwatch triage override IR-2026-0001 --impact low --reason "test host"
    """
    given = {
        "category": category,
        "severity": severity,
        "impact": impact,
        "urgency": urgency,
        "priority": priority,
        "playbook": playbook,
    }
    data = s.AssessmentOverride(reason=reason, **{k: v for k, v in given.items() if v is not None})
    with uow(write=True) as unit:
        out = service.override_assessment(unit, key, data)
        unit.commit()
    emit_json(out) if json else _print(out)


@app.command("ack")
@handle_errors
def ack(key: Key) -> None:
    """Acknowledge an incident: you have it in hand (stops the acknowledge clock)."""
    with uow(write=True) as unit:
        out = service.acknowledge(unit, key)
        unit.commit()
    console.print(f"{out.ref} acknowledged", highlight=False)


@app.command("assign")
@handle_errors
def assign(
    key: Key,
    person: Annotated[
        str | None, typer.Argument(help="assignee; leave out to assign by the plan's rules")
    ] = None,
    reason: Annotated[str, typer.Option()] = "",
) -> None:
    """Reassign an incident.

    Example: ironwatch triage assign IR-2026-0001 jordan --reason "sam is off sick"
    """
    with uow(write=True) as unit:
        out = service.assign(unit, key, s.AssignRequest(assignee=person, reason=reason))
        unit.commit()
    console.print(
        f"{out.ref} assigned to {out.assignee} ({out.reasons.get('assignee', '')})", highlight=False
    )


@app.command("sla-check")
@handle_errors
def sla_check() -> None:
    """Look for missed SLA targets now, as `serve` does every 30 seconds (record, publish, escalate)."""
    breaches = sla_tick(state.runtime)
    for b in breaches:
        console.print(f"{b.ref} missed {b.target} ({b.priority}, due {when(b.due)})", highlight=False)
    if not breaches:
        console.print("no new breaches")
