"""``ironwatch plan ...``: write, validate, apply, show, compare, score and print the response plan."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import orjson
import typer
from rich.markup import escape
from rich.text import Text

from ironwatch.cli.context import console, emit_json, handle_errors, table, uow, when
from ironwatch.core.clock import SystemClock
from ironwatch.core.errors import ConflictError, ValidationError
from ironwatch.plan import imports, service
from ironwatch.plan import schemas as s
from ironwatch.plan.csv_import import read_csv_text
from ironwatch.plan.diff import PlanChange
from ironwatch.plan.loader import parse_plan, read_plan_file
from ironwatch.plan.models import Plan
from ironwatch.plan.readiness import READINESS_FORMULA, check_readiness
from ironwatch.plan.starter import init_plan_text
from ironwatch.settings import Settings

app = typer.Typer(
    help="The incident response plan: init, validate, apply, show, diff, history, render, check, imports.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
VersionOpt = Annotated[
    int | None, typer.Option("--version", "-v", min=1, help="a version number; default: the plan in force")
]
NoteOpt = Annotated[str, typer.Option("--note", "-m", help="why this version, kept in the history")]
SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
FORMATS: dict[str, Literal["md", "html", "pdf"]] = {
    ".md": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}


def _value(value: Any, limit: int = 70) -> str:
    """A plan value in one short line (JSON for mappings and lists)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _changes_table(title: str, changes: list[PlanChange]) -> None:
    table(
        title,
        ["Path", "Change", "Before", "After"],
        [[c.path, c.kind, _value(c.before), _value(c.after)] for c in changes],
    )


def _summary_counts(summary: dict[str, Any]) -> str:
    if summary.get("previous") is None:
        return "first version"
    return f"+{summary['added']} -{summary['removed']} ~{summary['changed']}"


def _plan_facts(plan: Plan) -> list[tuple[str, object]]:
    return [
        ("organisation", plan.organisation.name),
        ("document version", plan.document.version),
        ("approved by", plan.document.approved_by or "not yet approved"),
        ("people", len(plan.team.people)),
        ("roles", len(plan.team.roles)),
        ("categories", len(plan.classification.effective_categories)),
        ("priorities", ", ".join(p.id for p in plan.priority.priorities)),
        ("assets", len(plan.assets)),
        ("data types", len(plan.data_types)),
        ("stakeholders", len(plan.stakeholders)),
        ("courses", len(plan.training.courses)),
    ]


@app.command("init")
@handle_errors
def init(
    org: Annotated[
        str | None, typer.Option(help="the organisation's name; default IRONWATCH_ORG_NAME")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write here instead of stdout")
    ] = None,
    force: Annotated[bool, typer.Option(help="overwrite an existing --output file")] = False,
) -> None:
    """Write the commented starter plan to adapt.

    Example: ironwatch plan init --org "Acme Ltd" --output plan.yaml
    """
    text = init_plan_text(org if org is not None else Settings().org_name)
    if output is None:
        sys.stdout.write(text)
        return
    if output.exists() and not force:
        raise ConflictError(
            f"{output} already exists", hint="choose another --output, or add --force to overwrite it"
        )
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"cannot write {output}: {exc.strerror}", hint="check the path") from None
    console.print(
        f"wrote the starter plan to [bold]{escape(str(output))}[/]; edit it, then "
        f"`ironwatch plan validate {escape(str(output))}` and `ironwatch plan apply {escape(str(output))}`",
        highlight=False,
    )


@app.command("validate")
@handle_errors
def validate(file: Annotated[Path, typer.Argument(help="the plan YAML file")]) -> None:
    """Check a plan file; list every problem with file:line:column and a hint (exit 2).

    Example: ironwatch plan validate plan.yaml
    """
    plan = parse_plan(read_plan_file(file), source=str(file))
    result = check_readiness(plan, now=SystemClock().now())
    console.print(f"[green]{escape(str(file))} is a valid plan[/]", highlight=False)
    table("Plan", ["", "value"], _plan_facts(plan))
    console.print(f"readiness score {result.score}/100 with {len(result.gaps)} gaps (`ironwatch plan check`)")


@app.command("apply")
@handle_errors
def apply(
    file: Annotated[Path, typer.Argument(help="the plan YAML file")],
    note: NoteOpt = "",
    json: JsonOpt = False,
) -> None:
    """Validate a plan file and make it the plan in force (a new version; history is kept).

    Example: ironwatch plan apply plan.yaml --note "new on-call rota for Q3"
    """
    text = read_plan_file(file)
    with uow(write=True) as unit:
        info, changes = service.apply_plan(unit, text, source=str(file), note=note)
        unit.commit()
    _report_applied(str(file), info, changes, json=json)


def _report_applied(what: str, info: service.VersionInfo, changes: list[PlanChange], *, json: bool) -> None:
    if json:
        emit_json(
            s.AppliedOut(
                version=s.VersionOut.model_validate(info), changes=[s.ChangeOut.of(c) for c in changes]
            )
        )
        return
    if info.summary.get("previous") is None:
        console.print(
            f"applied [bold]{escape(what)}[/] as plan version {info.version} (the first)", highlight=False
        )
        return
    _changes_table(f"Changes from version {info.summary['previous']} to {info.version}", changes)
    if not changes:
        console.print("only comments or layout changed; the plan's content is the same")
    console.print(
        f"applied [bold]{escape(what)}[/] as plan version {info.version} ({_summary_counts(info.summary)})",
        highlight=False,
    )


@app.command("show")
@handle_errors
def show(
    version: VersionOpt = None,
    json: JsonOpt = False,
    yaml: Annotated[bool, typer.Option("--yaml", help="print the YAML text exactly as applied")] = False,
) -> None:
    """Show the plan in force (or --version N): a summary, the JSON, or the YAML text.

    Example: ironwatch plan show --yaml > plan.yaml
    """
    if json and yaml:
        raise ValidationError("--json and --yaml exclude each other", hint="choose one")
    with uow() as unit:
        found = service.get_version(unit, version)
    if yaml:
        sys.stdout.write(found.text)
        return
    info = s.VersionOut.model_validate(found.info)
    if json:
        emit_json(s.CurrentPlanOut(version=info, plan=found.plan.model_dump(mode="json")))
        return
    facts: list[tuple[str, object]] = [
        ("version", info.version),
        ("applied", f"{when(info.applied_at)} by {info.applied_by}"),
        ("source", info.source),
        ("note", info.note),
        ("sha256", info.sha256),
        *_plan_facts(found.plan),
    ]
    table(f"Plan version {info.version}", ["", "value"], facts)


@app.command("history")
@handle_errors
def history(json: JsonOpt = False) -> None:
    """List every applied version, newest first. Example: ironwatch plan history"""
    with uow() as unit:
        versions = [s.VersionOut.model_validate(v) for v in service.list_versions(unit)]
    if json:
        emit_json(versions)
        return
    if not versions:
        console.print(f"no plan has been applied yet; {service.NO_PLAN_HINT}", highlight=False, markup=False)
        return
    table(
        "Plan versions",
        ["Version", "Applied", "By", "Source", "Changes", "Note"],
        [
            [v.version, when(v.applied_at), v.applied_by, v.source, _summary_counts(v.summary), v.note]
            for v in versions
        ],
    )


@app.command("diff")
@handle_errors
def diff(
    old: Annotated[int, typer.Argument(min=1, help="a version number")],
    new: Annotated[int, typer.Argument(min=1, help="another version number")],
    json: JsonOpt = False,
) -> None:
    """Show what changed between two versions. Example: ironwatch plan diff 1 3"""
    with uow() as unit:
        changes = service.diff_versions(unit, old, new)
    if json:
        emit_json(s.DiffOut(from_version=old, to_version=new, changes=[s.ChangeOut.of(c) for c in changes]))
        return
    if not changes:
        console.print(f"versions {old} and {new} hold the same plan")
        return
    _changes_table(f"Changes from version {old} to {new}", changes)


@app.command("render")
@handle_errors
def render(
    output: Annotated[Path, typer.Option("--output", "-o", help="the file to write")],
    format: Annotated[
        str | None, typer.Option("--format", "-f", help="md, html or pdf; default: from the file name")
    ] = None,
    version: VersionOpt = None,
) -> None:
    """Print the policy document of the plan as Markdown, HTML or PDF.

    Example: ironwatch plan render --format pdf --output incident-response-policy.pdf
    """
    chosen = format.lower() if format else FORMATS.get(output.suffix.lower())
    if chosen not in ("md", "html", "pdf"):
        raise ValidationError(
            f"unknown document format {format or output.suffix or '(none)'!r}",
            hint="give --format md, html or pdf (or an output file ending in .md, .html or .pdf)",
        )
    with uow() as unit:
        number = version if version is not None else service.get_version(unit).info.version
        content = service.render_document(unit, cast(Literal["md", "html", "pdf"], chosen), version=number)
    try:
        output.write_bytes(content)
    except OSError as exc:
        raise ValidationError(f"cannot write {output}: {exc.strerror}", hint="check the path") from None
    console.print(
        f"wrote plan version {number} as {chosen} to [bold]{escape(str(output))}[/] ({len(content)} bytes)"
    )


@app.command("check")
@handle_errors
def check(
    horizon_days: Annotated[
        int, typer.Option(min=1, max=366, help="how many days ahead on-call cover is checked")
    ] = 7,
    json: JsonOpt = False,
) -> None:
    """Readiness of the plan in force: the gaps, most severe first, and the score.

    Example: ironwatch plan check --json
    """
    with uow() as unit:
        info, result = service.readiness(unit, horizon_days=horizon_days)
    out = s.ReadinessOut.of(info, result)
    if json:
        emit_json(out)
        return
    table(
        f"Readiness gaps of plan version {out.version}",
        ["Severity", "Check", "Gap", "Fix", "Where"],
        [
            [Text(g.severity, style=SEVERITY_STYLE[g.severity]), g.check, g.message, g.hint, g.path]
            for g in out.gaps
        ],
    )
    table(
        "Checks",
        ["Check", "Weight", "Ratio", "Points"],
        [[c.check, c.weight, f"{c.ratio:.2f}", f"{c.weight * c.ratio:.1f}"] for c in out.checks],
    )
    total = sum(c.weight for c in out.checks)
    console.print(f"readiness score [bold]{out.score}[/]/100", highlight=False)
    console.print(f"{READINESS_FORMULA} (the weights add up to {total})", highlight=False, markup=False)


CsvArg = Annotated[Path, typer.Argument(help="the CSV file (comma or semicolon separated, UTF-8)")]


@app.command("import-assets")
@handle_errors
def import_assets(file: CsvArg, note: NoteOpt = "", json: JsonOpt = False) -> None:
    """Merge an asset inventory into the plan as a new version (rows replace assets of the same name).

    Columns: name,kind,criticality,owner[,addresses,data_types,description]; list cells split on ';'.
    Example: ironwatch plan import-assets assets.csv
    """
    text = read_csv_text(file)
    with uow(write=True) as unit:
        info, changes = imports.import_assets(unit, text, source=str(file), note=note)
        unit.commit()
    _report_applied(f"the assets in {file}", info, changes, json=json)


@app.command("import-training")
@handle_errors
def import_training(file: CsvArg, note: NoteOpt = "", json: JsonOpt = False) -> None:
    """Add training completions to the plan as a new version (records already there are skipped).

    Columns: person,course,completed_on (YYYY-MM-DD), with person and course ids from the plan.
    Example: ironwatch plan import-training completions.csv
    """
    text = read_csv_text(file)
    with uow(write=True) as unit:
        info, changes = imports.import_completions(unit, text, source=str(file), note=note)
        unit.commit()
    _report_applied(f"the completions in {file}", info, changes, json=json)
