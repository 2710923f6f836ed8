"""``ironwatch review ...``: the post-incident review, its action items and participants' feedback."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from ironwatch.cli.context import console, emit_json, handle_errors, table, uow, when
from ironwatch.cli.timeline import parse_time
from ironwatch.core.errors import ValidationError
from ironwatch.review import schemas as s
from ironwatch.review import service

app = typer.Typer(
    help="Post-incident reviews: start, write, collect feedback, track action items, complete.",
    no_args_is_help=True,
)
items = typer.Typer(help="Action items of a review: add and close them.", no_args_is_help=True)
app.add_typer(items, name="item")
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
Ref = Annotated[str, typer.Argument(help="the incident's reference, e.g. IR-2026-0001")]


def _print_review(r: s.ReviewOut) -> None:
    console.print(f"[bold]Review of {r.incident}[/] ({r.status}; incident {r.incident_status})")
    console.print(f"started {when(r.started_at)} by {r.started_by}", highlight=False)
    if r.completed_at:
        console.print(f"completed {when(r.completed_at)} by {r.completed_by}", highlight=False)
    for label, value in (("Summary", r.summary), ("Root cause", r.root_cause)):
        console.print(f"[bold]{label}:[/] ", end="")
        console.print(value or "-", markup=False, highlight=False)
    if r.root_cause_category:
        console.print(f"root cause category: {r.root_cause_category}", markup=False)
    for label, values in (
        ("Highlights", r.highlights),
        ("Contributing factors", r.contributing_factors),
        ("Went well", r.went_well),
        ("To improve", r.to_improve),
    ):
        if values:
            table(label, ["#", label], [[i, v] for i, v in enumerate(values, start=1)])
    impact = [
        r.hours_spent,
        r.systems_affected,
        r.records_affected,
        f"{r.cost} {r.currency}" if r.cost else None,
    ]
    table("Impact and cost", ["Hours", "Systems", "Records", "Cost"], [impact])
    console.print(f"ATT&CK techniques: {' '.join(r.techniques) or '-'}", markup=False, highlight=False)
    if r.decisions:
        table(
            "Decisions reviewed",
            ["Decision", "In hindsight"],
            [[d.decision, d.assessment] for d in r.decisions],
        )
    if r.detection_gaps:
        table(
            "Detection gaps",
            ["Step", "Technique", "Undetected (h)"],
            [
                [g.step, g.technique, "never" if g.detected_at is None else g.undetected_hours]
                for g in r.detection_gaps
            ],
        )
    if r.training_needs:
        table(
            "Training needs",
            ["Course", "Title", "Roles", "People"],
            [[n.course, n.title, ", ".join(n.roles), ", ".join(n.people)] for n in r.training_needs],
        )
    table(
        "Action items",
        ["Item", "What", "Owner", "Due", "Status"],
        [
            [a.label, a.title, a.owner, when(a.due_at), a.status + (" (overdue)" if a.overdue else "")]
            for a in r.action_items
        ],
    )
    if r.feedback:
        table(
            "Feedback",
            ["Participant", "Rating", "Went well", "To improve"],
            [[f.participant, f.rating, f.went_well, f.to_improve] for f in r.feedback],
        )


@app.command("start")
@handle_errors
def start(ref: Ref, json: JsonOpt = False) -> None:
    """Start the review of an incident (a draft; ATT&CK techniques already known are filled in).

    Example: ironwatch review start IR-2026-0001
    """
    with uow(write=True) as unit:
        service.start_review(unit, ref)
        out = service.review_detail(unit, ref)
        unit.commit()
    emit_json(out) if json else console.print(f"started the review of [bold]{out.incident}[/]")


@app.command("show")
@handle_errors
def show(ref: Ref, json: JsonOpt = False) -> None:
    """Show the review with its action items and feedback. Example: ironwatch review show IR-2026-0001"""
    with uow() as unit:
        out = service.review_detail(unit, ref)
    emit_json(out) if json else _print_review(out)


def _fields_from_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValidationError(
            f"{path} is not valid YAML: {exc}", hint="check the file's indentation"
        ) from None
    if not isinstance(data, dict):
        raise ValidationError(
            f"{path} is not a mapping of review fields", hint="see docs/review.md for a template"
        )
    return data


@app.command("update")
@handle_errors
def update(
    ref: Ref,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", exists=True, dir_okay=False, help="YAML with any review fields"),
    ] = None,
    summary: Annotated[str | None, typer.Option()] = None,
    root_cause: Annotated[str | None, typer.Option()] = None,
    root_cause_category: Annotated[str | None, typer.Option(help="short key, e.g. phishing")] = None,
    highlight: Annotated[list[str] | None, typer.Option(help="replaces the highlights; repeatable")] = None,
    factor: Annotated[list[str] | None, typer.Option(help="contributing factor; repeatable")] = None,
    went_well: Annotated[list[str] | None, typer.Option(help="repeatable")] = None,
    to_improve: Annotated[list[str] | None, typer.Option(help="repeatable")] = None,
    technique: Annotated[list[str] | None, typer.Option(help="ATT&CK technique observed; repeatable")] = None,
    hours: Annotated[float | None, typer.Option(help="people-hours spent on the response")] = None,
    systems: Annotated[int | None, typer.Option(help="systems affected")] = None,
    records: Annotated[int | None, typer.Option(help="records affected")] = None,
    cost: Annotated[int | None, typer.Option(help="estimated cost, whole units")] = None,
    currency: Annotated[str | None, typer.Option(help="ISO 4217 code, e.g. EUR")] = None,
    json: JsonOpt = False,
) -> None:
    """Write parts of a draft review; lists given replace the lists. A YAML file can hold every field
    (decisions, detection gaps, training needs...); options override it.

    Example: ironwatch review update IR-2026-0001 --root-cause "MFA not enforced on VPN"
    --root-cause-category weak-authentication --went-well "Containment within the hour" -f review.yaml
    """
    fields: dict[str, Any] = _fields_from_file(file) if file else {}
    options = {
        "summary": summary,
        "root_cause": root_cause,
        "root_cause_category": root_cause_category,
        "highlights": highlight,
        "contributing_factors": factor,
        "went_well": went_well,
        "to_improve": to_improve,
        "techniques": technique,
        "hours_spent": hours,
        "systems_affected": systems,
        "records_affected": records,
        "cost": cost,
        "currency": currency,
    }
    fields.update({k: v for k, v in options.items() if v is not None})
    if not fields:
        raise ValidationError("nothing to update", hint="give options or --file review.yaml")
    data = s.ReviewFields.model_validate(fields)
    with uow(write=True) as unit:
        service.update_review(unit, ref, data)
        out = service.review_detail(unit, ref)
        unit.commit()
    emit_json(out) if json else console.print(f"updated the review of [bold]{out.incident}[/]")


@app.command("feedback")
@handle_errors
def feedback(
    ref: Ref,
    rating: Annotated[int | None, typer.Option(min=1, max=5, help="1 (poorly) to 5 (very well)")] = None,
    went_well: Annotated[str, typer.Option()] = "",
    to_improve: Annotated[str, typer.Option()] = "",
) -> None:
    """Give your feedback on the response as a participant (again: replaces yours).

    Example: ironwatch --as sam review feedback IR-2026-0001 --rating 4 --to-improve "Runbook was outdated"
    """
    data = s.FeedbackCreate(rating=rating, went_well=went_well, to_improve=to_improve)
    with uow(write=True) as unit:
        row = service.give_feedback(unit, ref, data)
        unit.commit()
    console.print(f"recorded the feedback of {row.participant}", markup=False)


@app.command("complete")
@handle_errors
def complete(ref: Ref, json: JsonOpt = False) -> None:
    """Complete the review: its training needs go into the plan and the incident becomes reviewed.

    Example: ironwatch review complete IR-2026-0001
    """
    with uow(write=True) as unit:
        _, version = service.complete_review(unit, ref)
        out = service.review_detail(unit, ref)
        unit.commit()
    if json:
        emit_json(out)
        return
    console.print(f"completed the review of [bold]{out.incident}[/]; the incident is {out.incident_status}")
    if version is not None:
        console.print(f"training needs added to the plan as version {version}")
    open_items = [a for a in out.action_items if a.status in ("open", "in_progress")]
    if open_items:
        console.print(f"{len(open_items)} action items stay open: `ironwatch action-items --open`")


@items.command("add")
@handle_errors
def item_add(
    ref: Ref,
    title: Annotated[str, typer.Argument(help="what is to be done")],
    owner: Annotated[str, typer.Option(help="who is responsible")],
    due: Annotated[str | None, typer.Option(help="due date/time, ISO 8601 with zone")] = None,
    json: JsonOpt = False,
) -> None:
    """Add an action item. Example: ironwatch review item add IR-2026-0001 "Enforce MFA on VPN" --owner alex
    --due 2026-04-01T00:00Z
    """
    data = s.ActionItemCreate(title=title, owner=owner, due_at=parse_time(due, "due"))
    with uow(write=True) as unit:
        row, incident = service.add_action_item(unit, ref, data)
        out = service.item_out(row, incident.ref, unit.clock.now())
        unit.commit()
    emit_json(out) if json else console.print(f"added [bold]{out.label}[/]: {out.title}", highlight=False)


@items.command("close")
@handle_errors
def item_close(
    ref: Ref,
    number: Annotated[int, typer.Argument(help="the item's number (A2 -> 2)")],
    resolution: Annotated[str, typer.Option(help="what was done, or why not")] = "",
    status: Annotated[
        s.ActionItemStatus, typer.Option(help="done, wont_do, or in_progress")
    ] = s.ActionItemStatus.DONE,
    json: JsonOpt = False,
) -> None:
    """Close an action item (or mark it in progress).

    Example: ironwatch review item close IR-2026-0001 1 --resolution "MFA enforced for all VPN users"
    """
    with uow(write=True) as unit:
        row, incident = service.update_action_item(
            unit, ref, number, s.ActionItemClose(status=status, resolution=resolution)
        )
        out = service.item_out(row, incident.ref, unit.clock.now())
        unit.commit()
    emit_json(out) if json else console.print(f"{out.label} is {out.status}")


@handle_errors
def action_items(
    open_: Annotated[bool, typer.Option("--open", help="only items not yet done or dropped")] = False,
    owner: Annotated[str | None, typer.Option(help="only this owner's")] = None,
    json: JsonOpt = False,
) -> None:
    """List the action items of every review, due first. Example: ironwatch action-items --open"""
    with uow() as unit:
        out = service.list_action_items(unit, open_only=open_, owner=owner)
    if json:
        emit_json(out)
        return
    table(
        f"Action items ({len(out)})",
        ["Item", "What", "Owner", "Due", "Status"],
        [
            [a.label, a.title, a.owner, when(a.due_at), a.status + (" (overdue)" if a.overdue else "")]
            for a in out
        ],
    )
