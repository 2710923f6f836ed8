"""Validated input and output shapes for incidents (the API, the CLI and the web UI share them)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from ironwatch.core.clock import ensure_utc


class TLP(StrEnum):
    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class TaskStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else ensure_utc(value)


UTCTime = Annotated[datetime, AfterValidator(ensure_utc)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=100_000)]
Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[^\s,]+$")
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class ReporterContact(Strict):
    name: Annotated[str, StringConstraints(max_length=200)] = ""
    email: EmailStr | None = None
    phone: Annotated[str, StringConstraints(max_length=40, pattern=r"^[0-9+()./ -]*$")] = ""
    unit: Annotated[str, StringConstraints(max_length=200)] = ""


class IncidentCreate(Strict):
    title: Title
    summary: Text = ""
    observations: Text = ""
    reporter: ReporterContact = Field(default_factory=ReporterContact)
    occurred_at: UTCTime | None = None
    detected_at: UTCTime | None = None
    reported_at: UTCTime | None = None
    category: Annotated[str, StringConstraints(max_length=100)] | None = None
    severity: Severity | None = None
    priority: Priority | None = None
    tlp: TLP = TLP.AMBER
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    affected_assets: list[Name] = Field(default_factory=list, max_length=500)
    assignee: Name | None = None
    restricted: bool = False


class IncidentUpdate(Strict):
    """Only the fields given change; ``null`` clears a field that may be empty."""

    title: Title | None = None
    summary: Text | None = None
    observations: Text | None = None
    reporter: ReporterContact | None = None
    occurred_at: UTCTime | None = None
    detected_at: UTCTime | None = None
    category: Annotated[str, StringConstraints(max_length=100)] | None = None
    severity: Severity | None = None
    priority: Priority | None = None
    tlp: TLP | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)
    affected_assets: list[Name] | None = Field(default=None, max_length=500)
    assignee: Name | None = None
    restricted: bool | None = None


class TransitionRequest(Strict):
    to: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
    note: Annotated[str, StringConstraints(max_length=10_000)] = ""


class CommentCreate(Strict):
    body: Annotated[str, StringConstraints(min_length=1, max_length=100_000)]


class TaskCreate(Strict):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    owner: Name | None = None
    due_at: UTCTime | None = None


class TaskUpdate(Strict):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)] | None = (
        None
    )
    owner: Name | None = None
    due_at: UTCTime | None = None
    status: TaskStatus | None = None


class ObservableCreate(Strict):
    type: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    value: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    note: Annotated[str, StringConstraints(max_length=10_000)] = ""
    tlp: TLP | None = None


class MemberAdd(Strict):
    username: Name


class IncidentFilter(Strict):
    status: list[str] | None = None
    severity: list[Severity] | None = None
    priority: list[Priority] | None = None
    assignee: str | None = None
    tag: str | None = None
    text: Annotated[str, StringConstraints(max_length=200)] | None = None
    since: UTCTime | None = None
    until: UTCTime | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TransitionOut(Out):
    from_state: str
    to_state: str
    note: str
    actor: str
    at: datetime


class CommentOut(Out):
    id: str
    author: str
    body: str
    created_at: datetime


class TaskOut(Out):
    id: str
    title: str
    owner: str | None
    due_at: datetime | None
    status: str
    created_at: datetime
    updated_at: datetime


class ObservableOut(Out):
    id: str
    type: str
    value: str
    note: str
    tlp: str | None
    created_at: datetime


class AttachmentOut(Out):
    id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


class IncidentOut(Out):
    id: str
    ref: str
    title: str
    summary: str
    observations: str
    status: str
    category: str | None
    severity: str | None
    priority: str | None
    tlp: str
    tags: list[str]
    affected_assets: list[str]
    reporter: dict[str, Any]
    assignee: str | None
    restricted: bool
    created_by: str
    occurred_at: datetime | None
    detected_at: datetime | None
    reported_at: datetime
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    confirmed_at: datetime | None
    contained_at: datetime | None
    recovered_at: datetime | None
    closed_at: datetime | None
    reviewed_at: datetime | None


class IncidentDetail(IncidentOut):
    members: list[str]
    transitions: list[TransitionOut]
    comments: list[CommentOut]
    tasks: list[TaskOut]
    observables: list[ObservableOut]
    attachments: list[AttachmentOut]


class IncidentPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[IncidentOut]


class AuditEntryOut(Out):
    seq: int
    at: datetime
    actor: str
    source_ip: str | None
    action: str
    object_type: str
    object_id: str
    changes: dict[str, Any]
    hash: str
