"""What every command shares: the runtime, the acting principal, error handling and output."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import orjson
import typer
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ironwatch.cli.state import state as state  # re-exported: the commands take it from here
from ironwatch.core.errors import IronwatchError
from ironwatch.plan.problems import PlanError

console = Console()
err_console = Console(stderr=True, soft_wrap=True)
P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def uow(*, write: bool = False) -> Iterator[Any]:
    with state.runtime.uow(state.principal(), write=write) as unit:
        yield unit


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn ironwatch errors into a message, a hint and the error's exit code."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except PlanError as exc:
            # every located problem, so one run shows everything to fix in the file
            err_console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
            for problem in exc.problems:
                err_console.print(f"  {problem.location}: {problem.message}", highlight=False, markup=False)
                if problem.hint:
                    err_console.print(f"      [yellow]hint:[/] {escape(problem.hint)}", highlight=False)
            if exc.hint:
                err_console.print(f"[yellow]hint:[/] {exc.hint}", highlight=False)
            raise typer.Exit(exc.exit_code) from None
        except IronwatchError as exc:
            where = f"{exc.location}: " if exc.location else ""
            err_console.print(f"[bold red]error:[/] {where}{exc.message}", highlight=False)
            if exc.hint:
                err_console.print(f"[yellow]hint:[/] {exc.hint}", highlight=False)
            raise typer.Exit(exc.exit_code) from None
        except PydanticValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"]) or "input"
                err_console.print(f"[bold red]error:[/] {field}: {err['msg']}", highlight=False)
            raise typer.Exit(2) from None

    return wrapper


def emit_json(value: Any) -> None:
    data: Any
    if isinstance(value, BaseModel):
        data = value.model_dump(mode="json")
    elif isinstance(value, list):
        data = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    else:
        data = value
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    out = Table(title=title, header_style="bold", show_lines=False)
    for index, column in enumerate(columns):
        # the first column is the key people copy (a reference, an id): never wrapped
        out.add_column(column, overflow="fold", no_wrap=index == 0)
    for row in rows:
        # cells are data (titles, plan paths like team.people[alex]), never rich markup
        out.add_row(*[v if isinstance(v, Text) else Text("" if v is None else str(v)) for v in row])
    console.print(out)


def when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else ""
