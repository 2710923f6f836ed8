"""The evidence locker: items of evidence and the chain-of-custody log of each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ironwatch.store.tables.base import Base
from ironwatch.store.types import JSONDoc, UTCDateTime


class EvidenceRow(Base):
    """One item of evidence held for an incident; its content is stored by SHA-256.

    ``number`` counts the incident's evidence (shown as ``IR-2026-0001/E3``). ``storage_backend``
    and ``storage_key`` say where the content lies (``local`` under ``IRONWATCH_HOME/evidence``
    or ``s3`` in a bucket); the key is derived from the digest, never from a client's name.
    """

    __tablename__ = "evidence"
    __audit_type__ = "evidence"
    __table_args__ = (
        UniqueConstraint("incident_id", "number", name="uq_evidence_incident_number"),
        Index("ix_evidence_sha256", "sha256"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), nullable=False, index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    #: the name given at intake, cleaned for display; never used as a path
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    content_type: Mapped[str] = mapped_column(String(127), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    storage_backend: Mapped[str] = mapped_column(String(10), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(400), nullable=False)
    #: how it came in: ``upload`` (API), ``cli``, ``action`` (a response action collected it)
    source: Mapped[str] = mapped_column(String(100), nullable=False)
    tags: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    collected_by: Mapped[str] = mapped_column(String(100), nullable=False)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: who holds it now and where (changed by ``transferred`` custody entries)
    holder: Mapped[str] = mapped_column(String(200), nullable=False)
    location: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    #: ``held``, ``released`` or ``destroyed``
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    status_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CustodyEntryRow(Base):
    """One handling of an item of evidence, hash-chained to the item's previous entry.

    ``hash`` is SHA-256 over ``prev_hash`` and the canonical JSON of the entry (see
    ``evidence.custody``); the first entry's ``prev_hash`` is 64 zeros. ``incident_id`` puts the
    entry on the incident's audit trail too.
    """

    __tablename__ = "custody_entries"
    __audit_type__ = "custody"
    __table_args__ = (
        UniqueConstraint("evidence_id", "seq", name="uq_custody_entries_evidence_seq"),
        UniqueConstraint("evidence_id", "prev_hash", name="uq_custody_entries_evidence_prev"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    evidence_id: Mapped[str] = mapped_column(ForeignKey("evidence.id"), nullable=False)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), nullable=False, index=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    #: collected, transferred, accessed, analysed, exported, verified, released, destroyed
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    purpose: Mapped[str] = mapped_column(Text, nullable=False, default="")
    holder: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    location: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: machine-readable facts of the handling (a verification's expected and found digests)
    details: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
