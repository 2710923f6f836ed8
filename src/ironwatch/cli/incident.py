"""``ironwatch incident ...``: open, list, show, change and work on incidents."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer

from ironwatch.cli import obligations as obligations_cli
from ironwatch.cli import timeline as timeline_cli
from ironwatch.cli.context import console, emit_json, handle_errors, table, uow, when
from ironwatch.incidents import export as exporting
from ironwatch.incidents import schemas as s
from ironwatch.incidents import service

app = typer.Typer(help="Open, list, show, change and work on incidents.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


@app.command("new")
@handle_errors
def new(
    title: Annotated[str, typer.Argument(help="a short title")],
    summary: Annotated[str, typer.Option(help="what is known so far")] = "",
    severity: Annotated[s.Severity | None, typer.Option()] = None,
    priority: Annotated[s.Priority | None, typer.Option()] = None,
    category: Annotated[str | None, typer.Option(help="taxonomy category, e.g. intrusions")] = None,
    tlp: Annotated[s.TLP, typer.Option(help="Traffic Light Protocol marking")] = s.TLP.AMBER,
    tag: Annotated[list[str] | None, typer.Option(help="repeatable")] = None,
    asset: Annotated[list[str] | None, typer.Option(help="affected asset, repeatable")] = None,
    occurred: Annotated[str | None, typer.Option(help="when it happened, ISO 8601 with zone")] = None,
    detected: Annotated[str | None, typer.Option(help="when it was detected, ISO 8601 with zone")] = None,
    reporter_name: Annotated[str, typer.Option()] = "",
    reporter_email: Annotated[str | None, typer.Option()] = None,
    reporter_phone: Annotated[str, typer.Option()] = "",
    reporter_unit: Annotated[str, typer.Option()] = "",
    assignee: Annotated[str | None, typer.Option()] = None,
    restricted: Annotated[
        bool, typer.Option(help="need-to-know: only assignee, members and managers see it")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Open an incident in state ``reported``.

    Example: ironwatch incident new "Phishing mail to finance" --severity high --tag phishing
    """
    data = s.IncidentCreate.model_validate(
        {
            "title": title,
            "summary": summary,
            "severity": severity,
            "priority": priority,
            "category": category,
            "tlp": tlp,
            "tags": tag or [],
            "affected_assets": asset or [],
            "occurred_at": _ts(occurred),
            "detected_at": _ts(detected),
            "reporter": {
                "name": reporter_name,
                "email": reporter_email,
                "phone": reporter_phone,
                "unit": reporter_unit,
            },
            "assignee": assignee,
            "restricted": restricted,
        }
    )
    with uow(write=True) as unit:
        out = s.IncidentOut.model_validate(service.create_incident(unit, data))
        unit.commit()
    if json:
        emit_json(out)
    else:
        console.print(f"opened [bold]{out.ref}[/] ({out.status}): {out.title}")


@app.command("list")
@handle_errors
def list_(
    status: Annotated[list[str] | None, typer.Option(help="repeatable")] = None,
    severity: Annotated[list[s.Severity] | None, typer.Option()] = None,
    priority: Annotated[list[s.Priority] | None, typer.Option()] = None,
    assignee: Annotated[str | None, typer.Option()] = None,
    tag: Annotated[str | None, typer.Option()] = None,
    text: Annotated[str | None, typer.Option(help="search title, summary and observations")] = None,
    since: Annotated[str | None, typer.Option(help="created at or after, ISO 8601")] = None,
    until: Annotated[str | None, typer.Option(help="created before, ISO 8601")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    json: JsonOpt = False,
) -> None:
    """List incidents, newest first. Example: ironwatch incident list --status triage --priority P1"""
    flt = s.IncidentFilter(
        status=status,
        severity=severity,
        priority=priority,
        assignee=assignee,
        tag=tag,
        text=text,
        since=_ts(since),
        until=_ts(until),
        limit=limit,
        offset=offset,
    )
    with uow() as unit:
        total, rows = service.list_incidents(unit, flt)
        items = [s.IncidentOut.model_validate(r) for r in rows]
    if json:
        emit_json(s.IncidentPage(total=total, limit=limit, offset=offset, items=items))
        return
    table(
        f"Incidents ({len(items)} of {total})",
        ["Ref", "Status", "Prio", "Severity", "Title", "Assignee", "Created"],
        [[i.ref, i.status, i.priority, i.severity, i.title, i.assignee, when(i.created_at)] for i in items],
    )


@app.command("show")
@handle_errors
def show(
    key: Annotated[str, typer.Argument(help="reference (IR-2026-0001) or id")], json: JsonOpt = False
) -> None:
    """Show one incident with its transitions, tasks, observables and comments."""
    with uow() as unit:
        detail = service.incident_detail(unit, key)
    if json:
        emit_json(detail)
        return
    console.print(f"[bold]{detail.ref}[/] {detail.title}")
    console.print(
        f"status [bold]{detail.status}[/]  priority {detail.priority or '-'}  "
        f"severity {detail.severity or '-'}  "
        f"TLP:{detail.tlp.upper()}  assignee {detail.assignee or '-'}"
        + ("  [red]restricted[/]" if detail.restricted else "")
    )
    if detail.summary:
        console.print(detail.summary)
    table(
        "Transitions",
        ["When", "From", "To", "By", "Note"],
        [[when(t.at), t.from_state, t.to_state, t.actor, t.note] for t in detail.transitions],
    )
    table(
        "Tasks",
        ["Id", "Title", "Owner", "Due", "Status"],
        [[t.id, t.title, t.owner, when(t.due_at), t.status] for t in detail.tasks],
    )
    table("Observables", ["Type", "Value", "Note"], [[o.type, o.value, o.note] for o in detail.observables])
    table(
        "Comments",
        ["When", "By", "Comment"],
        [[when(c.created_at), c.author, c.body] for c in detail.comments],
    )


@app.command("update")
@handle_errors
def update(
    key: str,
    title: Annotated[str | None, typer.Option()] = None,
    summary: Annotated[str | None, typer.Option()] = None,
    observations: Annotated[str | None, typer.Option()] = None,
    severity: Annotated[s.Severity | None, typer.Option()] = None,
    priority: Annotated[s.Priority | None, typer.Option()] = None,
    category: Annotated[str | None, typer.Option()] = None,
    tlp: Annotated[s.TLP | None, typer.Option()] = None,
    tag: Annotated[list[str] | None, typer.Option(help="replaces the tags; repeatable")] = None,
    assignee: Annotated[str | None, typer.Option()] = None,
    restricted: Annotated[bool | None, typer.Option("--restricted/--unrestricted")] = None,
    json: JsonOpt = False,
) -> None:
    """Change fields of an incident. Example: ironwatch incident update IR-2026-0001 --priority P2"""
    given = {
        "title": title,
        "summary": summary,
        "observations": observations,
        "severity": severity,
        "priority": priority,
        "category": category,
        "tlp": tlp,
        "tags": tag,
        "assignee": assignee,
        "restricted": restricted,
    }
    data = s.IncidentUpdate.model_validate({k: v for k, v in given.items() if v is not None})
    with uow(write=True) as unit:
        out = s.IncidentOut.model_validate(service.update_incident(unit, key, data))
        unit.commit()
    emit_json(out) if json else console.print(f"updated [bold]{out.ref}[/]")


@app.command("transition")
@handle_errors
def transition(
    key: str,
    to: Annotated[str, typer.Argument(help="target state, e.g. triage, confirmed, containment")],
    note: Annotated[str, typer.Option(help="why")] = "",
    json: JsonOpt = False,
) -> None:
    """Move an incident through the lifecycle. Example: ironwatch incident transition IR-2026-0001 triage"""
    with uow(write=True) as unit:
        out = s.IncidentOut.model_validate(service.transition_incident(unit, key, to, note))
        unit.commit()
    emit_json(out) if json else console.print(f"[bold]{out.ref}[/] is now [bold]{out.status}[/]")


@app.command("comment")
@handle_errors
def comment(
    key: str, body: Annotated[str, typer.Argument(help="the comment")], json: JsonOpt = False
) -> None:
    """Add a comment. Example: ironwatch incident comment IR-2026-0001 "Mail server logs pulled" """
    with uow(write=True) as unit:
        out = s.CommentOut.model_validate(service.add_comment(unit, key, s.CommentCreate(body=body)))
        unit.commit()
    emit_json(out) if json else console.print("comment added")


@app.command("task")
@handle_errors
def task(
    key: str,
    title: Annotated[str | None, typer.Argument(help="new task title")] = None,
    owner: Annotated[str | None, typer.Option()] = None,
    due: Annotated[str | None, typer.Option(help="ISO 8601 with zone")] = None,
    done: Annotated[str | None, typer.Option(help="mark this task id done instead")] = None,
    json: JsonOpt = False,
) -> None:
    """Add a task, or mark one done.

    Example: ironwatch incident task IR-2026-0001 "Reset VPN passwords" --owner bob
    """
    with uow(write=True) as unit:
        if done:
            row = service.update_task(unit, key, done, s.TaskUpdate(status=s.TaskStatus.DONE))
        elif title:
            row = service.add_task(unit, key, s.TaskCreate(title=title, owner=owner, due_at=_ts(due)))
        else:
            raise typer.BadParameter("give a task title, or --done TASK_ID")
        out = s.TaskOut.model_validate(row)
        unit.commit()
    emit_json(out) if json else console.print(f"task {out.id}: {out.title} ({out.status})")


@app.command("observable")
@handle_errors
def observable(
    key: str,
    type_: Annotated[
        str,
        typer.Argument(
            metavar="TYPE",
            help="ipv4, ipv6, cidr, domain, url, email, md5, sha1, sha256, account, hostname, "
            "file_path, registry_key",
        ),
    ],
    value: str,
    note: Annotated[str, typer.Option()] = "",
    json: JsonOpt = False,
) -> None:
    """Attach an observable. Example: ironwatch incident observable IR-2026-0001 ipv4 203.0.113.7"""
    with uow(write=True) as unit:
        row, created = service.add_observable(
            unit, key, s.ObservableCreate(type=type_, value=value, note=note)
        )
        out = s.ObservableOut.model_validate(row)
        unit.commit()
    if json:
        emit_json(out)
    else:
        console.print(f"{'added' if created else 'already there'}: {out.type} {out.value}")


@app.command("member")
@handle_errors
def member(key: str, username: str) -> None:
    """Name a member of an incident (who may see it when restricted)."""
    with uow(write=True) as unit:
        service.add_member(unit, key, s.MemberAdd(username=username))
        unit.commit()
    console.print(f"{username} is a member of {key}")


@app.command("audit")
@handle_errors
def audit(key: str, json: JsonOpt = False) -> None:
    """The audit trail of one incident."""
    with uow() as unit:
        entries = [s.AuditEntryOut.model_validate(e) for e in service.incident_audit(unit, key)]
    if json:
        emit_json(entries)
        return
    table(
        "Audit",
        ["#", "When", "Actor", "Action", "Changed"],
        [[e.seq, when(e.at), e.actor, e.action, ", ".join(e.changes)] for e in entries],
    )


@app.command("export")
@handle_errors
def export(
    format: Annotated[str, typer.Option("--format", help="json or csv")] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write; stdout if left out")
    ] = None,
    status: Annotated[list[str] | None, typer.Option(help="repeatable")] = None,
    since: Annotated[str | None, typer.Option(help="created at or after, ISO 8601")] = None,
) -> None:
    """Export incidents (need-to-know and TLP applied; the export is audited).

    Example: ironwatch incident export --format csv -o incidents.csv --since 2026-01-01T00:00Z
    """
    if format not in {"json", "csv"}:
        raise typer.BadParameter("use json or csv", param_hint="--format")
    flt = s.IncidentFilter(status=status, since=_ts(since), limit=500)
    with uow(write=True) as unit:
        records = exporting.export_incidents(unit, flt)
        unit.commit()
    text = (
        exporting.to_csv(records)
        if format == "csv"
        else orjson.dumps(records, option=orjson.OPT_INDENT_2).decode()
    )
    if output:
        output.write_text(text)
        console.print(f"exported {len(records)} incidents to {output}")
    else:
        typer.echo(text)


# commands other modules own, under ``ironwatch incident`` since they act on one incident
app.command("export-external")(obligations_cli.export_external_command)
app.command("timeline")(timeline_cli.show_timeline)
app.command("timeline-add")(timeline_cli.add_entry)
