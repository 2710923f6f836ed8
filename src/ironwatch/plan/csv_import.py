"""Import the asset inventory and training completions from CSV files (as exported by spreadsheets).

Every bad row is reported with its line number and column name, all at once, as a ``PlanError``.
The delimiter is ``,`` or ``;`` (taken from the header line); list cells (addresses, data types) hold
values separated by ``;``, ``,`` or spaces. A UTF-8 byte-order mark is ignored.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TypeVar

import pydantic

from ironwatch.core.errors import SourceLocation
from ironwatch.plan.assets import Asset
from ironwatch.plan.problems import PlanError, PlanProblem
from ironwatch.plan.training import Completion

MAX_ROWS = 100_000
ASSET_COLUMNS = ("name", "kind", "criticality", "owner", "addresses", "data_types", "description")
COMPLETION_COLUMNS = ("person", "course", "completed_on")
_LIST_COLUMNS = frozenset({"addresses", "data_types"})
_SPLIT = re.compile(r"[;,\s]+")
M = TypeVar("M", bound=pydantic.BaseModel)


def read_csv_text(path: str | Path) -> str:
    """The text of the CSV file at ``path`` (UTF-8, a byte-order mark dropped); else a ``PlanError``."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PlanError(
            [PlanProblem(SourceLocation(str(path)), "the file does not exist", "check the path")]
        ) from None
    except UnicodeDecodeError:
        hint = "save it from the spreadsheet as 'CSV UTF-8'"
        raise PlanError(
            [PlanProblem(SourceLocation(str(path)), "the file is not UTF-8 text", hint)]
        ) from None


def _header_problems(
    header: list[str], columns: tuple[str, ...], required: tuple[str, ...], source: str
) -> list[PlanProblem]:
    problems: list[PlanProblem] = []
    for name in header:
        if name not in columns:
            close = difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
            hint = (
                f"did you mean {close[0]!r}? columns: {', '.join(columns)}"
                if close
                else f"columns: {', '.join(columns)}"
            )
            problems.append(PlanProblem(SourceLocation(source, 1), f"unknown column {name!r}", hint, name))
    for name in required:
        if name not in header:
            problems.append(
                PlanProblem(
                    SourceLocation(source, 1),
                    f"required column {name!r} is missing",
                    "add it to the header",
                    name,
                )
            )
    return problems


def _parse_rows(
    text: str,
    *,
    source: str,
    model: type[M],
    columns: tuple[str, ...],
    required: tuple[str, ...],
    check: Callable[[M], list[tuple[str, str, str]]],
) -> list[M]:
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lower().replace(" ", "_") for h in next(reader)]
    except StopIteration:
        raise PlanError(
            [PlanProblem(SourceLocation(source, 1), "the file is empty", "start with a header line")]
        ) from None
    except csv.Error as exc:
        raise PlanError([PlanProblem(SourceLocation(source, 1), f"cannot read the header: {exc}")]) from None
    problems = _header_problems(header, columns, required, source)
    if problems:
        raise PlanError(problems)
    results: list[M] = []
    line = reader.line_num + 1
    try:
        for row in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(results) >= MAX_ROWS:
                problems.append(
                    PlanProblem(SourceLocation(source, start), f"more than {MAX_ROWS} rows", "split the file")
                )
                break
            problems.extend(_row(row, header, start, source, model, check, results))
    except csv.Error as exc:
        problems.append(
            PlanProblem(SourceLocation(source, line), f"CSV error: {exc}", "check the quotes on this line")
        )
    if problems:
        raise PlanError(problems)
    return results


def _row(
    row: list[str],
    header: list[str],
    line: int,
    source: str,
    model: type[M],
    check: Callable[[M], list[tuple[str, str, str]]],
    results: list[M],
) -> list[PlanProblem]:
    here = SourceLocation(source, line)
    if len(row) > len(header):
        return [
            PlanProblem(
                here,
                f"the row has {len(row)} cells but the header has {len(header)}",
                "quote cells with commas",
            )
        ]
    values: dict[str, object] = {}
    for name, cell in zip(header, row, strict=False):
        cell = cell.strip()
        if name in _LIST_COLUMNS:
            values[name] = [v for v in _SPLIT.split(cell) if v]
        elif cell:
            values[name] = cell
    try:
        item = model.model_validate(values)
    except pydantic.ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            column = str(error["loc"][0]) if error["loc"] else ""
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "missing":
                message = "the cell is empty"
            problems.append(PlanProblem(here, f"column {column!r}: {message}", None, column))
        return problems
    found = check(item)
    if not found:
        results.append(item)
    return [PlanProblem(here, message, hint, column) for column, message, hint in found]


def parse_assets_csv(
    text: str, *, source: str = "assets.csv", known_data_types: Collection[str] | None = None
) -> list[Asset]:
    """Assets from CSV ``text``: columns name, kind, criticality, owner[, addresses, data_types, description].

    With ``known_data_types`` (the plan's data type ids), each asset's data types must be among them.
    """
    seen: set[str] = set()

    def check(asset: Asset) -> list[tuple[str, str, str]]:
        found = []
        if asset.name in seen:
            found.append(("name", f"duplicate asset name {asset.name!r}", "give each asset a unique name"))
        seen.add(asset.name)
        if known_data_types is not None:
            allowed = ", ".join(sorted(known_data_types)) or "none defined"
            for data_type in asset.data_types:
                if data_type not in known_data_types:
                    found.append(("data_types", f"unknown data type {data_type!r}", f"use one of: {allowed}"))
        return found

    return _parse_rows(
        text, source=source, model=Asset, columns=ASSET_COLUMNS, required=ASSET_COLUMNS[:4], check=check
    )


def import_assets_csv(path: str | Path, *, known_data_types: Collection[str] | None = None) -> list[Asset]:
    """Read the asset inventory from the CSV file at ``path``; see ``parse_assets_csv``."""
    return parse_assets_csv(read_csv_text(path), source=str(path), known_data_types=known_data_types)


def parse_completions_csv(
    text: str,
    *,
    source: str = "completions.csv",
    known_people: Collection[str] | None = None,
    known_courses: Collection[str] | None = None,
) -> list[Completion]:
    """Training completions from CSV ``text`` with columns person, course, completed_on (YYYY-MM-DD)."""

    def check(record: Completion) -> list[tuple[str, str, str]]:
        found = []
        if known_people is not None and record.person not in known_people:
            found.append(
                ("person", f"unknown person {record.person!r}", "use a person id from the plan's team")
            )
        if known_courses is not None and record.course not in known_courses:
            found.append(
                ("course", f"unknown course {record.course!r}", "use a course id from the plan's training")
            )
        return found

    return _parse_rows(
        text,
        source=source,
        model=Completion,
        columns=COMPLETION_COLUMNS,
        required=COMPLETION_COLUMNS,
        check=check,
    )


def import_completions_csv(
    path: str | Path,
    *,
    known_people: Collection[str] | None = None,
    known_courses: Collection[str] | None = None,
) -> list[Completion]:
    """Read training completion records from the CSV file at ``path``; see ``parse_completions_csv``."""
    return parse_completions_csv(
        read_csv_text(path), source=str(path), known_people=known_people, known_courses=known_courses
    )
