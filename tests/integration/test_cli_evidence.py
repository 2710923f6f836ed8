"""``ironwatch evidence ...`` on both databases: add, list, show, handle, verify (exit codes), export."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import orjson

from ironwatch.bootstrap import Runtime
from tests.integration.conftest import Run
from tests.integration.test_evidence_intake import open_incident


def test_the_evidence_commands_from_intake_to_export(runtime: Runtime, cli: Run, tmp_path: Path) -> None:
    open_incident(runtime)
    mail, image = tmp_path / "mail.eml", tmp_path / "web01.img"
    mail.write_bytes(b"From: ceo@examp1e.com\n")
    image.write_bytes(b"\x00" * 4096)
    added = cli(
        "evidence", "add", "IR-2026-0001", str(mail), str(image),
        "--purpose", "forensic analysis", "--description", "mail and image", "--location", "finance",
        "--json",
    )  # fmt: skip
    items = orjson.loads(added.stdout)
    assert [(i["label"], i["sha256"]) for i in items] == [
        ("IR-2026-0001-E1", hashlib.sha256(mail.read_bytes()).hexdigest()),
        ("IR-2026-0001-E2", hashlib.sha256(image.read_bytes()).hexdigest()),
    ]
    assert "IR-2026-0001-E2" in cli("evidence", "list", "IR-2026-0001").stdout
    cli(
        "evidence", "handle", "IR-2026-0001-E1", "--action", "transferred", "--to", "Forensics lab",
        "--purpose", "analysis",
    )  # fmt: skip
    shown = cli("evidence", "show", "IR-2026-0001-E1").stdout
    assert "transferred" in shown and "Forensics lab" in shown

    verified = cli("evidence", "verify", "--incident", "IR-2026-0001")
    assert "2 of 2 items intact" in verified.stdout

    out = tmp_path / "out.zip"
    cli("evidence", "export", "IR-2026-0001", "--output", str(out), "--purpose", "to police")
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == [
            "SHA256SUMS",
            "evidence/IR-2026-0001-E1/mail.eml",
            "evidence/IR-2026-0001-E2/web01.img",
            "manifest.json",
            "manifest.txt",
        ]
    refused = cli("evidence", "export", "IR-2026-0001", "-o", str(out), "--purpose", "again", expect=2)
    assert "--force" in refused.stderr


def test_verify_exits_non_zero_and_names_the_broken_item(runtime: Runtime, cli: Run, tmp_path: Path) -> None:
    open_incident(runtime)
    (tmp_path / "f").write_bytes(b"original")
    [item] = orjson.loads(
        cli("evidence", "add", "IR-2026-0001", str(tmp_path / "f"), "--purpose", "p", "--json").stdout
    )
    kept = runtime.settings.home / "evidence" / item["sha256"][:2] / item["sha256"]
    kept.chmod(0o600)
    kept.write_bytes(b"tampered")
    result = cli("evidence", "verify", "--all", expect=9)
    assert "FAILED" in result.stdout and "IR-2026-0001-E1" in result.stderr
    assert item["sha256"] in result.stderr
    custody = orjson.loads(cli("evidence", "show", item["id"], "--json").stdout)["custody"]
    assert custody[-1]["note"].startswith("verified: FAILED")
    cli("evidence", "verify", expect=2)  # nothing named
