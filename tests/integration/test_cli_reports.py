"""``ironwatch report ...`` on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from ironwatch.bootstrap import Runtime
from ironwatch.cli.context import state
from ironwatch.cli.main import app

Run = Callable[..., Result]


@pytest.fixture
def cli(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.setenv("IRONWATCH_HOME", str(runtime.settings.home))
    if runtime.settings.database_url:
        monkeypatch.setenv("IRONWATCH_DATABASE_URL", runtime.settings.database_url)
    runner = CliRunner()

    def run(*args: str, expect: int = 0) -> Result:
        state._runtime = None
        state.acting_as = None
        result = runner.invoke(app, list(args))
        assert result.exit_code == expect, f"{args}: {result.exit_code}\n{result.stdout}\n{result.stderr}"
        return result

    yield run
    if state._runtime is not None:
        state._runtime.close()
    state._runtime = None


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    mail = tmp_path / "mail.eml"
    mail.write_bytes(b"From: ceo@examp1e.com\n\nBuy gift cards.\n")
    shot = tmp_path / "screen.png"
    shot.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    return [mail, shot]


def _stored(runtime: Runtime) -> list[Path]:
    root = runtime.settings.home / "attachments"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_reporter_reports_and_follows_it_from_the_cli(
    cli: Run, runtime: Runtime, files: list[Path]
) -> None:
    for name in ("rita", "otto"):
        cli("user", "add", name, "--role", "reporter", "--no-password")
    receipt = json.loads(
        cli(
            "--as", "rita", "report", "submit",
            "--title", "Odd mail from the CEO",
            "--description", "Asks for gift cards",
            "--kind", "suspected_incident",
            "--system", "mail",
            "--reporter-unit", "Finance",
            "--attach", str(files[0]),
            "--attach", str(files[1]),
            "--json",
        ).stdout
    )  # fmt: skip
    ref = receipt["reference"]
    assert receipt["status"] == "reported"
    assert [a["sha256"] for a in receipt["attachments"]] == [
        hashlib.sha256(f.read_bytes()).hexdigest() for f in files
    ]
    assert sorted(p.name for p in _stored(runtime)) == sorted(a["sha256"] for a in receipt["attachments"])

    listed = json.loads(cli("--as", "rita", "report", "list", "--json").stdout)
    assert [(r["reference"], r["status"]) for r in listed] == [(ref, "reported")]
    assert ref in cli("--as", "rita", "report", "list").stdout
    assert "reported" in cli("--as", "rita", "report", "status", ref).stdout
    assert "you have no report" in cli("--as", "otto", "report", "status", ref, expect=3).stderr
    by_token = json.loads(cli("report", "status", ref, "--token", receipt["lookup_token"], "--json").stdout)
    assert by_token["title"] == "Odd mail from the CEO"
    assert "lookup token" in cli("report", "status", ref, "--token", "rpt_wrong", expect=3).stderr

    shown = json.loads(cli("incident", "show", ref, "--json").stdout)
    assert shown["created_by"] == "rita" and shown["reporter"]["unit"] == "Finance"
    assert len(shown["attachments"]) == 2
    assert "audit trail intact" in cli("audit", "verify").stdout


def test_the_local_operator_reports_and_a_plain_line_shows_the_token(cli: Run) -> None:
    out = cli(
        "report", "submit", "--title", "Badge reader broken", "--description", "Door 4", "--kind", "failure"
    )
    assert "reported IR-2026-0001" in out.stdout and "lookup token (shown once): rpt_" in out.stdout


def test_an_oversized_attachment_is_refused_from_the_cli(
    cli: Run, runtime: Runtime, files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IRONWATCH_REPORT_MAX_ATTACHMENT_BYTES", "100")
    result = cli(
        "report", "submit", "--title", "x", "--description", "y",
        "--attach", str(files[0]), "--attach", str(files[1]),
        expect=2,
    )  # fmt: skip
    assert "larger than 100 bytes" in result.stderr and "nothing was stored" in result.stderr
    assert _stored(runtime) == []
    assert json.loads(cli("incident", "list", "--json").stdout)["total"] == 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--kind", "rumour"), 2, "rumour"),
        (("--occurred", "yesterday"), 2, "is not a time"),
        (("--occurred", "2026-03-01T10:00:00"), 2, "no time zone"),
        (("--reporter-email", "nope"), 2, "reporter.email"),
        (("--attach", "/nonexistent/file"), 2, "does not exist"),
    ],
)
def test_bad_report_input_is_a_clear_cli_error(
    cli: Run, args: tuple[str, ...], code: int, message: str
) -> None:
    result = cli("report", "submit", "--title", "x", "--description", "y", *args, expect=code)
    assert message in result.stderr + result.stdout


def test_a_sensor_may_not_report(cli: Run) -> None:
    cli("user", "add", "probe", "--role", "sensor", "--no-password")
    result = cli("--as", "probe", "report", "submit", "--title", "x", "--description", "y", expect=6)
    assert "may not report suspected incidents" in result.stderr
