"""``ironwatch obligations ...``: breach facts, questions, deadlines, and closing duties with evidence."""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.text import Text

from ironwatch.cli.context import console, emit_json, err_console, handle_errors, state, table, uow, when
from ironwatch.core.errors import ValidationError
from ironwatch.obligations import evidence, external, regulator, service
from ironwatch.obligations import schemas as s
from ironwatch.plan.fieldtypes import format_duration

app = typer.Typer(
    help="Legal and contractual notification obligations: facts, questions, deadlines, evidence.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
_MINUTE = timedelta(minutes=1)


def _time(value: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(f"{what}: {value!r} is not a time", hint="e.g. 2026-03-02T15:00:00Z") from exc
    if moment.tzinfo is None:
        raise ValidationError(f"{what}: {value!r} has no time zone", hint="add one, e.g. Z or +01:00")
    return moment.astimezone(UTC)


def _due_cell(out: s.ObligationOut, now: datetime) -> Text:
    left = out.due_in(now)
    if left is None:
        return Text("-")
    if left.total_seconds() <= 0:
        return Text(f"overdue {format_duration(-left) or '0s'}", style="bold red")
    return Text(
        format_duration(left - left % _MINUTE) or "<1m",
        style="yellow" if left.total_seconds() < 86400 else "",
    )


@app.command("list")
@handle_errors
def list_(
    due_within: Annotated[str | None, typer.Option(help="only deadlines within this span, e.g. 24h")] = None,
    incident: Annotated[str | None, typer.Option(help="only this incident, e.g. IR-2026-0001")] = None,
    all_: Annotated[bool, typer.Option("--all", help="also closed and not applicable ones")] = False,
    json: JsonOpt = False,
) -> None:
    """Obligations, most urgent first; overdue ones in red.

    Example: ironwatch obligations list --due-within 24h
    """
    span = s.parse_span(due_within) if due_within else None
    with uow() as unit:
        now = unit.clock.now()
        rows = service.list_obligations(unit, due_within=span, incident=incident, include_inactive=all_)
        items = [s.ObligationOut.of(r, ref) for r, ref in rows]
    if json:
        emit_json(items)
        return
    table(
        f"Obligations ({len(items)})",
        ["Id", "Incident", "Due in", "Duty (phase)", "Recipient", "Citation"],
        [
            [
                o.id,
                o.ref,
                _due_cell(o, now),
                f"{o.title} ({o.next_phase or o.status})",
                o.recipient.get("name"),
                o.citation,
            ]
            for o in items
        ],
    )


@app.command("facts")
@handle_errors
def facts(
    key: Annotated[str, typer.Argument(help="incident reference, e.g. IR-2026-0001")],
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="key=value, repeatable; an empty value unsets it")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Show or record the facts that decide the incident's notification duties.

    Example: ironwatch obligations facts IR-2026-0001 --set personal_data=yes --set records=10000
    --set subject_jurisdictions=EU --set awareness_at=2026-03-02T08:30:00Z
    """
    changed: list[s.ObligationOut] = []
    if set_:
        pairs = {}
        for item in set_:
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise ValidationError(f"{item!r} is not key=value", hint="e.g. --set personal_data=yes")
            pairs[name.strip()] = value
        with uow(write=True) as unit:
            view, touched = service.set_facts(unit, key, pairs)
            changed = [s.ObligationOut.of(o, view.ref) for o in touched]
            unit.commit()
    else:
        with uow() as unit:
            view = service.incident_facts(unit, key)
    out = s.FactsOut.of(view)
    if json:
        emit_json(s.FactsResult(facts=out, obligations_changed=changed))
        return
    table(
        f"Facts of {out.ref}",
        ["Fact", "Value", "From"],
        [[name, _plain(value), out.sources.get(name, "")] for name, value in sorted(out.effective.items())],
    )
    for o in changed:
        console.print(
            f"obligation [bold]{o.title}[/] ({o.duty_id}): {o.status}, next deadline {when(o.next_deadline)}"
        )


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


@app.command("questions")
@handle_errors
def questions(key: Annotated[str, typer.Argument(help="incident reference")], json: JsonOpt = False) -> None:
    """The facts still needed to decide the incident's duties or start their clocks.

    Example: ironwatch obligations questions IR-2026-0001
    """
    with uow() as unit:
        asked = [s.QuestionOut.of(q) for q in service.incident_questions(unit, key)]
    if json:
        emit_json(asked)
        return
    if not asked:
        console.print("nothing to ask: the facts decide every duty")
        return
    table(
        "Questions",
        ["Fact", "Question", "Answer with"],
        [[q.fact, f"{q.question} ({q.why}: {', '.join(q.duties)})", q.hint] for q in asked],
    )


@app.command("close")
@handle_errors
def close(
    obligation_id: Annotated[str, typer.Argument(help="obligation id (from `obligations list`)")],
    reference: Annotated[str, typer.Option(help="the recipient's reference or case number")],
    submitted_at: Annotated[str, typer.Option(help="when it was sent, ISO 8601 with zone")],
    to: Annotated[str, typer.Option(help="who received it, e.g. 'ICO breach portal'")],
    summary: Annotated[str, typer.Option(help="what was sent")] = "",
    phase: Annotated[str | None, typer.Option(help="the phase submitted (default: the next one due)")] = None,
    file: Annotated[
        Path | None,
        typer.Option(help="a copy of what was sent, kept as evidence", exists=True, dir_okay=False),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Record the submission of a phase with its evidence; the last required phase closes the obligation.

    Example: ironwatch obligations close 0197... --reference ICO-123 --submitted-at 2026-03-03T10:00Z --to ICO
    """
    data = s.SubmissionIn.model_validate(
        {
            "submitted_at": _time(submitted_at, "--submitted-at"),
            "to": to,
            "reference": reference,
            "summary": summary,
            "phase": phase,
        }
    )
    runtime = state.runtime
    with uow(write=True) as unit:
        attachment_id = None
        if file is not None:
            with file.open("rb") as stream:
                attachment_id = evidence.attach_submission_copy(
                    unit,
                    obligation_id,
                    stream,
                    filename=file.name,
                    content_type=mimetypes.guess_type(file.name)[0],
                    blobs=runtime.attachments,
                    max_bytes=runtime.settings.report_max_attachment_bytes,
                )
        row, _ = service.record_submission(
            unit,
            obligation_id,
            submitted_at=data.submitted_at,
            to=data.to,
            reference=data.reference,
            summary=data.summary,
            phase=data.phase,
            attachment_id=attachment_id,
        )
        out = s.ObligationOut.of(row, service.find_obligation(unit, obligation_id)[1].ref)
        unit.commit()
    if json:
        emit_json(out)
    elif out.status == "closed":
        console.print(f"closed [bold]{out.title}[/] ({out.ref})")
    else:
        console.print(f"recorded; next: {out.next_phase} due {when(out.next_deadline)}")


@app.command("not-applicable")
@handle_errors
def not_applicable(
    obligation_id: Annotated[str, typer.Argument(help="obligation id")],
    reason: Annotated[str, typer.Option(help="why the duty does not apply (kept on record)")],
) -> None:
    """Set a duty aside with the reason, e.g. a breach assessed as unlikely to result in a risk."""
    with uow(write=True) as unit:
        row = service.mark_not_applicable(unit, obligation_id, reason)
        unit.commit()
    console.print(f"{row.title}: not applicable ({row.status_reason})")


def export_external(
    key: Annotated[str, typer.Argument(help="incident reference")],
    format: Annotated[str, typer.Option(help="enisa (JSON), stix (STIX 2.1) or regulator")] = "enisa",
    obligation: Annotated[
        str | None, typer.Option(help="with --format regulator: one obligation (default: all open ones)")
    ] = None,
    html: Annotated[bool, typer.Option("--html", help="with --format regulator: HTML, not Markdown")] = False,
    output: Annotated[Path | None, typer.Option(help="write to this file instead of standard output")] = None,
) -> None:
    """Export an incident for a CSIRT, partner or regulator; TLP:RED content is withheld (audited).

    Example: ironwatch incident export-external IR-2026-0001 --format stix --output ir-0001.json
    """
    with uow(write=True) as unit:
        if format == "enisa":
            text = orjson.dumps(external.enisa_summary(unit, key), option=orjson.OPT_INDENT_2).decode() + "\n"
        elif format == "stix":
            text = external.stix_bundle(unit, key) + "\n"
        elif format == "regulator":
            if obligation is None:
                _, rows = service.incident_obligations(unit, key)
                ids = [r.id for r in rows if r.status in ("open", "submitted")]
                if not ids:
                    raise ValidationError(
                        f"{key} has no open obligations", hint="see `obligations questions`"
                    )
            else:
                ids = [obligation]
            text = "\n".join(regulator.regulator_report(unit, i, "html" if html else "md") for i in ids)
        else:
            raise ValidationError(f"unknown format {format!r}", hint="use enisa, stix or regulator")
        unit.commit()
    if output is not None:
        output.write_text(text, encoding="utf-8")
        err_console.print(f"wrote {output}")
    else:
        typer.echo(text, nl=False)


export_external_command = handle_errors(export_external)
