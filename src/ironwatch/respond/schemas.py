"""API and CLI shapes of the respond slice: playbooks, playbook runs and action requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ironwatch.plan.fieldtypes import Identifier


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionRequestIn(Strict):
    """A person asking for one action on an incident."""

    connector: Identifier = Field(description="e.g. block_address; see GET /api/v1/connectors")
    inputs: dict[str, Any] = Field(default_factory=dict)
    title: str | None = Field(default=None, max_length=300)
    dry_run: bool = Field(default=False, description="only show what would happen, even if enabled")
    idempotency_key: str | None = Field(
        default=None,
        min_length=8,
        max_length=100,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="send the same key again and get the same request back instead of a second one",
    )


class DecisionIn(Strict):
    note: str = Field(default="", max_length=2000)


class ActionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    incident_id: str
    run_id: str | None
    position: int
    step_id: str | None
    title: str
    connector: str
    inputs: dict[str, Any]
    destructive: bool
    dry_run: bool
    on_failure: str
    status: str
    idempotency_key: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    attempts: int
    max_attempts: int
    next_attempt_at: datetime | None
    lease_expires_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None
    undo_requested_by: str | None
    undone_at: datetime | None
    result: dict[str, Any]
    error: str


class PlaybookRunIn(Strict):
    playbook: Identifier | None = Field(default=None, description="default: the one for the category")
    dry_run: bool = Field(default=False, description="every action only shows what it would do")


class PlaybookRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    incident_id: str
    playbook_id: str
    playbook_version: int
    playbook_sha256: str
    dry_run: bool
    started_by: str
    started_at: datetime
    steps: list[dict[str, Any]]


class PlaybookRunDetail(PlaybookRunOut):
    actions: list[ActionOut]


class PlaybookSummary(BaseModel):
    id: str
    name: str
    categories: list[str]
    version: int
    source: str
    sha256: str
    steps: int
    actions: int


class PlaybookDetail(PlaybookSummary):
    description: str
    text: str
    phases: dict[str, Any]


class PlaybookLoadIn(Strict):
    text: str = Field(min_length=1, max_length=500_000, description="the playbook YAML")
    source: str = Field(default="api", max_length=300)


class ValidationOut(BaseModel):
    valid: bool
    id: str | None = None
    problems: list[dict[str, Any]] = Field(default_factory=list)


class ConnectorOut(BaseModel):
    name: str
    title: str
    destructive: bool
    undoable: bool
    enabled: bool
    inputs: dict[str, Any]
    config: dict[str, Any]
