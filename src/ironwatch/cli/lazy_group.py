"""A command group whose sub-commands are imported when they are run, not when ``ironwatch`` starts.

Importing every command module pulls in FastAPI, the API app and every slice (seconds on a busy
machine) although one command needs a few of them. The root group therefore knows its commands by
name, import target and help line only; ``ironwatch COMMAND`` imports the one module it runs, and
``ironwatch --help`` lists every command from the registry without importing any of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer

# typer vendors its own copy of click; its groups and commands must be built from the same classes
from typer import _click as click
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """One entry of the root group: ``target`` is ``"module:attribute"``, a ``typer.Typer`` or a function.

    ``help`` is what ``ironwatch --help`` shows beside the name; a test checks it against the real
    command's, so the registry cannot drift from the modules.
    """

    name: str
    target: str
    help: str

    def load(self) -> click.Command:
        module_name, _, attribute = self.target.partition(":")
        value = getattr(importlib.import_module(module_name), attribute)
        holder = typer.Typer()
        if isinstance(value, typer.Typer):
            holder.add_typer(value, name=self.name)
        else:
            holder.command(self.name)(value)
        command = typer.main.get_group(holder).commands[self.name]
        return command


class LazyGroup(TyperGroup):
    """A typer group that adds the commands of ``registry`` on first use (see the module docstring)."""

    registry: Sequence[LazyCommand] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = list(super().list_commands(ctx))
        return names + [entry.name for entry in self.registry if entry.name not in self.commands]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        entry = next((item for item in self.registry if item.name == cmd_name), None)
        if entry is None:
            return None
        if self._listing:
            # the help listing needs a name and a help line only: no import
            return TyperCommand(entry.name, help=entry.help)
        command = entry.load()
        self.add_command(command, entry.name)
        return command

    def load_all(self) -> None:
        """Import every registered command (for tests and shell completion of every sub-command)."""
        for entry in self.registry:
            if entry.name not in self.commands:
                self.add_command(entry.load(), entry.name)

    @contextmanager
    def _listing_only(self) -> Iterator[None]:
        self._listing = True
        try:
            yield
        finally:
            self._listing = False

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with self._listing_only():
            super().format_help(ctx, formatter)
