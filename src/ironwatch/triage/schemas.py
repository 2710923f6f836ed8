"""Input and output shapes for the alert queue, triage decisions, suppressions and assessments."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ironwatch.core.clock import ensure_utc
from ironwatch.plan.fieldtypes import parse_duration

UTCTime = Annotated[datetime, AfterValidator(ensure_utc)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
ALERT_STATES = ("new", "incident", "false_positive", "suppressed")
#: what the queue shows unless asked otherwise: alerts waiting for a decision
QUEUE_STATES = ("new",)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Decision(StrEnum):
    CONFIRM = "confirm"
    DISMISS = "dismiss"
    MERGE = "merge"
    ESCALATE = "escalate"


class AlertFilter(Strict):
    status: list[str] | None = None
    level: list[str] | None = None
    rule: str | None = Field(default=None, max_length=100)
    entity: str | None = Field(default=None, max_length=300, description="a value, or name=value")
    since: UTCTime | None = None
    incident: str | None = Field(default=None, max_length=40, description="alerts of this incident")
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)

    @field_validator("status")
    @classmethod
    def _states(cls, value: list[str] | None) -> list[str] | None:
        for state in value or ():
            if state not in (*ALERT_STATES, "any"):
                raise ValueError(f"unknown alert status {state!r}: use {', '.join(ALERT_STATES)} or any")
        return value


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    rule_id: str
    title: str
    level: str
    status: str
    priority: str | None
    tags: list[str]
    attack_techniques: list[str]
    entities: dict[str, str]
    count: int
    first_seen: datetime
    last_seen: datetime
    group_id: str | None
    incident_id: str | None
    suppression_id: str | None
    decision: str | None
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None


class MatchedEvent(BaseModel):
    id: str
    event_time: datetime
    source: str
    dataset: str
    host: str | None
    message: str


class AlertDetail(AlertOut):
    fields: dict[str, Any]
    details: dict[str, Any]
    event_ids: list[str]
    events: list[MatchedEvent]
    incident_ref: str | None
    assessment: dict[str, Any]


class AlertPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[AlertOut]


class SuppressSpec(Strict):
    """A suppression made with a false-positive decision: the alert's rule on some of its entities."""

    scope: list[str] = Field(default_factory=lambda: ["host", "source_address"], max_length=4)
    expires_in: str = Field(default="30d", description="e.g. 7d, 30d")
    any_rule: bool = Field(default=False, description="suppress every rule on these entities")

    def duration(self) -> timedelta:
        return parse_duration(self.expires_in)


class DecisionRequest(Strict):
    decision: Decision
    reason: Reason = ""
    incident: str | None = Field(default=None, max_length=40, description="merge: the incident to join")
    suppress: SuppressSpec | None = None


class BulkRequest(DecisionRequest):
    filter: AlertFilter
    dry_run: bool = False


class DecisionResult(BaseModel):
    decision: str
    alerts: list[str]
    incidents: list[str]
    suppressions: list[str]
    dry_run: bool = False


class SuppressionCreate(Strict):
    rule_id: str | None = Field(default=None, max_length=100)
    entities: dict[str, str] = Field(default_factory=dict)
    reason: Reason
    expires_at: UTCTime | None = None
    expires_in: str | None = None
    owner: str | None = Field(default=None, max_length=100)


class SuppressionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    rule_id: str | None
    entities: dict[str, str]
    reason: str
    owner: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    source_alert_id: str | None
    matches: int
    last_match_at: datetime | None


class SlaClockOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    target: str
    priority: str
    started_at: datetime
    due_at: datetime
    business_hours: bool
    met_at: datetime | None
    breached_at: datetime | None
    cancelled_at: datetime | None


class EscalationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    level: int
    roles: list[str]
    people: list[str]
    reason: str
    actor: str
    at: datetime


class AssessmentOut(BaseModel):
    ref: str
    category: str | None
    severity: str | None
    impact: str | None
    urgency: str | None
    priority: str | None
    assignee: str | None
    playbook: str | None
    special_handling: list[str]
    auto_opened: bool
    reasons: dict[str, str]
    overridden: list[str]
    escalation_level: int
    sla: list[SlaClockOut]
    escalations: list[EscalationOut]
    alerts: list[AlertOut]


class AssessmentOverride(Strict):
    """A person's values; each given field is kept from then on, with the reason."""

    category: str | None = Field(default=None, max_length=100)
    severity: str | None = Field(default=None, pattern="^(low|medium|high|critical)$")
    impact: str | None = Field(default=None, max_length=64)
    urgency: str | None = Field(default=None, max_length=64)
    priority: str | None = Field(default=None, pattern="^P[1-9]$")
    playbook: str | None = Field(default=None, max_length=64)
    reason: Reason = Field(min_length=1)


class AssignRequest(Strict):
    assignee: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None
    ) = None
    reason: Reason = ""
