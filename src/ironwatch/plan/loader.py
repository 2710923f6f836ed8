"""Load a plan from YAML, reporting every problem at once with its line and column."""

from __future__ import annotations

import difflib
import types
import typing
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pydantic
from pydantic_core import ErrorDetails

from ironwatch.core.errors import SourceLocation
from ironwatch.plan.inconsistency import PlanInconsistencies
from ironwatch.plan.models import Plan
from ironwatch.plan.problems import PlanError, PlanProblem
from ironwatch.plan.yaml_source import LocatedDocument, parse_located_yaml

MAX_PLAN_CHARS = 5_000_000
LocPath = tuple[str | int, ...]


def load_plan(path: str | Path) -> Plan:
    """Read and validate the plan file at ``path``; raise ``PlanError`` listing every problem."""
    return parse_plan(read_plan_file(path), source=str(path))


def read_plan_file(path: str | Path) -> str:
    """The text of the plan file at ``path``; a missing, unreadable or non-UTF-8 file is a ``PlanError``."""
    source = str(path)
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError([_file_problem(source, "the plan file does not exist", "check the path")]) from None
    except UnicodeDecodeError as exc:
        hint = "save the file as UTF-8"
        raise PlanError(
            [_file_problem(source, f"the plan file is not UTF-8 text ({exc.reason})", hint)]
        ) from None
    except OSError as exc:
        hint = "check the path and its permissions"
        raise PlanError([_file_problem(source, f"cannot read the plan file: {exc.strerror}", hint)]) from None


def parse_plan(text: str, *, source: str = "plan.yaml") -> Plan:
    """Validate plan YAML ``text``; ``source`` names the file in problem locations."""
    if len(text) > MAX_PLAN_CHARS:
        message = f"the plan is {len(text)} characters long; the limit is {MAX_PLAN_CHARS}"
        raise PlanError([_file_problem(source, message, "a plan holds policy and team data, not logs")])
    document, problems = parse_located_yaml(text, source=source)
    if document is None:
        raise PlanError(problems)
    if not isinstance(document.data, dict):
        message = "the plan must be a mapping of sections (organisation:, document:, policy:, team:, ...)"
        problems.append(PlanProblem(document.locate(()), message, "start from the starter plan"))
        raise PlanError(problems)
    try:
        plan = Plan.model_validate(document.data)
    except pydantic.ValidationError as exc:
        problems.extend(validation_problems(exc, document))
    if problems:
        raise PlanError(problems)
    return plan


def _file_problem(source: str, message: str, hint: str) -> PlanProblem:
    return PlanProblem(SourceLocation(source), message, hint)


def dotted(path: LocPath) -> str:
    """``("team", "people", 2, "email")`` as ``team.people[2].email``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the plan"


def validation_problems(
    exc: pydantic.ValidationError, document: LocatedDocument, root: type[pydantic.BaseModel] = Plan
) -> list[PlanProblem]:
    """Pydantic's errors for ``document`` validated as ``root`` as located problems with hints.

    Other YAML files with a schema (playbooks) reuse this so their errors read like the plan's.
    """
    return [p for error in exc.errors(include_url=False) for p in _problems_from(error, document, root)]


def _problems_from(
    error: ErrorDetails, document: LocatedDocument, root: type[pydantic.BaseModel]
) -> list[PlanProblem]:
    loc: LocPath = tuple(error["loc"])
    kind = error["type"]
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, PlanInconsistencies):
        return [
            PlanProblem(
                document.locate((*loc, *found.path)), found.message, found.hint, dotted((*loc, *found.path))
            )
            for found in cause.found
        ]
    if loc and loc[-1] == "[key]":
        path = loc[:-1]
        message = f"{dotted(path)}: bad key: {_message(error)}"
        return [PlanProblem(document.locate(path, key=True), message, None, dotted(path))]
    if kind == "missing":
        where = dotted(loc[:-1])
        message = f"{where}: required key {loc[-1]!r} is missing"
        return [PlanProblem(document.locate(loc[:-1]), message, f"add '{loc[-1]}:' to {where}", dotted(loc))]
    if kind == "extra_forbidden":
        message = f"{dotted(loc[:-1])}: unknown key {loc[-1]!r}"
        return [PlanProblem(document.locate(loc, key=True), message, _closest_key(loc, root), dotted(loc))]
    return [PlanProblem(document.locate(loc), f"{dotted(loc)}: {_message(error)}", _hint(error), dotted(loc))]


def _message(error: ErrorDetails) -> str:
    message = error["msg"].removeprefix("Value error, ")
    kind = error["type"]
    if kind == "model_type" or kind == "dict_type":
        return "expected a mapping of keys and values"
    if kind in {"tuple_type", "list_type"}:
        return "expected a list (one '- ' item per line)"
    return message


_YAML_TYPES: dict[type, str] = {
    bool: "true/false",
    int: "a number",
    float: "a number",
    date: "a date",
    datetime: "a date and time",
}


def _hint(error: ErrorDetails) -> str | None:
    kind = error["type"]
    value = error.get("input")
    if kind == "string_type" and isinstance(value, date | datetime | bool | int | float):
        return f"YAML read this as {_YAML_TYPES[type(value)]}; put the value in quotes"
    if kind == "string_type" and isinstance(value, dict):
        return "YAML read the ': ' in this text as a key; put the whole text in quotes"
    if kind in {"timezone_aware", "datetime_type"} or (kind == "datetime_from_date_parsing"):
        return "write a time with its UTC offset, e.g. 2026-01-05T09:00:00+01:00 or 2026-01-05T08:00:00Z"
    if kind in {"date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"}:
        return "write a date as YYYY-MM-DD, e.g. 2026-01-31"
    if kind == "too_short":
        return "add at least one entry"
    if kind in {"model_type", "dict_type"}:
        return "write the keys indented under this one, as 'key: value' lines"
    if kind in {"tuple_type", "list_type"}:
        return "write each item on its own line starting with '- '"
    return None


def _closest_key(loc: LocPath, root: type[pydantic.BaseModel]) -> str:
    allowed = _allowed_keys(loc[:-1], root)
    if not allowed:
        return "remove it"
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
    listed = ", ".join(allowed)
    return f"did you mean {close[0]!r}? allowed keys: {listed}" if close else f"allowed keys: {listed}"


def _allowed_keys(path: LocPath, root: type[pydantic.BaseModel]) -> list[str]:
    """The keys the model at ``path`` accepts, found by walking the annotations from ``root``."""
    current: Any = root
    for part in path:
        current = _unwrap(current)
        if isinstance(part, int) and typing.get_origin(current) is tuple:
            current = typing.get_args(current)[0]
        elif isinstance(current, type) and issubclass(current, pydantic.BaseModel) and isinstance(part, str):
            field = current.model_fields.get(part)
            if field is None:
                return []
            current = field.annotation
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, pydantic.BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in {typing.Union, types.UnionType}:
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = members[0]
        else:
            return annotation
