"""What the evidence API takes and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from ironwatch.store.tables import CustodyEntryRow, EvidenceRow, IncidentRow


class EvidenceView(BaseModel):
    id: str
    label: str = Field(description="the incident's reference and the item's number, e.g. IR-2026-0001-E3")
    incident: str
    filename: str
    description: str
    content_type: str
    size: int
    sha256: str
    storage_backend: str
    source: str
    tags: list[str]
    collected_by: str
    collected_at: datetime
    holder: str
    location: str
    status: str = Field(description="held, released or destroyed")
    status_reason: str

    @classmethod
    def of(cls, row: EvidenceRow, incident: IncidentRow) -> EvidenceView:
        return cls(
            id=row.id,
            label=f"{incident.ref}-E{row.number}",
            incident=incident.ref,
            filename=row.filename,
            description=row.description,
            content_type=row.content_type,
            size=row.size,
            sha256=row.sha256,
            storage_backend=row.storage_backend,
            source=row.source,
            tags=list(row.tags),
            collected_by=row.collected_by,
            collected_at=row.collected_at,
            holder=row.holder,
            location=row.location,
            status=row.status,
            status_reason=row.status_reason,
        )


class CustodyEntryView(BaseModel):
    seq: int
    action: str
    actor: str
    at: datetime
    purpose: str
    holder: str
    location: str
    note: str
    details: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, row: CustodyEntryRow) -> CustodyEntryView:
        return cls(
            seq=row.seq,
            action=row.action,
            actor=row.actor,
            at=row.at,
            purpose=row.purpose,
            holder=row.holder,
            location=row.location,
            note=row.note,
            details=dict(row.details),
            prev_hash=row.prev_hash,
            hash=row.hash,
        )


class EvidenceDetail(EvidenceView):
    custody: list[CustodyEntryView]


class Handling(BaseModel):
    """A handling to record on an item's chain of custody."""

    action: str = Field(max_length=20, description="transferred, analysed, released or destroyed")
    purpose: str = Field(min_length=1, max_length=2000)
    to: str | None = Field(default=None, max_length=200, description="the new holder (transferred)")
    location: str | None = Field(default=None, max_length=300)
    note: str = Field(default="", max_length=4000, description="why (required to release or destroy)")


class ExportRequest(BaseModel):
    purpose: str = Field(min_length=1, max_length=2000, description="why the evidence leaves the locker")


class VerifyView(BaseModel):
    """The outcome of re-checking one item: its content against its digest, and its custody chain."""

    evidence_id: str
    label: str
    ok: bool
    content: str = Field(description="ok, mismatch, missing, or not checked (destroyed)")
    expected_sha256: str
    found_sha256: str | None
    expected_size: int
    found_size: int | None
    problems: list[str]
