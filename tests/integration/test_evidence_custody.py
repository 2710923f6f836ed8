"""Handling, verifying and exporting evidence on both databases: the chain catches tampering."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import orjson
import pytest
from sqlalchemy import delete, update

from ironwatch.bootstrap import Runtime
from ironwatch.core.errors import ConflictError, IntegrityError, ValidationError
from ironwatch.core.principal import system_principal
from ironwatch.evidence import service
from ironwatch.evidence.custody import check_chain, custody_log
from ironwatch.evidence.export import export_evidence
from ironwatch.evidence.verify import verify_evidence
from ironwatch.store.tables import CustodyEntryRow, EvidenceRow
from tests.integration.test_evidence_intake import open_incident, register

ADMIN = system_principal("test")


def _kept(runtime: Runtime, row: EvidenceRow) -> Path:
    return runtime.settings.home / "evidence" / row.storage_key


def _verify(runtime: Runtime, key: str) -> object:
    with runtime.uow(ADMIN, write=True) as uow:
        result = verify_evidence(uow, key)
        uow.commit()
    return result


def _log(runtime: Runtime, evidence_id: str) -> list[CustodyEntryRow]:
    with runtime.uow(ADMIN) as uow:
        return custody_log(uow, evidence_id)


@pytest.fixture
def item(runtime: Runtime, tmp_path: Path) -> EvidenceRow:
    ref = open_incident(runtime)
    (tmp_path / "mail.eml").write_bytes(b"From: ceo@examp1e.com\n\nbuy gift cards\n")
    return register(runtime, ref, tmp_path / "mail.eml")


def test_an_intact_item_verifies_and_the_check_is_recorded(runtime: Runtime, item: EvidenceRow) -> None:
    result = _verify(runtime, "IR-2026-0001-E1")
    assert result.ok and result.content == "ok" and result.problems == []  # type: ignore[attr-defined]
    entries = _log(runtime, item.id)
    assert [(e.action, e.note) for e in entries] == [("collected", ""), ("verified", "verified: OK")]
    assert check_chain(entries) == []


def test_tampered_content_is_reported_with_expected_and_found_digests(
    runtime: Runtime, item: EvidenceRow
) -> None:
    path = _kept(runtime, item)
    path.chmod(0o600)
    path.write_bytes(b"From: ceo@example.com\n\nall fine\n")
    found = hashlib.sha256(path.read_bytes()).hexdigest()

    result = _verify(runtime, item.id)

    assert not result.ok and result.content == "mismatch"  # type: ignore[attr-defined]
    assert result.expected_sha256 == item.sha256 and result.found_sha256 == found  # type: ignore[attr-defined]
    assert item.sha256 in result.problems[0] and found in result.problems[0]  # type: ignore[attr-defined]
    last = _log(runtime, item.id)[-1]
    assert last.action == "verified" and last.note.startswith("verified: FAILED")
    assert last.details["found_sha256"] == found and last.details["result"] == "failed"


def test_missing_content_is_reported(runtime: Runtime, item: EvidenceRow) -> None:
    _kept(runtime, item).unlink()
    result = _verify(runtime, item.id)
    assert not result.ok and result.content == "missing"  # type: ignore[attr-defined]


def test_a_tampered_custody_row_breaks_the_chain(runtime: Runtime, item: EvidenceRow) -> None:
    with runtime.uow(ADMIN, write=True) as uow:
        service.handle_evidence(
            uow, item.id, "transferred", purpose="analysis", holder="Forensics lab", location="lab safe"
        )
        uow.commit()
    # someone edits the log behind ironwatch's back: the transfer now names another holder
    with runtime.db.engine.begin() as conn:
        conn.execute(
            update(CustodyEntryRow)
            .where(CustodyEntryRow.evidence_id == item.id, CustodyEntryRow.seq == 2)
            .values(holder="Mallory")
        )
    result = _verify(runtime, item.id)
    assert not result.ok and result.content == "ok"  # type: ignore[attr-defined]
    assert any("entry 2 was altered" in p for p in result.problems)  # type: ignore[attr-defined]
    assert _log(runtime, item.id)[-1].note.startswith("verified: FAILED")


def test_a_deleted_custody_row_is_a_gap_in_the_chain(runtime: Runtime, item: EvidenceRow) -> None:
    for purpose in ("triage", "analysis"):
        with runtime.uow(ADMIN, write=True) as uow:
            service.handle_evidence(uow, item.id, "analysed", purpose=purpose)
            uow.commit()
    with runtime.db.engine.begin() as conn:
        conn.execute(
            delete(CustodyEntryRow).where(CustodyEntryRow.evidence_id == item.id, CustodyEntryRow.seq == 2)
        )
    result = _verify(runtime, item.id)
    assert any("entry 2 is missing" in p for p in result.problems)  # type: ignore[attr-defined]


def test_a_changed_digest_on_the_row_is_caught_by_the_chained_intake_entry(
    runtime: Runtime, item: EvidenceRow
) -> None:
    # replace the content and "fix" the row to match: the collected entry still holds the truth
    fake = b"forged"
    digest = hashlib.sha256(fake).hexdigest()
    path = _kept(runtime, item)
    path.chmod(0o600)
    path.write_bytes(fake)
    with runtime.db.engine.begin() as conn:
        conn.execute(
            update(EvidenceRow).where(EvidenceRow.id == item.id).values(sha256=digest, size=len(fake))
        )
    result = _verify(runtime, item.id)
    assert result.content == "ok" and not result.ok  # type: ignore[attr-defined]
    assert any("taken at intake" in p for p in result.problems)  # type: ignore[attr-defined]


def test_handling_transfers_release_and_refuses_afterwards(runtime: Runtime, item: EvidenceRow) -> None:
    with runtime.uow(ADMIN, write=True) as uow:
        with pytest.raises(ValidationError, match="holder"):
            service.handle_evidence(uow, item.id, "transferred", purpose="p")
        with pytest.raises(ValidationError) as bad:
            service.handle_evidence(uow, item.id, "verified", purpose="p")
        assert "recorded as they happen" in (bad.value.hint or "")
        row = service.handle_evidence(uow, item.id, "transferred", purpose="court", holder="Police")
        assert row.holder == "Police"
        with pytest.raises(ValidationError, match="why"):
            service.handle_evidence(uow, item.id, "released", purpose="case closed")
        service.handle_evidence(uow, item.id, "released", purpose="case closed", note="returned to owner")
        uow.commit()
    with runtime.uow(ADMIN, write=True) as uow, pytest.raises(ConflictError):
        service.handle_evidence(uow, item.id, "analysed", purpose="p")
    entries = _log(runtime, item.id)
    assert [e.action for e in entries] == ["collected", "transferred", "released"]
    assert [e.holder for e in entries] == ["system:test", "Police", "Police"]


def test_destroying_removes_unshared_content_after_commit_and_keeps_the_log(
    runtime: Runtime, item: EvidenceRow
) -> None:
    path = _kept(runtime, item)
    with runtime.uow(ADMIN, write=True) as uow:
        service.handle_evidence(uow, item.id, "destroyed", purpose="retention", note="retention ended")
        assert path.exists()  # not before the commit
        uow.commit()
    assert not path.exists()
    result = _verify(runtime, item.id)
    assert result.ok and result.content == "not checked (destroyed)"  # type: ignore[attr-defined]


def _export(runtime: Runtime, key: str, purpose: str = "handover to police") -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with runtime.uow(ADMIN, write=True) as uow:
        export_evidence(uow, key, buffer, purpose=purpose)
        uow.commit()
    buffer.seek(0)
    return zipfile.ZipFile(buffer)


def test_the_export_zip_carries_files_whose_hashes_match_the_manifest_and_the_full_custody_log(
    runtime: Runtime, item: EvidenceRow, tmp_path: Path
) -> None:
    image = tmp_path / "web01.img"
    image.write_bytes(os.urandom(2 * 1024 * 1024 + 5))
    second = register(runtime, "IR-2026-0001", image)
    with runtime.uow(ADMIN, write=True) as uow:
        service.handle_evidence(uow, second.id, "analysed", purpose="timeline")
        uow.commit()

    archive = _export(runtime, "IR-2026-0001")

    manifest = orjson.loads(archive.read("manifest.json"))
    assert manifest["purpose"] == "handover to police" and manifest["incidents"] == ["IR-2026-0001"]
    assert [i["label"] for i in manifest["items"]] == ["IR-2026-0001-E1", "IR-2026-0001-E2"]
    for entry in manifest["items"]:
        data = archive.read(entry["path"])
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (entry["sha256"], entry["size"])
    sums = archive.read("SHA256SUMS").decode().splitlines()
    assert sums == [f"{i['sha256']}  {i['path']}" for i in manifest["items"]]
    # the log in the archive is the whole log, the export entry included, and it chains
    for row, entry in ((item, manifest["items"][0]), (second, manifest["items"][1])):
        stored = _log(runtime, row.id)
        assert [c["hash"] for c in entry["custody"]] == [e.hash for e in stored]
        assert stored[-1].action == "exported" and stored[-1].purpose == "handover to police"
        assert check_chain(stored) == []
    assert [c["action"] for c in manifest["items"][1]["custody"]] == ["collected", "analysed", "exported"]
    text = archive.read("manifest.txt").decode()
    assert second.sha256 in text and "exported" in text and "handover to police" in text


def test_exporting_one_item_and_refusing_tampered_content(runtime: Runtime, item: EvidenceRow) -> None:
    archive = _export(runtime, "IR-2026-0001-E1")
    assert [i["label"] for i in orjson.loads(archive.read("manifest.json"))["items"]] == ["IR-2026-0001-E1"]
    path = _kept(runtime, item)
    path.chmod(0o600)
    path.write_bytes(b"changed")
    with pytest.raises(IntegrityError, match="no longer matches"):
        _export(runtime, "IR-2026-0001-E1")
    # the refused export left no 'exported' entry behind
    assert [e.action for e in _log(runtime, item.id)] == ["collected", "exported"]
