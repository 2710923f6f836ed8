"""The ``ironwatch`` command."""

from __future__ import annotations

from typing import Annotated

import typer

from ironwatch import __version__
from ironwatch.cli import (
    access,
    action,
    admin,
    alerts,
    events,
    evidence,
    incident,
    intel,
    metrics,
    notify,
    obligations,
    plan,
    playbook,
    report,
    review,
    rules,
    timeline,
    triage,
)
from ironwatch.cli.context import state
from ironwatch.cli.serve import serve

app = typer.Typer(
    help="ironwatch: security incident management (ISO/IEC 27035).\n\n"
    "Data lives in IRONWATCH_HOME (default ~/.local/share/ironwatch); IRONWATCH_DATABASE_URL selects "
    "another database, e.g. postgresql+psycopg://user@host/db.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ironwatch {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    acting_as: Annotated[
        str | None,
        typer.Option(
            "--as", help="act as this ironwatch user (their role, need-to-know and name in the audit)"
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
) -> None:
    state.acting_as = acting_as


app.command("serve")(serve)
app.command("ingest")(events.ingest)
app.command("follow")(events.follow)
app.command("status")(events.status)
app.add_typer(events.events, name="events")
incident.app.command("export-external")(obligations.export_external_command)
incident.app.command("timeline")(timeline.show_timeline)
incident.app.command("timeline-add")(timeline.add_entry)
app.add_typer(incident.app, name="incident")
app.add_typer(obligations.app, name="obligations")
app.add_typer(review.app, name="review")
app.command("action-items")(review.action_items)
app.command("metrics")(metrics.metrics)
app.add_typer(evidence.app, name="evidence")
app.add_typer(plan.app, name="plan")
app.add_typer(report.app, name="report")
app.add_typer(playbook.app, name="playbook")
app.add_typer(action.app, name="action")
app.add_typer(rules.app, name="rules")
app.add_typer(intel.app, name="intel")
app.add_typer(notify.app, name="notify")
app.add_typer(alerts.app, name="alerts")
app.add_typer(triage.app, name="triage")
app.add_typer(access.users, name="user")
app.add_typer(access.tokens, name="token")
app.add_typer(admin.db, name="db")
app.add_typer(admin.audit, name="audit")
