"""``ironwatch db ...`` and ``ironwatch audit ...``."""

from __future__ import annotations

from typing import Annotated

import typer

from ironwatch.bootstrap import build_runtime
from ironwatch.cli.context import console, emit_json, err_console, handle_errors, state
from ironwatch.store import audit as audit_trail
from ironwatch.store import migrate

db = typer.Typer(help="Database schema.", no_args_is_help=True)
audit = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)


@db.command("upgrade")
@handle_errors
def upgrade() -> None:
    """Apply schema migrations (also done automatically on start)."""
    runtime = build_runtime(upgrade=False)
    before = migrate.current_revision(runtime.db)
    migrate.upgrade(runtime.db)
    after = migrate.current_revision(runtime.db)
    console.print(f"schema at {after}" + (f" (was {before})" if before != after else " (already current)"))


@audit.command("verify")
@handle_errors
def verify(json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Check the chain and that every record equals its last audited state; exit 9 if not."""
    with state.runtime.db.session(write=False) as session:
        report = audit_trail.verify_audit(session)
    if json:
        emit_json(
            {
                "ok": report.ok,
                "entries": report.entries,
                "objects": report.objects,
                "problems": [p.__dict__ for p in report.problems],
            }
        )
    elif report.ok:
        console.print(
            f"[green]audit trail intact[/]: {report.entries} entries, {report.objects} records match"
        )
    else:
        first = report.problems[0]
        err_console.print(f"[bold red]audit trail broken[/]: {first.message}")
        for problem in report.problems[1:10]:
            err_console.print(f"  also: {problem.message}")
    if not report.ok:
        raise typer.Exit(9)
