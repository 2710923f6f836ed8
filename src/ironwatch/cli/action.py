"""``ironwatch action ...``: request, approve, reject, undo, retry and follow automated actions."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer

from ironwatch.cli.context import console, emit_json, handle_errors, state, table, uow, when
from ironwatch.core.errors import ValidationError
from ironwatch.respond import actions, service
from ironwatch.respond import schemas as s
from ironwatch.respond.runner import run_pending

app = typer.Typer(help="Automated response actions and their approvals.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


def _rows(items: list[s.ActionOut]) -> list[list[object]]:
    return [
        [
            a.id[-12:],
            a.status,
            a.connector,
            "yes" if a.dry_run else "",
            "yes" if a.destructive else "",
            a.title,
            (a.result.get("summary") or a.error or "")[:120],
        ]
        for a in items
    ]


@app.command("list")
@handle_errors
def list_(
    incident: Annotated[str | None, typer.Argument(help="only this incident")] = None,
    status: Annotated[
        list[str] | None, typer.Option(help="state, repeatable, e.g. awaiting_approval")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Actions, newest first. Example: ironwatch action list --status awaiting_approval"""
    with uow() as unit:
        items = [
            s.ActionOut.model_validate(a) for a, _ in actions.list_actions(unit, incident, status=status)
        ]
    if json:
        emit_json(items)
        return
    table(
        f"Actions ({len(items)})",
        ["Id", "State", "Connector", "Dry run", "Destructive", "Title", "Outcome"],
        _rows(items),
    )


def _find(unit: object, key: str) -> s.ActionOut:
    """An action by id, or by the end of its id as `action list` shows it (ids start with the time)."""
    key = key.strip()
    matches = [a for a, _ in actions.list_actions(unit, limit=5000) if a.id == key or a.id.endswith(key)]  # type: ignore[arg-type]
    if len(matches) != 1:
        raise ValidationError(
            f"{'no' if not matches else len(matches)} actions match {key!r}", hint="give more of the id"
        )
    return s.ActionOut.model_validate(matches[0])


@app.command("show")
@handle_errors
def show(
    action_id: Annotated[
        str, typer.Argument(help="the id, or its last characters as `action list` shows them")
    ],
    json: JsonOpt = False,
) -> None:
    """One action with its inputs and outcome. Example: ironwatch action show 9c1e4b7d2a6f"""
    with uow() as unit:
        out = _find(unit, action_id)
    if json:
        emit_json(out)
        return
    console.print(f"[bold]{out.title}[/] ({out.id})", highlight=False)
    for label, value in [
        ("state", out.status),
        (
            "connector",
            out.connector
            + (" (destructive)" if out.destructive else "")
            + (" (dry run)" if out.dry_run else ""),
        ),
        ("inputs", orjson.dumps(out.inputs).decode()),
        ("requested", f"{when(out.requested_at)} by {out.requested_by}"),
        (
            "decided",
            f"{when(out.decided_at)} by {out.decided_by} {out.decision_note}" if out.decided_by else "",
        ),
        ("tries", f"{out.attempts} of {out.max_attempts}"),
        ("finished", when(out.finished_at)),
        ("expires", when(out.expires_at)),
        ("outcome", out.result.get("summary", "")),
        ("error", out.error),
    ]:
        if value:
            console.print(f"  {label:10} {value}", markup=False, highlight=False)
    details = out.result.get("details", {})
    if details.get("ruleset"):
        console.print(details["ruleset"], markup=False, highlight=False)


def _decide(verb: str, action_id: str, note: str) -> s.ActionOut:
    with uow(write=True) as unit:
        found = _find(unit, action_id)
        if verb == "approve":
            row = actions.approve_action(unit, found.id, note=note)
        elif verb == "reject":
            row = actions.reject_action(unit, found.id, note=note)
        elif verb == "undo":
            row = actions.request_undo(unit, found.id)
        else:
            row = actions.retry_action(unit, found.id)
        out = s.ActionOut.model_validate(row)
        unit.commit()
    console.print(f"action {out.id[-12:]} ({out.title}) is now {out.status}", highlight=False)
    return out


NoteOpt = Annotated[str, typer.Option("--note", help="why (kept in the audit trail)")]


@app.command("approve")
@handle_errors
def approve(action_id: Annotated[str, typer.Argument()], note: NoteOpt = "") -> None:
    """Approve someone else's destructive action (two-person rule).

    Example: ironwatch --as bob action approve 9c1e4b7d2a6f
    """
    _decide("approve", action_id, note)


@app.command("reject")
@handle_errors
def reject(action_id: Annotated[str, typer.Argument()], note: NoteOpt = "") -> None:
    """Reject a waiting action. Example: ironwatch action reject 9c1e4b7d2a6f --note "wrong host\""""
    _decide("reject", action_id, note)


@app.command("undo")
@handle_errors
def undo(action_id: Annotated[str, typer.Argument()]) -> None:
    """Take a succeeded action back (the runner does it). Example: ironwatch action undo 9c1e4b7d2a6f"""
    _decide("undo", action_id, "")


@app.command("retry")
@handle_errors
def retry(action_id: Annotated[str, typer.Argument()]) -> None:
    """Queue a failed or interrupted action again. Example: ironwatch action retry 9c1e4b7d2a6f"""
    _decide("retry", action_id, "")


@app.command("request")
@handle_errors
def request(
    incident: Annotated[str, typer.Argument(help="e.g. IR-2026-0001")],
    connector: Annotated[str, typer.Argument(help="e.g. block_address (see `action connectors`)")],
    inputs: Annotated[list[str] | None, typer.Option("--input", "-i", help="NAME=VALUE, repeatable")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
    json: JsonOpt = False,
) -> None:
    """Ask for one action.

    Example: ironwatch action request IR-2026-0001 block_address -i address=203.0.113.7 -i duration=1h
    """
    values = {}
    for item in inputs or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValidationError(f"{item!r} is not NAME=VALUE", hint="e.g. --input address=203.0.113.7")
        values[name.strip()] = value
    data = s.ActionRequestIn(connector=connector, inputs=values, dry_run=dry_run)
    with uow(write=True) as unit:
        row, _ = actions.request_action(unit, incident, data)
        out = s.ActionOut.model_validate(row)
        unit.commit()
    if json:
        emit_json(out)
    else:
        console.print(f"action {out.id[-12:]} ({out.connector}) is {out.status}", highlight=False)


@app.command("run-pending")
@handle_errors
def run_pending_(json: JsonOpt = False) -> None:
    """Carry out due actions now, here (what `serve` does every few seconds).

    Example: ironwatch action run-pending
    """
    count = run_pending(state.runtime)
    if json:
        emit_json({"ran": count})
    else:
        console.print(f"carried out {count} action(s)", highlight=False)


@app.command("connectors")
@handle_errors
def connectors_(json: JsonOpt = False) -> None:
    """The installed connectors, their inputs and whether the plan lets them act for real."""
    with uow() as unit:
        items = service.connector_catalogue(unit)
    if json:
        emit_json(items)
        return
    table(
        "Action connectors",
        ["Name", "Title", "Destructive", "Undo", "Acts for real", "Inputs"],
        [
            [
                c.name,
                c.title,
                "yes" if c.destructive else "",
                "yes" if c.undoable else "",
                "yes" if c.enabled else "dry run",
                ", ".join(c.inputs.get("properties", {})),
            ]
            for c in items
        ],
    )
