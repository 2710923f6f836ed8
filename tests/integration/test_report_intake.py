"""The intake below the API: the blob store, all-or-nothing attachments, and the report-only path."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ironwatch.bootstrap import Runtime
from ironwatch.core.errors import PermissionDeniedError, TooLargeError, ValidationError
from ironwatch.incidents import schemas as incident_schemas
from ironwatch.incidents.service import create_incident
from ironwatch.reports import schemas as s
from ironwatch.reports import service
from ironwatch.reports.intake import AttachmentLimits, IncomingFile
from ironwatch.store.blobs import BlobStore, BlobTooLargeError
from ironwatch.store.tables import IncidentAttachmentRow, IncidentRow, ReportRow
from tests.support.people import add_user, principal

REPORT = s.ReportSubmission(title="Lost badge", description="Lost it on the train")


def _files(*contents: bytes) -> list[IncomingFile]:
    return [IncomingFile(f"f{n}.bin", None, io.BytesIO(c)) for n, c in enumerate(contents)]


def _everything(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _rows(runtime: Runtime) -> tuple[int, int, int]:
    with runtime.db.session(write=False) as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (IncidentRow, ReportRow, IncidentAttachmentRow)
        )


def test_the_blob_store_names_content_by_its_digest(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "attachments")
    staged = blobs.stage(io.BytesIO(b"hello"), max_bytes=5)
    digest = hashlib.sha256(b"hello").hexdigest()
    assert (staged.sha256, staged.size) == (digest, 5)
    assert blobs.place(staged) is True
    assert blobs.existing_path(digest).read_bytes() == b"hello"
    assert blobs.existing_path(digest) == tmp_path / "attachments" / digest[:2] / digest
    assert blobs.place(blobs.stage(io.BytesIO(b"hello"), max_bytes=5)) is False
    assert _everything(tmp_path) == [blobs.existing_path(digest)]


def test_the_blob_store_refuses_content_over_the_limit_and_keeps_nothing(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    with pytest.raises(BlobTooLargeError):
        blobs.stage(io.BytesIO(b"123456"), max_bytes=5)
    assert _everything(tmp_path) == []
    with pytest.raises(ValueError, match="SHA-256"):
        blobs.path_for("../../etc/passwd")


def test_a_report_not_committed_takes_its_files_back(runtime: Runtime) -> None:
    add_user(runtime, "rita", "reporter")
    blobs = runtime.attachments
    with runtime.uow(principal(runtime, "rita"), write=True) as uow:
        receipt = service.submit_report(
            uow, REPORT, files=_files(b"one", b"two"), blobs=blobs, limits=AttachmentLimits()
        )
        assert len(_everything(blobs.root)) == 2
        assert receipt.reference == "IR-2026-0001"
    assert _everything(blobs.root) == []
    assert _rows(runtime) == (0, 0, 0)


def test_a_file_kept_by_an_earlier_report_survives_a_rollback(runtime: Runtime) -> None:
    add_user(runtime, "rita", "reporter")
    blobs = runtime.attachments
    with runtime.uow(principal(runtime, "rita"), write=True) as uow:
        service.submit_report(uow, REPORT, files=_files(b"kept"), blobs=blobs, limits=AttachmentLimits())
        uow.commit()
    with runtime.uow(principal(runtime, "rita"), write=True) as uow:
        service.submit_report(
            uow, REPORT, files=_files(b"kept", b"new"), blobs=blobs, limits=AttachmentLimits()
        )
    assert [p.name for p in _everything(blobs.root)] == [hashlib.sha256(b"kept").hexdigest()]
    assert _rows(runtime) == (1, 1, 1)


def test_a_refused_file_leaves_no_staged_copies(runtime: Runtime) -> None:
    add_user(runtime, "rita", "reporter")
    limits = AttachmentLimits(max_file_bytes=4, max_files=5, max_total_bytes=100)
    with runtime.uow(principal(runtime, "rita"), write=True) as uow, pytest.raises(TooLargeError):
        service.submit_report(
            uow, REPORT, files=_files(b"ok", b"fine", b"too long"), blobs=runtime.attachments, limits=limits
        )
    assert _everything(runtime.attachments.root) == []


def test_reporters_open_incidents_only_through_the_report_path(runtime: Runtime) -> None:
    add_user(runtime, "rita", "reporter")
    data = incident_schemas.IncidentCreate(title="x")
    with runtime.uow(principal(runtime, "rita"), write=True) as uow:
        with pytest.raises(PermissionDeniedError):
            create_incident(uow, data)
        assert create_incident(uow, data, via_report=True).created_by == "rita"
        with pytest.raises(ValidationError, match="severity, assignee"):
            create_incident(
                uow, data.model_copy(update={"severity": "high", "assignee": "rita"}), via_report=True
            )


def test_the_report_path_still_needs_report_submit(runtime: Runtime) -> None:
    add_user(runtime, "probe", "sensor")
    with (
        runtime.uow(principal(runtime, "probe"), write=True) as uow,
        pytest.raises(PermissionDeniedError, match="report suspected incidents"),
    ):
        create_incident(uow, incident_schemas.IncidentCreate(title="x"), via_report=True)
