"""Lessons learned: manual timeline entries, post-incident reviews, their action items and feedback."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ironwatch.store.tables.base import Base
from ironwatch.store.types import JSONDoc, UTCDateTime


class TimelineEntryRow(Base):
    """A step of an incident's timeline that someone established by hand (the rest is derived).

    ``source`` says where the fact comes from (a firewall log, an interview); ``confidence`` how sure
    the team is: ``confirmed``, ``likely`` or ``possible``.
    """

    __tablename__ = "timeline_entries"
    __audit_type__ = "timeline_entry"
    __table_args__ = (Index("ix_timeline_entries_incident_at", "incident_id", "at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    source: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    confidence: Mapped[str] = mapped_column(String(12), nullable=False)
    #: MITRE ATT&CK technique id, e.g. T1566.001
    technique: Mapped[str | None] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ReviewRow(Base):
    """The post-incident review of one incident: ``draft`` until completed, then ``completed``.

    The lists are JSON documents shaped by ``review.schemas`` (highlights, factors, decisions,
    detection gaps, training needs); ``root_cause_category`` is a short key the metrics count.
    """

    __tablename__ = "reviews"
    __audit_type__ = "review"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    highlights: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    root_cause: Mapped[str] = mapped_column(Text, nullable=False, default="")
    root_cause_category: Mapped[str | None] = mapped_column(String(64), index=True)
    contributing_factors: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    went_well: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    to_improve: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    decisions: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, nullable=False)
    #: impact and cost: people-hours spent on the response, systems and records affected, money
    hours_spent: Mapped[float | None] = mapped_column(Float)
    systems_affected: Mapped[int | None] = mapped_column(Integer)
    records_affected: Mapped[int | None] = mapped_column(Integer)
    #: estimated cost in whole units of ``currency`` (an estimate: cents would be false precision)
    cost: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="EUR")
    techniques: Mapped[list[str]] = mapped_column(JSONDoc, nullable=False)
    detection_gaps: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, nullable=False)
    training_needs: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, nullable=False)
    started_by: Mapped[str] = mapped_column(String(100), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    completed_by: Mapped[str | None] = mapped_column(String(100))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the plan version the review's training needs were applied as, if any
    plan_version: Mapped[int | None] = mapped_column(Integer)


class ActionItemRow(Base):
    """Something a review decided to change, with an owner and a due date, tracked until closed."""

    __tablename__ = "review_action_items"
    __audit_type__ = "action_item"
    __table_args__ = (
        UniqueConstraint("review_id", "number", name="uq_review_action_items_review_number"),
        Index("ix_review_action_items_status_due", "status", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    review_id: Mapped[str] = mapped_column(ForeignKey("reviews.id"), nullable=False)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), nullable=False, index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    owner: Mapped[str] = mapped_column(String(100), nullable=False)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: ``open``, ``in_progress``, ``done`` or ``wont_do``
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    resolution: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(100))


class ReviewFeedbackRow(Base):
    """One participant's view of how the response went (collected for the review)."""

    __tablename__ = "review_feedback"
    __audit_type__ = "review_feedback"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    review_id: Mapped[str] = mapped_column(ForeignKey("reviews.id"), nullable=False, index=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), nullable=False, index=True)
    participant: Mapped[str] = mapped_column(String(100), nullable=False)
    #: 1 (poorly) to 5 (very well), if given
    rating: Mapped[int | None] = mapped_column(Integer)
    went_well: Mapped[str] = mapped_column(Text, nullable=False, default="")
    to_improve: Mapped[str] = mapped_column(Text, nullable=False, default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
