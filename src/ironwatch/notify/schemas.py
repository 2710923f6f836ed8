"""API and CLI shapes of notifications."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ironwatch.plan.fieldtypes import Duration


class NotificationOut(BaseModel):
    """One line of an incident's notification log: who was told what (by hash), when, how, and the answer."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    rule: str
    trigger: str
    audience: str
    recipient: str
    channel: str
    channel_kind: str
    template: str
    subject: str
    content_sha256: str
    tlp: str
    withheld: bool
    status: str
    attempts: int
    last_error: str | None
    escalation_level: int
    created_at: datetime
    sent_at: datetime | None
    ack_due_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    escalated_at: datetime | None


class NotificationSend(BaseModel):
    """A notification sent by hand (``notify:send``) to one audience of the plan."""

    model_config = ConfigDict(extra="forbid")

    audience: str = Field(min_length=1, description="an audience id of the plan's communication section")
    template: str | None = Field(default=None, description="a template; default: the audience's")
    message: str = Field(default="", max_length=5000, description="a note added to the message")
    acknowledge_within: Duration | None = Field(default=None, description="e.g. 30m: escalate if unanswered")


class AckResult(BaseModel):
    id: str
    status: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None

    model_config = ConfigDict(from_attributes=True)


class ChannelTestResult(BaseModel):
    channel: str
    kind: str
    recipient: str
    delivered: bool
    error: str | None = None


CSV_COLUMNS = (
    "id",
    "created_at",
    "rule",
    "trigger",
    "audience",
    "recipient",
    "channel",
    "template",
    "subject",
    "content_sha256",
    "tlp",
    "withheld",
    "status",
    "attempts",
    "last_error",
    "sent_at",
    "escalation_level",
    "ack_due_at",
    "acknowledged_at",
    "acknowledged_by",
    "escalated_at",
)
