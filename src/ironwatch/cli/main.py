"""The ``ironwatch`` command."""

from __future__ import annotations

from typing import Annotated

import typer

from ironwatch import __version__
from ironwatch.cli.lazy_group import LazyCommand, LazyGroup
from ironwatch.cli.state import state


class RootGroup(LazyGroup):
    """``ironwatch``: every command, imported only when it runs (see ``cli.lazy_group``)."""

    registry = (
        LazyCommand(
            "serve",
            "ironwatch.cli.serve:serve",
            "Run ironwatch: the API and web endpoints, plus any log listeners you enable.",
        ),
        LazyCommand(
            "ingest",
            "ironwatch.cli.events:ingest",
            "Import log files once, with a progress bar. Re-importing a file adds nothing twice.",
        ),
        LazyCommand(
            "follow",
            "ironwatch.cli.events:follow",
            "Follow log files through rotation and store their lines until interrupted (Ctrl-C).",
        ),
        LazyCommand(
            "status",
            "ironwatch.cli.events:status",
            "Log server counters per source, spool depth and lag (from the running server), "
            "and stored totals.",
        ),
        LazyCommand(
            "action-items",
            "ironwatch.cli.review:action_items",
            "List the action items of every review, due first. Example: ironwatch action-items --open",
        ),
        LazyCommand(
            "metrics", "ironwatch.cli.metrics:metrics", "Show the incident response metrics for a period."
        ),
        LazyCommand(
            "events",
            "ironwatch.cli.events:events",
            "Search stored events and parse failures; prune by retention.",
        ),
        LazyCommand(
            "incident", "ironwatch.cli.incident:app", "Open, list, show, change and work on incidents."
        ),
        LazyCommand(
            "obligations",
            "ironwatch.cli.obligations:app",
            "Legal and contractual notification obligations: facts, questions, deadlines, evidence.",
        ),
        LazyCommand(
            "review",
            "ironwatch.cli.review:app",
            "Post-incident reviews: start, write, collect feedback, track action items, complete.",
        ),
        LazyCommand(
            "evidence",
            "ironwatch.cli.evidence:app",
            "The evidence locker: take in, list, show, handle, verify and export evidence.",
        ),
        LazyCommand(
            "plan",
            "ironwatch.cli.plan:app",
            "The incident response plan: init, validate, apply, show, diff, history, render, check, imports.",
        ),
        LazyCommand(
            "report",
            "ironwatch.cli.report:app",
            "Report suspected incidents, failures and weaknesses, and follow your reports; "
            "write incident and management reports (incident, period).",
        ),
        LazyCommand(
            "playbook", "ironwatch.cli.playbook:app", "Response playbooks: list, show, validate, load, run."
        ),
        LazyCommand("action", "ironwatch.cli.action:app", "Automated response actions and their approvals."),
        LazyCommand(
            "rules",
            "ironwatch.cli.rules:app",
            "Sigma detection rules: load them into the rule set serve runs, list, switch, "
            "lint and test them.",
        ),
        LazyCommand(
            "intel",
            "ironwatch.cli.intel:app",
            "Threat intelligence: import feeds, list, look up and expire indicators.",
        ),
        LazyCommand(
            "notify",
            "ironwatch.cli.notify:app",
            "Notifications: the log per incident, sending by hand, acknowledging, testing channels.",
        ),
        LazyCommand(
            "alerts", "ironwatch.cli.alerts:app", "The alert queue, triage decisions and suppressions."
        ),
        LazyCommand(
            "triage",
            "ironwatch.cli.triage:app",
            "Assessment, assignment, SLA clocks and escalation of incidents.",
        ),
        LazyCommand("user", "ironwatch.cli.access:users", "Manage users: the first admin, roles, passwords."),
        LazyCommand(
            "token", "ironwatch.cli.access:tokens", "Manage API tokens (shown once, stored only as a hash)."
        ),
        LazyCommand("db", "ironwatch.cli.admin:db", "Database schema."),
        LazyCommand("audit", "ironwatch.cli.admin:audit", "The hash-chained audit trail."),
    )


app = typer.Typer(
    cls=RootGroup,
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
