"""Alerts: what detection raised, deduplicated; triage decides what becomes an incident."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ironwatch.store.tables.base import Base
from ironwatch.store.types import JSONDoc, UTCDateTime


class AlertRow(Base):
    """One alert: a rule (Sigma, correlation, anomaly or intel) matched, once or repeatedly.

    A repeat of the same ``dedup_key`` within the dedup window raises ``count`` and ``last_seen``
    on this row instead of adding another (``detect.alerts.record_alerts``).
    """

    __tablename__ = "alerts"
    __audit_type__ = "alert"
    __table_args__ = (
        Index("ix_alerts_dedup_key_last_seen", "dedup_key", "last_seen"),
        Index("ix_alerts_status_last_seen", "status", "last_seen"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    #: ``sigma``, ``correlation``, ``anomaly`` or ``intel``
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    rule_id: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    #: Sigma level: informational, low, medium, high, critical
    level: Mapped[str] = mapped_column(String(15), nullable=False)
    tags: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    attack_techniques: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    #: host, user, source_address, destination_address... as detection found them
    entities: Mapped[dict[str, str]] = mapped_column(JSONDoc, nullable=False)
    #: the matched events' values for the fields the rule tests (of the first match)
    fields: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
    #: what else the detector reports: indicator and feed, observed and expected values...
    details: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
    #: ids of matched events (the first ``MAX_EVENT_IDS``; ``count`` says how many there were)
    event_ids: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    dedup_key: Mapped[str] = mapped_column(String(64), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: ``new`` until triage decides: ``incident`` (linked), ``false_positive``, ``suppressed``
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    incident_id: Mapped[str | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    #: triage's incident candidate this alert belongs to
    group_id: Mapped[str | None] = mapped_column(ForeignKey("alert_groups.id"), index=True)
    #: the group's assessed priority, so the queue sorts by it
    priority: Mapped[str | None] = mapped_column(String(2))
    suppression_id: Mapped[str | None] = mapped_column(ForeignKey("suppressions.id"), index=True)
    #: ``count`` when triage last handled the alert: the difference is what is new since
    handled_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    #: the last decision: confirm, dismiss, merge, escalate, auto_open
    decision: Mapped[str | None] = mapped_column(String(20))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
