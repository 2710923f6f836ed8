"""``ironwatch rules ...``: load, list, show, enable, disable, lint and test Sigma detection rules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ironwatch.cli.context import console, emit_json, handle_errors, state, table, uow, when
from ironwatch.core.errors import NotFoundError
from ironwatch.detect import rule_catalog, rule_loading, rule_testing
from ironwatch.detect import schemas as s
from ironwatch.detect.sigma.loader import rule_files
from ironwatch.ingest.importer import check_format
from ironwatch.ingest.parsers import read_log_file
from ironwatch.ingest.service import source_zone

app = typer.Typer(
    help="Sigma detection rules: load them into the rule set serve runs, list, switch, lint and test them.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


def _problems(title: str, problems: list[s.ProblemOut]) -> None:
    if problems:
        table(
            title,
            ["File", "Rule", "Reason"],
            [
                [f"{p.path}:{p.line}" if p.line else p.path, p.title or p.rule_id, " ".join(p.reason.split())]
                for p in problems
            ],
        )


@app.command("load")
@handle_errors
def load(
    paths: Annotated[list[Path], typer.Argument(help="rule files or directories (SigmaHQ layout)")],
    json: JsonOpt = False,
) -> None:
    """Load rule files into the rule set (a file loaded before is replaced; unchanged files are skipped).

    Every rule that does not compile is kept as a failed rule and listed with file and reason
    (exit 1 when any failed; the rules that compiled are loaded all the same).
    Example: ironwatch rules load ./sigma/rules/linux ./my-rules/ssh.yml
    """
    sources, unreadable = rule_loading.read_sources(paths)
    total = len(sources) + len(unreadable)
    columns = (TextColumn("[bold]loading rules"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=json) as progress:
        task = progress.add_task("load", total=total)
        with uow(write=True) as unit:
            summary = rule_loading.load_rule_sources(
                unit,
                sources,
                origin="path",
                unreadable=unreadable,
                progress=lambda _path: progress.advance(task),
                cache_dir=state.runtime.rule_cache,
            )
            unit.commit()
    out = s.LoadOut.of(summary)
    if json:
        emit_json(out)
    else:
        _problems("Rules that did not compile", out.problems)
        console.print(
            f"{out.files} files ({out.unchanged_files} unchanged): [green]{out.compiled} compiled[/] "
            f"({out.correlations} correlations), [red]{out.failed} failed[/], {out.set_aside} set aside "
            f"(deprecated or unsupported); {out.added} added, {out.updated} updated, {out.removed} removed "
            f"in {out.seconds:.1f}s"
        )
    if out.failed:
        raise typer.Exit(1)


@app.command("list")
@handle_errors
def list_(
    state_: Annotated[
        s.RuleState | None, typer.Option("--state", help="compiled, failed, deprecated, unsupported")
    ] = None,
    level: Annotated[s.Level | None, typer.Option()] = None,
    enabled: Annotated[
        bool | None, typer.Option("--enabled/--disabled", help="only enabled or disabled")
    ] = None,
    origin: Annotated[str | None, typer.Option(help="builtin, path or upload")] = None,
    search: Annotated[str | None, typer.Option(help="in id, title or path")] = None,
    limit: Annotated[int, typer.Option(min=1, max=5000)] = 100,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    json: JsonOpt = False,
) -> None:
    """List stored rules. Example: ironwatch rules list --state failed"""
    flt = s.RuleFilter.model_validate(
        {
            "state": state_,
            "level": level,
            "enabled": enabled,
            "origin": origin,
            "text": search,
            "limit": limit,
            "offset": offset,
        }
    )
    with uow() as unit:
        total, rows = rule_catalog.list_rules(unit, flt)
        items = [s.RuleOut.model_validate(row) for row in rows]
    if json:
        emit_json(s.RulePage(total=total, limit=limit, offset=offset, items=items))
        return
    table(
        f"Rules ({len(items)} of {total})",
        ["Id", "State", "On", "Level", "Title", "Source", "Why"],
        [
            [
                r.rule_id,
                r.state,
                "yes" if r.enabled else "no",
                r.level,
                r.title,
                f"{r.source_path}:{r.line}" if r.line else r.source_path,
                r.error or r.change_reason,
            ]
            for r in items
        ],
    )


@app.command("show")
@handle_errors
def show(
    rule_id: Annotated[str, typer.Argument(help="the rule's id")],
    yaml: Annotated[bool, typer.Option("--yaml", help="print only the rule file's text")] = False,
    json: JsonOpt = False,
) -> None:
    """One rule: compile result, who switched it and why, and its text. Example: ironwatch rules show ID"""
    with uow() as unit:
        rule = s.RuleDetailOut.model_validate(rule_catalog.get_rule(unit, rule_id))
    if json:
        emit_json(rule)
        return
    if yaml:
        console.print(rule.text, markup=False, highlight=False)
        return
    console.print(f"[bold]{escape(rule.title)}[/] ({escape(rule.rule_id)})")
    console.print(f"  {rule.kind} rule, level {rule.level}, status {rule.status}, logsource {rule.logsource}")
    console.print(
        f"  state: {rule.state}" + (f": {escape(rule.error)}" if rule.error else ""), highlight=False
    )
    console.print(f"  enabled: {'yes' if rule.enabled else 'no'}", highlight=False)
    if rule.changed_by:
        console.print(
            f"  switched by {escape(rule.changed_by)} at {when(rule.changed_at)}: "
            + escape(rule.change_reason)
        )
    where = f"{rule.source_path}:{rule.line}" if rule.line else rule.source_path
    console.print(
        f"  from {escape(where)} ({rule.origin}), loaded {when(rule.loaded_at)} by {rule.loaded_by}"
    )
    for note in rule.notes:
        console.print(f"  note: {escape(note)}")
    if rule.tags:
        console.print(f"  tags: {', '.join(rule.tags)}")


@app.command("enable")
@handle_errors
def enable(
    rule_id: Annotated[str, typer.Argument(help="the rule's id")],
    reason: Annotated[str, typer.Option(help="why (kept with the rule)")] = "",
) -> None:
    """Enable a rule; serve runs it within seconds. Example: ironwatch rules enable ID --reason "tuned" """
    with uow(write=True) as unit:
        row = rule_catalog.set_rule_enabled(unit, rule_id, enabled=True, reason=reason)
        title = row.title
        unit.commit()
    console.print(f"enabled {rule_id}: {escape(title)}")


@app.command("disable")
@handle_errors
def disable(
    rule_id: Annotated[str, typer.Argument(help="the rule's id")],
    reason: Annotated[
        str, typer.Option(help="why (required; kept with the rule and in the audit trail)")
    ] = "",
) -> None:
    """Disable a rule; serve stops running it within seconds.

    Example: ironwatch rules disable ID --reason "noisy on the build servers, see IR-2026-0012"
    """
    with uow(write=True) as unit:
        row = rule_catalog.set_rule_enabled(unit, rule_id, enabled=False, reason=reason)
        title = row.title
        unit.commit()
    console.print(f"disabled {rule_id}: {escape(title)}")


@app.command("lint")
@handle_errors
def lint(
    paths: Annotated[list[Path], typer.Argument(help="rule files or directories")],
    json: JsonOpt = False,
) -> None:
    """Check rule files without loading them (needs no database); exit 1 if any rule fails.

    Example: ironwatch rules lint ./my-rules
    """
    sources, unreadable = rule_loading.read_sources(paths)
    out = rule_testing.lint_sources(sources)
    for path, reason in unreadable:
        out.failed += 1
        out.files += 1
        out.problems.append(s.ProblemOut(path=path, line=None, rule_id="", title="", reason=reason))
    if json:
        emit_json(out)
    else:
        _problems("Rules that do not compile", out.problems)
        _problems("Notes", out.notes)
        console.print(
            f"{out.files} files: [green]{out.compiled} compile[/] ({out.correlations} correlations), "
            f"[red]{out.failed} fail[/], {out.set_aside} set aside (deprecated or unsupported)"
        )
    if out.failed:
        raise typer.Exit(1)


@app.command("test")
@handle_errors
def test(
    rule: Annotated[str, typer.Argument(help="a stored rule's id, or a rule file (tested without loading)")],
    events_file: Annotated[Path, typer.Argument(help="NDJSON of flat events, or any log file ingest reads")],
    format: Annotated[
        str, typer.Option("--format", "-f", help="log format of EVENTS_FILE, or auto")
    ] = "auto",
    only_matches: Annotated[bool, typer.Option("--matches", help="show only the events that match")] = False,
    json: JsonOpt = False,
) -> None:
    """Explain per event why the rule matches or not (exit 1 when nothing matched).

    Examples:
      ironwatch rules test 5f1a...e2 /var/log/auth.log
      ironwatch rules test ./ssh-failed.yml samples.ndjson --matches
    """
    check_format(format)
    if not events_file.is_file():
        raise NotFoundError(f"no such file: {events_file}", hint="give a readable events or log file")
    runtime = state.runtime
    items = read_log_file(events_file, format=format, tz=source_zone(runtime.settings), clock=runtime.clock)
    candidate = Path(rule)
    if candidate.is_file() and candidate.suffix in (".yml", ".yaml") and rule_files([candidate]):
        out = rule_testing.explain_on_events(
            rule_testing.rule_from_text(str(candidate), candidate.read_text(encoding="utf-8")), items
        )
    else:
        with uow() as unit:
            out = rule_testing.explain_stored_rule(unit, rule, items)
    if json:
        emit_json(out)
    else:
        for verdict in out.verdicts:
            if only_matches and not verdict.matched:
                continue
            mark = "[green]MATCH[/]" if verdict.matched else "[dim]no match[/]"
            console.print(f"#{verdict.index} {mark} {escape(verdict.summary)}", highlight=False)
            console.print(_tree(verdict.explanation), markup=False, highlight=False)
        console.print(
            f"{escape(out.title)}: {out.matched} of {out.events} events match"
            + (f" ({out.failures} lines could not be parsed)" if out.failures else "")
        )
    if not out.matched:
        raise typer.Exit(1)


def _tree(node: s.ExplanationOut, indent: int = 1) -> str:
    lines = [f"{'  ' * indent}[{'x' if node.matched else ' '}] {node.label}: {node.reason}"]
    lines.extend(_tree(child, indent + 1) for child in node.children)
    return "\n".join(lines)
