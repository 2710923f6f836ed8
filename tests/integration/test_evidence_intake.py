"""Taking evidence into the locker on both databases: digests, deduplication, rollback, custody."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ironwatch.bootstrap import Runtime
from ironwatch.core.errors import NotFoundError, PermissionDeniedError, TooLargeError, ValidationError
from ironwatch.core.principal import system_principal
from ironwatch.evidence import service
from ironwatch.evidence.custody import custody_log
from ironwatch.incidents import schemas as incident_schemas
from ironwatch.incidents.service import create_incident, incident_audit
from ironwatch.store.audit import verify_audit
from ironwatch.store.evidence_store import LocalEvidenceStore
from ironwatch.store.tables import CustodyEntryRow, EvidenceRow
from tests.support.people import add_user, principal

ADMIN = system_principal("test")


def open_incident(runtime: Runtime, title: str = "Ransomware on web01", *, restricted: bool = False) -> str:
    with runtime.uow(ADMIN, write=True) as uow:
        row = create_incident(uow, incident_schemas.IncidentCreate(title=title, restricted=restricted))
        uow.commit()
        return row.ref


def stored_files(runtime: Runtime) -> list[Path]:
    root = runtime.settings.home / "evidence"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def register(runtime: Runtime, ref: str, path: Path, **kwargs: str) -> EvidenceRow:
    with runtime.uow(ADMIN, write=True) as uow:
        row = service.register_file(
            uow,
            ref,
            path,
            filename=kwargs.get("filename", path.name),
            description=kwargs.get("description", "disk image of web01"),
            purpose=kwargs.get("purpose", "forensic analysis"),
            location=kwargs.get("location", "evidence store"),
            source=kwargs.get("source", "action:disk-image"),
        )
        uow.commit()
        return row


def test_register_file_records_the_digest_size_and_first_custody_entry(
    runtime: Runtime, tmp_path: Path
) -> None:
    ref = open_incident(runtime)
    content = os.urandom(3 * 1024 * 1024 + 17)  # more than one read chunk
    image = tmp_path / "web01.img"
    image.write_bytes(content)

    row = register(runtime, ref, image)

    digest = hashlib.sha256(content).hexdigest()
    assert (row.sha256, row.size, row.number, row.status) == (digest, len(content), 1, "held")
    assert row.storage_backend == "local" and row.storage_key == f"{digest[:2]}/{digest}"
    kept = runtime.settings.home / "evidence" / digest[:2] / digest
    assert kept.read_bytes() == content
    assert stat.S_IMODE(kept.stat().st_mode) == 0o400  # write-once: read-only on disk
    assert image.read_bytes() == content  # the original is left alone
    with runtime.uow(ADMIN) as uow:
        entries = custody_log(uow, row.id)
        trail = incident_audit(uow, ref)
    assert [(e.seq, e.action, e.actor, e.purpose, e.location) for e in entries] == [
        (1, "collected", "system:test", "forensic analysis", "evidence store")
    ]
    assert entries[0].at == runtime.clock.now()
    assert entries[0].details["sha256"] == digest
    assert {"evidence.collect"} <= {entry.action for entry in trail}
    assert {"evidence", "custody"} <= {entry.object_type for entry in trail}


def test_the_same_content_twice_is_stored_once_and_numbered_per_incident(
    runtime: Runtime, tmp_path: Path
) -> None:
    ref = open_incident(runtime)
    first, second = tmp_path / "a.eml", tmp_path / "b.eml"
    first.write_bytes(b"the phishing mail")
    second.write_bytes(b"the phishing mail")
    one = register(runtime, ref, first)
    two = register(runtime, ref, second)
    assert (one.number, two.number) == (1, 2)
    assert one.sha256 == two.sha256 and one.storage_key == two.storage_key
    assert [p.name for p in stored_files(runtime)] == [one.sha256]


def test_a_rolled_back_intake_leaves_no_stored_file(runtime: Runtime, tmp_path: Path) -> None:
    ref = open_incident(runtime)
    with runtime.uow(ADMIN, write=True) as uow:
        service.add_evidence(
            uow,
            ref,
            io.BytesIO(b"never committed"),
            filename="x.bin",
            description="",
            purpose="test",
            location="",
            source="upload",
        )
        assert len(stored_files(runtime)) == 1
        # leaving without commit() rolls back
    assert stored_files(runtime) == []
    with runtime.db.session(write=False) as session:
        assert session.scalar(select(func.count()).select_from(EvidenceRow)) == 0
        assert session.scalar(select(func.count()).select_from(CustodyEntryRow)) == 0


def test_a_rollback_keeps_content_that_was_already_stored(runtime: Runtime, tmp_path: Path) -> None:
    ref = open_incident(runtime)
    kept = tmp_path / "kept.txt"
    kept.write_bytes(b"same bytes")
    register(runtime, ref, kept)
    with runtime.uow(ADMIN, write=True) as uow:
        service.register_file(
            uow, ref, kept, filename="again", description="", purpose="p", location="", source="cli"
        )
    assert len(stored_files(runtime)) == 1


def test_intake_is_audited_and_the_audit_chain_stays_valid(runtime: Runtime, tmp_path: Path) -> None:
    ref = open_incident(runtime)
    (tmp_path / "f").write_bytes(b"x")
    register(runtime, ref, tmp_path / "f")
    with runtime.db.session(write=False) as session:
        report = verify_audit(session)
    assert report.ok, report.problems


def test_intake_refuses_bad_input_with_a_hint(runtime: Runtime, tmp_path: Path) -> None:
    ref = open_incident(runtime)
    with runtime.uow(ADMIN, write=True) as uow:
        with pytest.raises(ValidationError) as missing:
            service.register_file(
                uow,
                ref,
                tmp_path / "nope",
                filename="n",
                description="",
                purpose="p",
                location="",
                source="cli",
            )
        assert missing.value.hint
        with pytest.raises(ValidationError, match="purpose"):
            service.add_evidence(
                uow,
                ref,
                io.BytesIO(b"x"),
                filename="n",
                description="",
                purpose=" ",
                location="",
                source="cli",
            )
        with pytest.raises(NotFoundError):
            service.add_evidence(
                uow, "IR-2026-0999", io.BytesIO(b"x"), filename="n", description="", purpose="p",
                location="", source="cli",
            )  # fmt: skip


def test_items_over_the_size_limit_are_refused_and_nothing_is_kept(runtime: Runtime) -> None:
    ref = open_incident(runtime)
    small = LocalEvidenceStore(runtime.settings.home / "evidence", max_bytes=10)
    with runtime.uow(ADMIN, write=True) as uow:
        uow._evidence_store = small
        with pytest.raises(TooLargeError) as refused:
            service.add_evidence(
                uow, ref, io.BytesIO(b"x" * 11), filename="big", description="", purpose="p",
                location="", source="cli",
            )  # fmt: skip
    assert "IRONWATCH_EVIDENCE_MAX_BYTES" in (refused.value.hint or "")
    assert stored_files(runtime) == []


def test_only_evidence_writers_register_and_need_to_know_hides_restricted_incidents(
    runtime: Runtime, tmp_path: Path
) -> None:
    secret = open_incident(runtime, "Insider case", restricted=True)
    add_user(runtime, "audrey", "auditor")
    add_user(runtime, "ann", "analyst")
    (tmp_path / "f").write_bytes(b"x")
    with runtime.uow(principal(runtime, "audrey"), write=True) as uow, pytest.raises(PermissionDeniedError):
        service.register_file(
            uow, secret, tmp_path / "f", filename="f", description="", purpose="p", location="", source="cli"
        )
    with runtime.uow(principal(runtime, "ann"), write=True) as uow, pytest.raises(NotFoundError):
        service.register_file(
            uow, secret, tmp_path / "f", filename="f", description="", purpose="p", location="", source="cli"
        )
    row = register(runtime, secret, tmp_path / "f")
    label = service.label(secret, row.number)
    with runtime.uow(principal(runtime, "ann")) as uow, pytest.raises(NotFoundError):
        service.find_evidence(uow, label)
    with runtime.uow(principal(runtime, "ann")) as uow:
        assert service.list_evidence(uow) == []
