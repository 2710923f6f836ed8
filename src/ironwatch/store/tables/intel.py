"""Threat-intelligence indicators and the feeds they came from.

Indicators are machine data (a feed holds 100,000 of them and is re-imported daily), so they are
not audited row by row: each import and each expiry is one audit event naming the feed, the
counts and the file's SHA-256 (``detect.intel.service``). ``indicator_sources.revision`` rises
with every change to a feed's indicators, so the stream matcher learns that it must reload from
one query on a table of a few rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ironwatch.store.tables.base import Base
from ironwatch.store.types import UTCDateTime


class IndicatorRow(Base):
    """One indicator of compromise from one feed: an address, network, domain, URL, hash or mailbox."""

    __tablename__ = "indicators"
    __table_args__ = (
        UniqueConstraint("source", "type", "value", name="uq_indicators_source_type_value"),
        Index("ix_indicators_type_value", "type", "value"),
        Index("ix_indicators_expired_valid_until", "expired_at", "valid_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: ipv4, ipv6, cidr, domain, url, sha256, sha1, md5, email
    type: Mapped[str] = mapped_column(String(10), nullable=False)
    #: normalised (lower-case hashes and domains, canonical addresses and URLs)
    value: Mapped[str] = mapped_column(String(2048), nullable=False)
    #: the feed's name as given at import (``--source``)
    source: Mapped[str] = mapped_column(String(100), nullable=False)
    confidence: Mapped[int] = mapped_column(Integer, nullable=False)
    tlp: Mapped[str] = mapped_column(String(20), nullable=False)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: the feed's own id (STIX ``indicator--...``, MISP attribute uuid)
    external_id: Mapped[str | None] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: last import that carried it (an import that no longer carries it leaves this older)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: set by an expiry; an expired indicator no longer matches until a new import revives it
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IndicatorSourceRow(Base):
    """A feed: its counts and a revision that rises whenever its indicators change."""

    __tablename__ = "indicator_sources"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    last_import_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_file_sha256: Mapped[str | None] = mapped_column(String(64))
    last_format: Mapped[str | None] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
