"""Fixtures for the integration tests: the command line on the test runtime's database."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from typer.testing import CliRunner

from ironwatch.bootstrap import Runtime
from ironwatch.cli.context import state
from ironwatch.cli.main import app

Run = Callable[..., "CliResultLike"]


class CliResultLike:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.setenv("IRONWATCH_HOME", str(runtime.settings.home))
    if runtime.settings.database_url:
        monkeypatch.setenv("IRONWATCH_DATABASE_URL", runtime.settings.database_url)
    runner = CliRunner()

    def run(*args: str, input: str | None = None, expect: int = 0) -> CliResultLike:
        state._runtime = None
        state.acting_as = None
        result = runner.invoke(app, list(args), input=input)
        assert result.exit_code == expect, f"{args}: {result.exit_code}\n{result.stdout}\n{result.stderr}"
        return result  # type: ignore[return-value]

    yield run
    if state._runtime is not None:
        state._runtime.close()
    state._runtime = None
