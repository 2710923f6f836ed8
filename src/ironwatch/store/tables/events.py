"""Stored log events and the records of input that could not be parsed.

Events are data the system receives, not changes people make, so they are not in the audit
trail; their integrity comes from the spool's exactly-once contract (deterministic ids).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, LargeBinary, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from ironwatch.store.tables.base import Base
from ironwatch.store.types import JSONDoc, UTCDateTime


def _present(column: str) -> dict[str, Any]:
    """A partial index's condition for both databases: rows without the value are not indexed."""
    condition = text(f"{column} IS NOT NULL")
    return {"sqlite_where": condition, "postgresql_where": condition}


class EventRow(Base):
    """One stored event.

    Indexes follow ``ingest.search``: time; dataset; host and user compared case-insensitively
    (``lower(...)``, so the index matches the search's expression); source and destination address.
    The four value indexes are partial (``IS NOT NULL``): most events lack some of these values
    (sshd lines have no destination, firewall lines no user), and a row that is not indexed costs
    nothing to insert. ``received_at`` serves retention.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_time", "event_time"),
        Index("ix_events_dataset_time", "dataset", "event_time"),
        Index("ix_events_host_time", func.lower(text("host")), "event_time", **_present("host")),
        Index("ix_events_user_time", func.lower(text("user_name")), "event_time", **_present("user_name")),
        Index("ix_events_source_ip_time", "source_ip", "event_time", **_present("source_ip")),
        Index("ix_events_destination_ip_time", "destination_ip", "event_time", **_present("destination_ip")),
        Index("ix_events_received", "received_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    #: the source's time when known, else the receive time (what searches and timelines use)
    event_time: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    source_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    source: Mapped[str] = mapped_column(String(200), nullable=False)
    dataset: Mapped[str] = mapped_column(String(60), nullable=False)
    host: Mapped[str | None] = mapped_column(String(255))
    user_name: Mapped[str | None] = mapped_column(String(255))
    source_ip: Mapped[str | None] = mapped_column(String(45))
    destination_ip: Mapped[str | None] = mapped_column(String(45))
    action: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, nullable=False)
    fields: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
    notes: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)


class ParseFailureRow(Base):
    __tablename__ = "parse_failures"
    __table_args__ = (Index("ix_parse_failures_source_time", "source", "received_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    source: Mapped[str] = mapped_column(String(200), nullable=False)
    format: Mapped[str] = mapped_column(String(40), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    raw: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    truncated: Mapped[bool] = mapped_column(Boolean, nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
