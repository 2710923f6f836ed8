"""``ironwatch report ...``: report a suspected incident, failure or weakness, and follow it."""

from __future__ import annotations

import mimetypes
import sys
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from ironwatch.cli.context import console, emit_json, err_console, handle_errors, state, table, uow, when
from ironwatch.cli.timeline import parse_time
from ironwatch.core.errors import ValidationError
from ironwatch.incidents.schemas import TLP
from ironwatch.reports import schemas as s
from ironwatch.reports import service
from ironwatch.reports.intake import AttachmentLimits, IncomingFile
from ironwatch.review import reports
from ironwatch.review.report_render import ReportFormat

app = typer.Typer(
    help="Report suspected incidents, failures and weaknesses, and follow your reports; "
    "write incident and management reports (incident, period).",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{value!r} is not a time", hint="use ISO 8601 with a zone, e.g. 2026-03-01T14:30:00+01:00"
        ) from None


@app.command("submit")
@handle_errors
def submit(
    title: Annotated[str, typer.Option(help="what happened, in a few words")],
    description: Annotated[str, typer.Option(help="what you saw, in your own words")],
    kind: Annotated[
        s.ReportKind, typer.Option(help="what you are reporting")
    ] = s.ReportKind.SUSPECTED_INCIDENT,
    occurred: Annotated[str | None, typer.Option(help="when it happened, ISO 8601 with zone")] = None,
    location: Annotated[str, typer.Option(help="where: office, room, site")] = "",
    system: Annotated[list[str] | None, typer.Option(help="an affected system, repeatable")] = None,
    attach: Annotated[
        list[Path] | None,
        typer.Option(help="a file to attach (screenshot, mail), repeatable", exists=True, dir_okay=False),
    ] = None,
    reporter_name: Annotated[str, typer.Option(help="your name (default: your account's)")] = "",
    reporter_email: Annotated[str | None, typer.Option(help="your e-mail address")] = None,
    reporter_phone: Annotated[str, typer.Option(help="a number to call you back")] = "",
    reporter_unit: Annotated[str, typer.Option(help="your team or department")] = "",
    json: JsonOpt = False,
) -> None:
    """Report something; prints the reference and a lookup token.

    Example: ironwatch --as rita report submit --title "Odd mail from the CEO"
    --description "Asks for gift cards" --attach mail.eml
    """
    data = s.ReportSubmission.model_validate(
        {
            "title": title,
            "description": description,
            "kind": kind,
            "occurred_at": _time(occurred),
            "location": location,
            "systems": system or [],
            "reporter": {
                "name": reporter_name,
                "email": reporter_email or None,
                "phone": reporter_phone,
                "unit": reporter_unit,
            },
        }
    )
    runtime = state.runtime
    with ExitStack() as files:
        incoming = [
            IncomingFile(
                filename=path.name,
                content_type=mimetypes.guess_type(path.name)[0],
                stream=files.enter_context(path.open("rb")),
            )
            for path in attach or []
        ]
        with uow(write=True) as unit:
            receipt = service.submit_report(
                unit,
                data,
                files=incoming,
                blobs=runtime.attachments,
                limits=AttachmentLimits.from_settings(runtime.settings),
            )
            unit.commit()
    if json:
        emit_json(receipt)
        return
    console.print(f"reported [bold]{receipt.reference}[/] ({receipt.status})")
    for attachment in receipt.attachments:
        console.print(
            f"  attached {attachment.filename} ({attachment.size} bytes, sha256 {attachment.sha256})"
        )
    console.print(f"lookup token (shown once): {receipt.lookup_token}", highlight=False)


@app.command("list")
@handle_errors
def list_(json: JsonOpt = False) -> None:
    """List your own reports, newest first. Example: ironwatch --as rita report list"""
    with uow() as unit:
        reports = service.list_own_reports(unit)
    if json:
        emit_json(reports)
        return
    table(
        f"Your reports ({len(reports)})",
        ["Ref", "Status", "Kind", "Title", "Reported", "Last update"],
        [
            [r.reference, r.status, r.kind.value, r.title, when(r.submitted_at), when(r.updated_at)]
            for r in reports
        ],
    )


@app.command("status")
@handle_errors
def status(
    reference: Annotated[str, typer.Argument(help="the report's reference, e.g. IR-2026-0001")],
    token: Annotated[str | None, typer.Option(help="the lookup token given when it was filed")] = None,
    json: JsonOpt = False,
) -> None:
    """Show the status of one of your reports (or any, with its lookup token).

    Example: ironwatch --as rita report status IR-2026-0001
    """
    with uow() as unit:
        view = (
            service.report_by_token(unit, reference, token) if token else service.own_report(unit, reference)
        )
    if json:
        emit_json(view)
        return
    console.print(f"[bold]{view.reference}[/] {view.title}")
    console.print(
        f"status [bold]{view.status}[/]  kind {view.kind.value}  reported {when(view.submitted_at)}  "
        f"last update {when(view.updated_at)}"
    )
    if view.attachments:
        table(
            "Attachments",
            ["File", "Bytes", "SHA-256"],
            [[a.filename, a.size, a.sha256] for a in view.attachments],
        )


def _write(body: bytes, output: Path | None, what: str) -> None:
    if output is None:
        sys.stdout.buffer.write(body)
        return
    output.write_bytes(body)
    err_console.print(f"wrote {what} to {output} ({len(body)} bytes)", highlight=False)


@app.command("incident")
@handle_errors
def incident_report(
    reference: Annotated[str, typer.Argument(help="the incident's reference, e.g. IR-2026-0001")],
    format: Annotated[ReportFormat, typer.Option("--format", help="html or pdf")] = ReportFormat.PDF,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write (default: stdout)")
    ] = None,
) -> None:
    """Write the incident report (summary, classification, timeline, actions, evidence, review...).

    Example: ironwatch report incident IR-2026-0001 --format pdf --output IR-2026-0001.pdf
    """
    with uow() as unit:
        ref, body = reports.incident_report(unit, reference, format)
    _write(body, output, f"the report on {ref}")


@app.command("period")
@handle_errors
def period_report(
    since: Annotated[str | None, typer.Option(help="from, ISO 8601 with zone (default: 90 days ago)")] = None,
    until: Annotated[str | None, typer.Option(help="before, ISO 8601 with zone (default: now)")] = None,
    format: Annotated[ReportFormat, typer.Option("--format", help="html or pdf")] = ReportFormat.PDF,
    tlp: Annotated[TLP, typer.Option(help="marking on every page")] = TLP.AMBER,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write (default: stdout)")
    ] = None,
) -> None:
    """Write the management report for a period: volumes, trends, MTT*, SLA, root causes, action items.

    Example: ironwatch report period --since 2026-02-01T00:00Z --until 2026-03-01T00:00Z --output feb.pdf
    """
    with uow() as unit:
        _, body = reports.period_report(
            unit, since=parse_time(since, "since"), until=parse_time(until, "until"), fmt=format, tlp=tlp
        )
    _write(body, output, "the management report")
