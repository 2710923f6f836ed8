"""Reports people file: what they told us, kept as received, beside the incident opened for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ironwatch.store.tables.base import Base
from ironwatch.store.types import JSONDoc, UTCDateTime


class ReportRow(Base):
    """One report as submitted; the incident (``incident_id``) is the working record."""

    __tablename__ = "incident_reports"
    __audit_type__ = "report"
    __table_args__ = (Index("ix_incident_reports_source_ip_submitted_at", "source_ip", "submitted_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), nullable=False, unique=True)
    #: ``suspected_incident``, ``failure`` or ``weakness``
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    location: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    systems: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: submitted without credentials through the public intake
    anonymous: Mapped[bool] = mapped_column(nullable=False, default=False)
    source_ip: Mapped[str | None] = mapped_column(String(45))
    #: SHA-256 of the lookup token handed to the reporter; the token itself is never stored
    lookup_token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
