"""The notification log and outbox: who was told what, when, over which channel, and whether they answered.

Domain-event handlers add rows in the transaction of the change that caused them (``queued``);
the dispatcher in ``serve`` claims them with a lease, delivers them and records the outcome. The
content itself is kept so it can be sent later; the log shows its SHA-256, which proves what was
said. Acknowledgement links carry a single-use token of which only the hash is stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ironwatch.store.tables.base import Base
from ironwatch.store.types import UTCDateTime


class NotificationRow(Base):
    __tablename__ = "notifications"
    __audit_type__ = "notification"
    __table_args__ = (
        Index("ix_notifications_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_notifications_ack_due", "ack_due_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_id: Mapped[str | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    #: the notifications sent for one event and rule (and their escalations) share a batch:
    #: an acknowledgement by any of them stops the batch's escalation
    batch: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    #: the plan rule, ``manual`` (notify send) or ``escalation``
    rule: Mapped[str] = mapped_column(String(64), nullable=False)
    #: the domain event kind that caused it (``incident.created``...) or ``manual``
    trigger: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(String(64), nullable=False)
    #: an e-mail address, or the channel id for webhooks and chat
    recipient: Mapped[str] = mapped_column(String(320), nullable=False)
    #: the plan's person id when the recipient is a person (escalation follows the team)
    person: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64), nullable=False)
    channel_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    template: Mapped[str] = mapped_column(String(64), nullable=False)
    tlp: Mapped[str] = mapped_column(String(12), nullable=False)
    #: content above the audience's clearance was replaced by a notice
    withheld: Mapped[bool] = mapped_column(nullable=False, default=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body_text: Mapped[str] = mapped_column(Text, nullable=False)
    body_html: Mapped[str | None] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    #: queued, sending, sent, failed, acknowledged, escalated, withheld
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    escalation_level: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    ack_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ack_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
