"""Triage: alert groups (incident candidates), suppressions, assessments, SLA clocks, escalations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ironwatch.store.tables.base import Base
from ironwatch.store.types import JSONDoc, UTCDateTime


class AlertGroupRow(Base):
    """Related alerts (a shared entity within the plan's grouping window): one incident candidate."""

    __tablename__ = "alert_groups"
    __audit_type__ = "alert_group"
    __table_args__ = (Index("ix_alert_groups_last_seen", "last_seen"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    #: entity name -> sorted distinct values seen in the group's alerts
    entities: Mapped[dict[str, list[str]]] = mapped_column(JSONDoc, nullable=False)
    rule_ids: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    alert_count: Mapped[int] = mapped_column(Integer, nullable=False)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: the automatic assessment: values and the reason for each (``triage.assess``)
    assessment: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
    priority: Mapped[str | None] = mapped_column(String(2))
    incident_id: Mapped[str | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class SuppressionRow(Base):
    """Matches of ``rule_id`` (any rule if None) on these entities are counted here, never opened."""

    __tablename__ = "suppressions"
    __audit_type__ = "suppression"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    rule_id: Mapped[str | None] = mapped_column(String(100), index=True)
    #: entity name -> value that must be equal (empty: any entities)
    entities: Mapped[dict[str, str]] = mapped_column(JSONDoc, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    owner: Mapped[str] = mapped_column(String(100), nullable=False)
    created_by: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: set when someone ends it before it expires
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source_alert_id: Mapped[str | None] = mapped_column(String(36))
    #: suppressed matches counted (alert counts, not alerts)
    matches: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_match_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IncidentTriageRow(Base):
    """What triage decided about an incident and why: assessment reasons, playbook, escalation."""

    __tablename__ = "incident_triage"
    __audit_type__ = "incident_triage"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    auto_opened: Mapped[bool] = mapped_column(Boolean, nullable=False)
    impact: Mapped[str | None] = mapped_column(String(64))
    urgency: Mapped[str | None] = mapped_column(String(64))
    #: field -> why it has its value ("automatic: ..." or "set by alice: ...")
    reasons: Mapped[dict[str, str]] = mapped_column(JSONDoc, nullable=False)
    #: fields a person set; automatic reassessment leaves them alone
    overridden: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    playbook: Mapped[str | None] = mapped_column(String(64))
    special_handling: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    assigned_role: Mapped[str | None] = mapped_column(String(64))
    escalation_level: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class SlaClockRow(Base):
    """One target of an incident's priority (acknowledge, contain, resolve), from creation to due."""

    __tablename__ = "sla_clocks"
    __audit_type__ = "sla_clock"
    __table_args__ = (
        UniqueConstraint("incident_id", "target"),
        Index("ix_sla_clocks_open_due", "met_at", "cancelled_at", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), nullable=False, index=True)
    target: Mapped[str] = mapped_column(String(20), nullable=False)
    priority: Mapped[str] = mapped_column(String(2), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    business_hours: Mapped[bool] = mapped_column(Boolean, nullable=False)
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EscalationRow(Base):
    """An incident raised to an escalation level of the plan: who was to be told, and why."""

    __tablename__ = "incident_escalations"
    __audit_type__ = "escalation"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), nullable=False, index=True)
    level: Mapped[int] = mapped_column(Integer, nullable=False)
    roles: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    people: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
