"""The root command imports a command's module only when that command runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click.testing
import typer
from typer.testing import CliRunner

from ironwatch.cli.lazy_group import LazyGroup
from ironwatch.cli.main import RootGroup, app

SRC = Path(__file__).resolve().parents[3] / "src"


def _help(group: typer.core.TyperGroup) -> str:
    result = click.testing.CliRunner().invoke(group, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_help_lists_every_command_with_the_same_text_as_the_loaded_commands() -> None:
    lazy = typer.main.get_command(app)
    eager = typer.main.get_command(app)
    assert isinstance(lazy, LazyGroup)
    assert isinstance(eager, LazyGroup)
    eager.load_all()

    assert _help(lazy) == _help(eager)
    for entry in RootGroup.registry:
        assert f" {entry.name} " in _help(lazy)


def test_every_registered_command_loads_under_its_name() -> None:
    names = [entry.name for entry in RootGroup.registry]
    assert len(names) == len(set(names))
    for entry in RootGroup.registry:
        assert entry.load().name == entry.name


def test_help_imports_no_command_module() -> None:
    probe = (
        "import sys\n"
        "from ironwatch.cli.main import app\n"
        "try:\n"
        "    app(['--help'], prog_name='ironwatch')\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('ironwatch.cli.', 'ironwatch.bootstrap',"
        " 'fastapi', 'argon2')))\n"
        "print('LOADED', ','.join(loaded))\n"
    )
    env = {"PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    loaded = done.stdout.rsplit("LOADED ", 1)[1].strip().split(",")
    assert loaded == ["ironwatch.cli.lazy_group", "ironwatch.cli.main", "ironwatch.cli.state"]


def test_a_command_runs_after_being_loaded_on_use() -> None:
    result = CliRunner().invoke(app, ["events", "--help"])
    assert result.exit_code == 0
    assert "search" in result.output.lower()


def test_an_unknown_command_is_an_error() -> None:
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output
