"""Load a playbook file, reporting every problem at once with its file, line and path.

Beyond the schema, a playbook is checked against the installed connectors: every ``action`` must
name one, every input must be one it takes, required inputs must be given, and every template and
expression is tried on a sample incident, so a typo is caught by ``playbook validate`` rather than
in the middle of an incident.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic

from ironwatch.core.errors import SourceLocation
from ironwatch.plan.loader import dotted, validation_problems
from ironwatch.plan.problems import PlanError, PlanProblem
from ironwatch.plan.yaml_source import LocatedDocument, parse_located_yaml
from ironwatch.respond.connectors.registry import connectors
from ironwatch.respond.playbook import Playbook, Step
from ironwatch.respond.templating import TemplateProblem, evaluate, items_of, render_value, sample_context

MAX_PLAYBOOK_CHARS = 500_000


class PlaybookError(PlanError):
    """A playbook file has problems; ``problems`` lists every one, in file order."""

    title = "Invalid playbook"


def read_playbook_file(path: str | Path) -> str:
    source = str(path)
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlaybookError(
            [_problem(source, "the playbook file does not exist", "check the path")]
        ) from None
    except (UnicodeDecodeError, OSError) as exc:
        raise PlaybookError(
            [_problem(source, f"cannot read the playbook file: {exc}", "save it as UTF-8")]
        ) from None


def parse_playbook(text: str, *, source: str = "playbook.yaml") -> Playbook:
    """Validate playbook YAML ``text``; ``source`` names the file in problem locations."""
    if len(text) > MAX_PLAYBOOK_CHARS:
        raise PlaybookError(
            [_problem(source, "the playbook is too long", f"keep it under {MAX_PLAYBOOK_CHARS}")]
        )
    document, problems = parse_located_yaml(text, source=source)
    if document is None:
        raise PlaybookError(problems)
    if not isinstance(document.data, dict):
        hint = "start from a playbook of the starter library (`ironwatch playbook show ransomware --yaml`)"
        problems.append(
            PlanProblem(document.locate(()), "a playbook is a mapping (id:, name:, phases:)", hint)
        )
        raise PlaybookError(problems)
    try:
        playbook = Playbook.model_validate(document.data)
    except pydantic.ValidationError as exc:
        problems.extend(validation_problems(exc, document, Playbook))
        raise PlaybookError(problems) from None
    problems.extend(_connector_problems(playbook, document))
    if problems:
        raise PlaybookError(problems)
    return playbook


def _problem(source: str, message: str, hint: str) -> PlanProblem:
    return PlanProblem(SourceLocation(source), message, hint)


def _connector_problems(playbook: Playbook, document: LocatedDocument) -> list[PlanProblem]:
    known = connectors()
    context = sample_context()
    found: list[PlanProblem] = []
    for path, step in playbook.phases.located():
        at = ("phases", *path)

        def problem(
            where: tuple[str | int, ...],
            message: str,
            hint: str | None = None,
            at: tuple[str | int, ...] = at,
        ) -> None:
            found.append(PlanProblem(document.locate((*at, *where)), message, hint, dotted((*at, *where))))

        try:
            _try_step(step, context)
        except TemplateProblem as exc:
            problem((), f"{dotted(at)}: {exc}", "names available: incident.<field>, observables.<type>, item")
        if step.action is None:
            continue
        cls = known.get(step.action)
        if cls is None:
            problem(("action",), f"unknown action {step.action!r}", f"use one of: {', '.join(sorted(known))}")
            continue
        fields = cls.inputs_model.model_fields
        for name in step.inputs:
            if name not in fields:
                problem(
                    ("inputs", name),
                    f"{step.action} takes no input {name!r}",
                    f"it takes: {', '.join(fields)}",
                )
        for name, info in fields.items():
            if info.is_required() and name not in step.inputs:
                problem(("inputs",), f"{step.action} needs the input {name!r}", f"add '{name}:' under inputs")
    return found


def _try_step(step: Step, context: dict[str, Any]) -> None:
    if step.when is not None:
        evaluate(step.when, context)
    items = items_of(step.for_each, context) if step.for_each else [None]
    for item in items[:1]:
        render_value(step.inputs, {**context, "item": item})
