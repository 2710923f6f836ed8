"""Breach facts per incident, the notification obligations opened from them, and their submissions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ironwatch.store.tables.base import Base
from ironwatch.store.types import JSONDoc, UTCDateTime


class IncidentFactsRow(Base):
    """What is known about an incident that decides its notification duties (one row per incident).

    ``values`` holds the facts people gave (``core.breach_facts``: personal_data, records,
    awareness_at...); organisation facts come from the plan and are not copied here.
    """

    __tablename__ = "incident_facts"
    __audit_type__ = "incident_facts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), unique=True, nullable=False)
    values: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
    #: special-handling flags triage raised (e.g. ["personal_data"]) and when: the breach facts are asked
    flags: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ObligationRow(Base):
    """A duty to notify someone by a deadline, opened for one incident from its facts.

    ``phases`` is the list of the duty's phases with their computed deadlines and submission
    times; ``next_deadline`` is the earliest unsubmitted required phase's deadline (what lists
    sort by and the clock job watches). Status: ``open`` (nothing submitted), ``submitted``
    (a phase submitted, a later one still due), ``closed`` (every required phase submitted),
    ``not_applicable`` (a fact it depended on changed, or a person decided so; ``status_reason``).
    """

    __tablename__ = "obligations"
    __audit_type__ = "obligation"
    __table_args__ = (
        UniqueConstraint("incident_id", "duty_id"),
        Index("ix_obligations_status_next_deadline", "status", "next_deadline"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), nullable=False, index=True)
    duty_id: Mapped[str] = mapped_column(String(80), nullable=False)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    regime: Mapped[str] = mapped_column(String(40), nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    citation: Mapped[str] = mapped_column(String(500), nullable=False)
    citation_url: Mapped[str] = mapped_column(String(500), nullable=False)
    #: kind, name, stakeholder_kind, stakeholder
    recipient: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
    clock_fact: Mapped[str] = mapped_column(String(40), nullable=False)
    clock_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the clock start was not given and is taken from the incident (its question stays open)
    clock_assumed: Mapped[bool] = mapped_column(nullable=False, default=False)
    phases: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, nullable=False)
    next_phase: Mapped[str | None] = mapped_column(String(64))
    next_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    status_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: reminder markers already published ("<phase>:due:<offset>", "<phase>:overdue")
    reminders_sent: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ObligationSubmissionRow(Base):
    """Evidence that a phase of an obligation was submitted: what, when, to whom, their reference."""

    __tablename__ = "obligation_submissions"
    __audit_type__ = "obligation_submission"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    obligation_id: Mapped[str] = mapped_column(ForeignKey("obligations.id"), nullable=False, index=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), nullable=False, index=True)
    phase: Mapped[str] = mapped_column(String(64), nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    submitted_to: Mapped[str] = mapped_column(String(300), nullable=False)
    reference: Mapped[str] = mapped_column(String(200), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    attachment_id: Mapped[str | None] = mapped_column(ForeignKey("incident_attachments.id"))
    recorded_by: Mapped[str] = mapped_column(String(100), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
