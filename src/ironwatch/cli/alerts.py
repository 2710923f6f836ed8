"""``ironwatch alerts ...``: the alert queue, triage decisions (one or by filter) and suppressions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from ironwatch.cli.context import console, emit_json, handle_errors, table, uow, when
from ironwatch.plan.fieldtypes import parse_duration
from ironwatch.triage import decisions, queue, suppression
from ironwatch.triage import schemas as s

app = typer.Typer(help="The alert queue, triage decisions and suppressions.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
Status = Annotated[
    list[str] | None, typer.Option(help="new (default), incident, false_positive, suppressed, any")
]
Level = Annotated[list[str] | None, typer.Option(help="rule level, repeatable")]
Rule = Annotated[str | None, typer.Option(help="rule id")]
Entity = Annotated[
    str | None, typer.Option(help="an entity value, or name=value (host, user, source_address...)")
]
Since = Annotated[str | None, typer.Option(help="last seen at or after, ISO 8601")]
Reason = Annotated[str, typer.Option(help="why; required to dismiss")]
Suppress = Annotated[
    str | None, typer.Option(help="dismiss: also suppress for this long (e.g. 30d) on --scope entities")
]
Scope = Annotated[
    list[str] | None, typer.Option(help="entities the suppression keeps (default host, source_address)")
]


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _request(
    decision: s.Decision, reason: str, incident: str | None, suppress: str | None, scope: list[str] | None
) -> s.DecisionRequest:
    spec = None
    if suppress:
        spec = s.SuppressSpec(expires_in=suppress, **({"scope": scope} if scope else {}))
    return s.DecisionRequest(decision=decision, reason=reason, incident=incident, suppress=spec)


@app.command("list")
@handle_errors
def list_(
    status: Status = None,
    level: Level = None,
    rule: Rule = None,
    entity: Entity = None,
    since: Since = None,
    incident: Annotated[str | None, typer.Option(help="alerts of this incident")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    json: JsonOpt = False,
) -> None:
    """The queue, highest priority and longest waiting first. Example: ironwatch alerts list --level high"""
    flt = s.AlertFilter(
        status=status,
        level=level,
        rule=rule,
        entity=entity,
        since=_ts(since),
        incident=incident,
        limit=limit,
        offset=offset,
    )
    with uow() as unit:
        total, rows = queue.list_alerts(unit, flt)
        items = [s.AlertOut.model_validate(r) for r in rows]
    if json:
        emit_json(s.AlertPage(total=total, limit=limit, offset=offset, items=items))
        return
    table(
        f"Alerts ({len(items)} of {total})",
        ["Id", "Prio", "Level", "Status", "Rule", "Entities", "Count", "First seen"],
        [
            [
                a.id,
                a.priority,
                a.level,
                a.status,
                a.rule_id,
                ", ".join(f"{k}={v}" for k, v in a.entities.items()),
                a.count,
                when(a.first_seen),
            ]
            for a in items
        ],
    )


@app.command("show")
@handle_errors
def show(alert_id: Annotated[str, typer.Argument(help="alert id")], json: JsonOpt = False) -> None:
    """One alert with its assessment and matched events."""
    with uow() as unit:
        detail = queue.alert_detail(unit, alert_id)
    if json:
        emit_json(detail)
        return
    console.print(f"[bold]{detail.title}[/] ({detail.rule_id}, {detail.kind})", highlight=False)
    console.print(
        f"level {detail.level}  priority {detail.priority or '-'}  status {detail.status}  "
        f"count {detail.count}  "
        f"incident {detail.incident_ref or '-'}",
        highlight=False,
    )
    console.print("entities: " + ", ".join(f"{k}={v}" for k, v in detail.entities.items()), markup=False)
    for field, why in detail.assessment.get("reasons", {}).items():
        console.print(f"  {field}: {why}", markup=False)
    if detail.events:
        table(
            "Matched events",
            ["Time", "Source", "Dataset", "Message"],
            [[when(e.event_time), e.source, e.dataset, e.message[:200]] for e in detail.events],
        )


def _done(result: s.DecisionResult, json: bool) -> None:
    if json:
        emit_json(result)
        return
    verb = "would apply" if result.dry_run else "applied"
    console.print(f"{verb} {result.decision} to {len(result.alerts)} alert(s)", highlight=False)
    for ref in result.incidents:
        console.print(f"  incident {ref}", highlight=False)
    for sid in result.suppressions:
        console.print(f"  suppression {sid}", highlight=False)


@app.command("decide")
@handle_errors
def decide(
    alert_ids: Annotated[list[str], typer.Argument(help="alert ids")],
    decision: Annotated[s.Decision, typer.Option(help="confirm, dismiss, merge or escalate")],
    reason: Reason = "",
    incident: Annotated[str | None, typer.Option(help="merge: the incident to join")] = None,
    suppress: Suppress = None,
    scope: Scope = None,
    json: JsonOpt = False,
) -> None:
    """Decide on alerts.

    Example: ironwatch alerts decide ID --decision dismiss --reason "pentest" --suppress 7d
    """
    with uow(write=True) as unit:
        result = decisions.decide(unit, alert_ids, _request(decision, reason, incident, suppress, scope))
        unit.commit()
    _done(result, json)


@app.command("triage")
@handle_errors
def triage(
    decision: Annotated[s.Decision, typer.Option(help="confirm, dismiss, merge or escalate")],
    status: Status = None,
    level: Level = None,
    rule: Rule = None,
    entity: Entity = None,
    since: Since = None,
    reason: Reason = "",
    incident: Annotated[str | None, typer.Option(help="merge: the incident to join")] = None,
    suppress: Suppress = None,
    scope: Scope = None,
    dry_run: Annotated[bool, typer.Option(help="only list what the filter selects")] = False,
    json: JsonOpt = False,
) -> None:
    """Bulk triage: apply a decision to every alert the filter selects (at most 1000).

    Example: ironwatch alerts triage --entity 198.51.100.7 --decision dismiss --reason scanner
    """
    request = _request(decision, reason, incident, suppress, scope)
    bulk = s.BulkRequest(
        **request.model_dump(),
        filter=s.AlertFilter(status=status, level=level, rule=rule, entity=entity, since=_ts(since)),
        dry_run=dry_run,
    )
    with uow(write=True) as unit:
        result = decisions.bulk_decide(unit, bulk)
        unit.commit()
    _done(result, json)


@app.command("suppress")
@handle_errors
def suppress_(
    rule: Annotated[
        str | None, typer.Option(help="rule id; leave out for every rule on the entities")
    ] = None,
    entity: Annotated[list[str] | None, typer.Option(help="name=value, repeatable")] = None,
    reason: Annotated[str, typer.Option(help="why these matches are harmless")] = "",
    expires: Annotated[str, typer.Option(help="how long, e.g. 7d")] = "30d",
    owner: Annotated[str | None, typer.Option(help="who answers for it (default: you)")] = None,
    json: JsonOpt = False,
) -> None:
    """Suppress a rule on entities: its matches are counted, never opened.

    Example: ironwatch alerts suppress --rule iw-ssh-brute-force --entity source_address=198.51.100.7
    --reason "vulnerability scanner" --expires 7d
    """
    entities = dict(e.split("=", 1) for e in entity or [] if "=" in e)
    with uow(write=True) as unit:
        row = suppression.create_suppression(
            unit,
            rule_id=rule,
            entities=entities,
            reason=reason,
            expires_at=unit.clock.now() + parse_duration(expires),
            owner=owner,
        )
        out = s.SuppressionOut.model_validate(row)
        unit.commit()
    if json:
        emit_json(out)
    else:
        console.print(f"suppression {out.id} until {when(out.expires_at)}", highlight=False)


@app.command("suppressions")
@handle_errors
def suppressions(
    all: Annotated[bool, typer.Option("--all", help="also ended and expired ones")] = False,
    json: JsonOpt = False,
) -> None:
    """Suppression rules with how many matches each has counted."""
    with uow() as unit:
        items = [
            s.SuppressionOut.model_validate(r)
            for r in suppression.list_suppressions(unit, active_only=not all)
        ]
    if json:
        emit_json(items)
        return
    table(
        f"Suppressions ({len(items)})",
        ["Id", "Rule", "Entities", "Matches", "Expires", "Owner", "Reason"],
        [
            [
                i.id,
                i.rule_id or "any",
                ", ".join(f"{k}={v}" for k, v in i.entities.items()),
                i.matches,
                when(i.ended_at or i.expires_at),
                i.owner,
                i.reason,
            ]
            for i in items
        ],
    )


@app.command("unsuppress")
@handle_errors
def unsuppress(suppression_id: Annotated[str, typer.Argument(help="suppression id")]) -> None:
    """End a suppression now; later matches are triaged again."""
    with uow(write=True) as unit:
        suppression.end_suppression(unit, suppression_id)
        unit.commit()
    console.print(f"suppression {suppression_id} ended", highlight=False)
