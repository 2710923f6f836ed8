"""``ironwatch evidence ...``: take in, list, show, handle, verify and export evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ironwatch.cli.context import console, emit_json, err_console, handle_errors, table, uow, when
from ironwatch.core.errors import ValidationError
from ironwatch.evidence import schemas as s
from ironwatch.evidence import service
from ironwatch.evidence.custody import custody_log
from ironwatch.evidence.export import export_evidence
from ironwatch.evidence.verify import verify_evidence

app = typer.Typer(
    help="The evidence locker: take in, list, show, handle, verify and export evidence.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{value:.1f} {unit}"


@app.command("add")
@handle_errors
def add(
    incident: Annotated[str, typer.Argument(help="the incident, e.g. IR-2026-0001")],
    files: Annotated[list[Path], typer.Argument(help="one or more files")],
    purpose: Annotated[str, typer.Option(help="why it is collected")],
    description: Annotated[str, typer.Option(help="what it is")] = "",
    location: Annotated[str, typer.Option(help="where the original was found or is kept")] = "",
    tag: Annotated[list[str] | None, typer.Option(help="repeatable")] = None,
    json: JsonOpt = False,
) -> None:
    """Hash, size and store files as evidence; each starts its custody log with 'collected'.

    Example: ironwatch evidence add IR-2026-0001 mail.eml web01.img --purpose "forensic analysis"
    --description "the phishing mail and a disk image" --location "laptop-rita, finance"
    """
    views = []
    with uow(write=True) as unit:
        for path in files:
            if not path.is_file():
                raise ValidationError(f"{path} is not a file", hint="give files, not directories")
            with path.open("rb") as stream:
                row = service.add_evidence(
                    unit,
                    incident,
                    stream,
                    filename=path.name,
                    description=description,
                    purpose=purpose,
                    location=location,
                    source="cli",
                    tags=tag or [],
                )
            views.append(s.EvidenceView.of(row, service.find_evidence(unit, row.id)[1]))
        unit.commit()
    if json:
        emit_json(views)
        return
    table(
        "evidence taken in",
        ["label", "file", "size", "SHA-256"],
        [[v.label, v.filename, _size(v.size), v.sha256] for v in views],
    )


@app.command("list")
@handle_errors
def list_(
    incident: Annotated[str | None, typer.Argument(help="only this incident's evidence")] = None,
    json: JsonOpt = False,
) -> None:
    """Evidence you may see, in order of intake. Example: ironwatch evidence list IR-2026-0001"""
    with uow() as unit:
        views = [s.EvidenceView.of(e, i) for e, i in service.list_evidence(unit, incident)]
    if json:
        emit_json(views)
        return
    table(
        "evidence",
        ["label", "file", "size", "status", "holder", "collected", "SHA-256"],
        [
            [v.label, v.filename, _size(v.size), v.status, v.holder, when(v.collected_at), v.sha256[:16]]
            for v in views
        ],
    )


@app.command("show")
@handle_errors
def show(
    key: Annotated[str, typer.Argument(help="label (IR-2026-0001-E1) or id")], json: JsonOpt = False
) -> None:
    """One item and its chain of custody. Example: ironwatch evidence show IR-2026-0001-E1"""
    with uow() as unit:
        row, incident = service.find_evidence(unit, key)
        view = s.EvidenceDetail(
            **s.EvidenceView.of(row, incident).model_dump(),
            custody=[s.CustodyEntryView.of(e) for e in custody_log(unit, row.id)],
        )
    if json:
        emit_json(view)
        return
    console.print(f"[bold]{view.label}[/]  {view.filename}", highlight=False)
    for name, value in (
        ("description", view.description),
        ("SHA-256", view.sha256),
        ("size", f"{view.size} bytes"),
        ("type", view.content_type),
        ("collected", f"{when(view.collected_at)} by {view.collected_by} ({view.source})"),
        ("holder", view.holder),
        ("location", view.location),
        ("status", view.status + (f" ({view.status_reason})" if view.status_reason else "")),
        ("stored", view.storage_backend),
        ("tags", ", ".join(view.tags)),
    ):
        console.print(f"  {name:<12} {value}", highlight=False, markup=False)
    console.print("[bold]chain of custody[/]")
    for e in view.custody:
        # one entry per block, not a wide table: the purpose and note are sentences
        console.print(f"  {e.seq:>3}  {when(e.at)}  {e.action}  by {e.actor}", highlight=False, markup=False)
        for name, value in (("purpose", e.purpose), ("holder", e.holder), ("location", e.location)):
            if value:
                console.print(f"       {name}: {value}", highlight=False, markup=False)
        if e.note:
            console.print(f"       note: {e.note}", highlight=False, markup=False)


@app.command("handle")
@handle_errors
def handle(
    key: Annotated[str, typer.Argument(help="label (IR-2026-0001-E1) or id")],
    action: Annotated[str, typer.Option(help="transferred, analysed, released or destroyed")],
    purpose: Annotated[str, typer.Option(help="why")],
    to: Annotated[str | None, typer.Option(help="the new holder (transferred)")] = None,
    location: Annotated[str | None, typer.Option(help="where it is now")] = None,
    note: Annotated[str, typer.Option(help="details; the reason to release or destroy")] = "",
) -> None:
    """Record a handling on the chain of custody.

    Example: ironwatch evidence handle IR-2026-0001-E1 --action transferred --to "Police, DS Miller"
    --purpose "criminal investigation" --location "police evidence room"
    """
    with uow(write=True) as unit:
        row = service.handle_evidence(
            unit, key, action, purpose=purpose, holder=to, location=location, note=note
        )
        status, holder = row.status, row.holder
        unit.commit()
    console.print(f"recorded {action} on {key}: status {status}, holder {holder}", highlight=False)


@app.command("verify")
@handle_errors
def verify(
    key: Annotated[str | None, typer.Argument(help="label (IR-2026-0001-E1) or id")] = None,
    incident: Annotated[str | None, typer.Option(help="every item of this incident")] = None,
    all_: Annotated[bool, typer.Option("--all", help="every item you may see")] = False,
    json: JsonOpt = False,
) -> None:
    """Re-hash stored content and check custody chains; exit code 9 if any item fails.

    Each check is recorded on the item's chain as 'verified' (OK or FAILED).
    Example: ironwatch evidence verify --incident IR-2026-0001
    """
    if sum((key is not None, incident is not None, all_)) != 1:
        raise ValidationError("say what to verify", hint="give one of: ID, --incident REF, --all")
    with uow() as unit:
        keys = [key] if key else [e.id for e, _ in service.list_evidence(unit, incident)]
    results: list[s.VerifyView] = []
    with Progress(
        TextColumn("verifying"), BarColumn(), MofNCompleteColumn(), console=err_console, disable=json
    ) as progress:
        task = progress.add_task("verify", total=len(keys))
        for item in keys:
            # one transaction per item: each verdict is recorded even if a later item fails
            with uow(write=True) as unit:
                results.append(verify_evidence(unit, item))
                unit.commit()
            progress.advance(task)
    failed = [r for r in results if not r.ok]
    if json:
        emit_json(results)
    else:
        table(
            "verification",
            ["label", "result", "content", "SHA-256"],
            [[r.label, "OK" if r.ok else "FAILED", r.content, r.expected_sha256] for r in results],
        )
        for result in failed:
            for problem in result.problems:
                err_console.print(f"[bold red]FAILED:[/] {problem}", highlight=False)
        console.print(f"{len(results) - len(failed)} of {len(results)} items intact", highlight=False)
    if failed:
        raise typer.Exit(9)


@app.command("export")
@handle_errors
def export(
    key: Annotated[str, typer.Argument(help="an incident (IR-2026-0001) or one item (IR-2026-0001-E1)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="the zip to write")],
    purpose: Annotated[str, typer.Option(help="why the evidence leaves the locker")],
    force: Annotated[bool, typer.Option(help="overwrite an existing file")] = False,
) -> None:
    """Write a zip with the files, manifest.json, manifest.txt, SHA256SUMS and the custody logs.

    Each item gets an 'exported' custody entry. Example:
    ironwatch evidence export IR-2026-0001 --output ir-2026-0001.zip --purpose "handover to police"
    """
    if output.exists() and not force:
        raise ValidationError(f"{output} exists", hint="choose another name or give --force")
    try:
        with output.open("wb") as stream, uow(write=True) as unit:
            summary = export_evidence(unit, key, stream, purpose=purpose)
            unit.commit()
    except BaseException:
        output.unlink(missing_ok=True)
        raise
    console.print(
        f"wrote {output}: {summary.items} items, {summary.files} files, {_size(summary.bytes)}",
        highlight=False,
    )
