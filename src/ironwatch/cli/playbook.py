"""``ironwatch playbook ...``: list, show, validate, load and run response playbooks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ironwatch.cli.context import console, emit_json, handle_errors, table, uow, when
from ironwatch.respond import service
from ironwatch.respond.playbook_loader import parse_playbook, read_playbook_file

app = typer.Typer(help="Response playbooks: list, show, validate, load, run.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


@app.command("list")
@handle_errors
def list_(json: JsonOpt = False) -> None:
    """The playbooks in force (built in, or the latest loaded version). Example: ironwatch playbook list"""
    with uow() as unit:
        items = [service.summarise(p) for p in service.playbooks_in_force(unit).values()]
    if json:
        emit_json(items)
        return
    table(
        f"Playbooks ({len(items)})",
        ["Id", "Name", "Version", "Steps", "Actions", "Categories"],
        [[p.id, p.name, p.version or "built in", p.steps, p.actions, ", ".join(p.categories)] for p in items],
    )


@app.command("show")
@handle_errors
def show(
    playbook_id: Annotated[str, typer.Argument(help="e.g. ransomware")],
    yaml: Annotated[bool, typer.Option("--yaml", help="print the playbook file as it is in force")] = False,
    json: JsonOpt = False,
) -> None:
    """One playbook, phase by phase. Example: ironwatch playbook show ransomware --yaml > ransomware.yaml"""
    with uow() as unit:
        found = service.get_playbook(unit, playbook_id)
    if yaml:
        typer.echo(found.text, nl=False)
        return
    if json:
        emit_json(service.describe(found))
        return
    playbook = found.playbook
    console.print(
        f"[bold]{playbook.id}[/]: {playbook.name} (version {found.version or 'built in'})", highlight=False
    )
    console.print(playbook.description, markup=False, highlight=False)
    rows = []
    for phase, step in playbook.phases.ordered():
        kind = f"action {step.action}" if step.action else "task"
        extra = ", ".join(
            filter(
                None,
                [
                    f"for each {step.for_each}" if step.for_each else "",
                    f"when {step.when}" if step.when else "",
                    f"owner {step.owner}" if step.owner else "",
                    f"due +{step.due}" if step.due else "",
                    f"on failure {step.on_failure}" if step.action else "",
                ],
            )
        )
        rows.append([phase.value, step.id, kind, step.title, extra])
    table("Steps", ["Phase", "Step", "Kind", "Title", "Details"], rows)


@app.command("validate")
@handle_errors
def validate(path: Annotated[Path, typer.Argument(help="a playbook YAML file")]) -> None:
    """Check a playbook file: every problem with file:line:column.

    Example: ironwatch playbook validate ransomware.yaml
    """
    playbook = parse_playbook(read_playbook_file(path), source=str(path))  # raises with every problem
    console.print(f"{path}: playbook [bold]{playbook.id}[/] is valid", highlight=False)


@app.command("load")
@handle_errors
def load(path: Annotated[Path, typer.Argument(help="a playbook YAML file")], json: JsonOpt = False) -> None:
    """Store a playbook file as the next version of its id.

    Example: ironwatch playbook load ransomware.yaml
    """
    text = read_playbook_file(path)
    with uow(write=True) as unit:
        row, playbook = service.load_playbook(unit, text, source=str(path))
        unit.commit()
    if json:
        emit_json({"id": playbook.id, "version": row.version, "sha256": row.sha256})
    else:
        console.print(f"loaded playbook [bold]{playbook.id}[/] as version {row.version}", highlight=False)


@app.command("history")
@handle_errors
def history(playbook_id: Annotated[str, typer.Argument()]) -> None:
    """The loaded versions of a playbook, newest first."""
    with uow() as unit:
        rows = service.playbook_history(unit, playbook_id)
    table(
        f"Versions of {playbook_id}",
        ["Version", "Loaded", "By", "Source", "SHA-256"],
        [[r.version, when(r.loaded_at), r.loaded_by, r.source, r.sha256[:16]] for r in rows],
    )


@app.command("run")
@handle_errors
def run(
    incident: Annotated[str, typer.Argument(help="the incident, e.g. IR-2026-0001")],
    playbook: Annotated[
        str | None, typer.Option("--playbook", help="default: the one for its category")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="actions only show what they would do")] = False,
    json: JsonOpt = False,
) -> None:
    """Start a playbook on an incident: tasks for manual steps, action requests for automated ones.

    Example: ironwatch playbook run IR-2026-0001 --playbook ransomware --dry-run
    """
    with uow(write=True) as unit:
        out = service.run_detail(
            unit, service.start_playbook(unit, incident, playbook_id=playbook, dry_run=dry_run)
        )
        unit.commit()
    if json:
        emit_json(out)
        return
    console.print(
        f"started playbook [bold]{out.playbook_id}[/] on {incident} (run {out.id})", highlight=False
    )
    table(
        "Steps",
        ["Phase", "Step", "Became"],
        [
            [
                step["phase"],
                step["step"],
                {"task": "task", "skipped": f"skipped: {step.get('reason', '')}"}.get(
                    step["kind"], f"{len(step.get('action_ids', []))} action(s)"
                ),
            ]
            for step in out.steps
        ],
    )
    if out.actions:
        console.print("follow the actions with `ironwatch action list " + incident + "`", highlight=False)
