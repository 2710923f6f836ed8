"""The command line end to end on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from ironwatch.bootstrap import Runtime
from tests.integration.conftest import Run


def test_an_incident_goes_through_every_phase_from_the_cli(cli: Run, runtime: Runtime) -> None:
    opened = json.loads(
        cli("incident", "new", "Malware on laptop", "--severity", "high", "--tag", "malware", "--json").stdout
    )
    ref = opened["ref"]
    cli("incident", "comment", ref, "EDR quarantined the file")
    task = json.loads(cli("incident", "task", ref, "Reimage laptop", "--owner", "bob", "--json").stdout)
    cli("incident", "task", ref, "--done", task["id"])
    cli(
        "incident",
        "observable",
        ref,
        "sha256",
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
    )
    for step in ["triage", "confirmed", "containment", "eradication", "recovery", "closed", "reviewed"]:
        assert f"is now {step}" in cli("incident", "transition", ref, step, "--note", "ok").stdout
    shown = json.loads(cli("incident", "show", ref, "--json").stdout)
    assert shown["status"] == "reviewed" and shown["tasks"][0]["status"] == "done"
    assert shown["observables"][0]["value"].startswith("e3b0c442")
    listing = cli("incident", "list").stdout
    assert ref in listing and "reviewed" in listing
    assert "audit trail intact" in cli("audit", "verify").stdout


def test_audit_verify_fails_after_a_direct_edit(cli: Run, runtime: Runtime) -> None:
    ref = json.loads(cli("incident", "new", "x", "--json").stdout)["ref"]
    with runtime.db.engine.begin() as conn:
        conn.execute(text("UPDATE incidents SET title = 'tampered' WHERE ref = :r"), {"r": ref})
    result = cli("audit", "verify", expect=9)
    assert "differs from its last audited state" in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("incident", "new", "x" * 201), 2, "at most 200 characters"),
        (("incident", "new", "x", "--occurred", "2026-01-01T10:00:00"), 2, "no time zone"),
        (("incident", "show", "IR-2026-0404"), 3, "no incident"),
    ],
)
def test_bad_input_is_a_clear_cli_error(cli: Run, args: tuple[str, ...], code: int, message: str) -> None:
    assert message in cli(*args, expect=code).stderr


def test_unknown_state_and_bad_ip_from_the_cli(cli: Run) -> None:
    ref = json.loads(cli("incident", "new", "x", "--json").stdout)["ref"]
    assert "use one of" in cli("incident", "transition", ref, "solved", expect=2).stderr
    assert "allowed from 'reported'" in cli("incident", "transition", ref, "closed", expect=4).stderr
    assert "not a valid IPv4" in cli("incident", "observable", ref, "ipv4", "300.1.1.1", expect=2).stderr


def test_first_admin_and_a_token_from_the_cli(cli: Run) -> None:
    cli("user", "add", "alice", "--role", "admin", "--password-stdin", input="a long enough passphrase\n")
    token = cli("token", "create", "--user", "alice", "--expires", "30d").stdout.strip()
    assert token.startswith("iw_") and "not shown again" in cli("token", "list").stdout + "not shown again"
    assert "alice" in cli("user", "list").stdout
    assert (
        "too short"
        not in cli("user", "passwd", "alice", "--password-stdin", input="another long passphrase\n").stdout
    )
    assert (
        "is 5 characters long"
        in cli(
            "user", "add", "bob", "--role", "analyst", "--password-stdin", input="short\n", expect=2
        ).stderr
    )
    assert "unknown role" in cli("user", "add", "carol", "--role", "boss", "--no-password", expect=2).stderr
    cli("token", "revoke", token[:10])
    assert "last active administrator" in cli("user", "disable", "alice", expect=4).stderr


def test_acting_as_a_user_applies_their_role(cli: Run) -> None:
    cli("user", "add", "rita", "--role", "reporter", "--no-password")
    result = cli("--as", "rita", "incident", "list", expect=6)
    assert "may not read incidents" in result.stderr


def test_export_writes_csv_and_json(cli: Run, tmp_path: Path) -> None:
    cli("incident", "new", "Exported case", "--tlp", "green")
    target = tmp_path / "out.csv"
    cli("incident", "export", "--format", "csv", "-o", str(target))
    assert "Exported case" in target.read_text() and target.read_text().startswith("ref,status")
    records = json.loads(cli("incident", "export").stdout)
    assert records[0]["title"] == "Exported case"
