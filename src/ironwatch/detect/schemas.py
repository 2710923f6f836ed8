"""Input and output shapes of the rules API (the CLI's ``--json`` output uses them too)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ironwatch.detect.rule_loading import LoadSummary

RuleState = Literal["compiled", "failed", "deprecated", "unsupported"]
Level = Literal["informational", "low", "medium", "high", "critical"]


class RuleFilter(BaseModel):
    """Which rules to list."""

    model_config = ConfigDict(extra="forbid")
    state: RuleState | None = None
    level: Level | None = None
    kind: Literal["detection", "correlation"] | None = None
    enabled: bool | None = None
    origin: Literal["builtin", "path", "upload"] | None = None
    text: str | None = Field(default=None, max_length=200, description="substring of id, title or path")
    limit: int = Field(default=100, ge=1, le=5000)
    offset: int = Field(default=0, ge=0)


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    rule_id: str
    kind: str
    title: str
    level: str
    status: str
    state: str = Field(description="compiled, failed, deprecated or unsupported")
    error: str = Field(description="why it did not compile or is not run")
    enabled: bool
    origin: str
    source_path: str
    line: int | None
    logsource: str
    tags: list[str]
    changed_by: str | None
    changed_at: datetime | None
    change_reason: str
    loaded_at: datetime


class RuleDetailOut(RuleOut):
    notes: list[str]
    sha256: str
    loaded_by: str
    text: str = Field(description="the rule file's YAML text as loaded")


class RulePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[RuleOut]


class RuleToggle(BaseModel):
    """Why a rule is enabled or disabled (kept with the rule and in the audit trail)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=2000)


class ProblemOut(BaseModel):
    path: str
    line: int | None
    rule_id: str
    title: str
    reason: str


class LoadOut(BaseModel):
    """What a load did: files seen, rules compiled or failed (with reasons), rows added or changed."""

    files: int
    unchanged_files: int
    compiled: int
    failed: int
    set_aside: int = Field(description="deprecated or unsupported rules: stored, not run")
    correlations: int
    added: int
    updated: int
    removed: int
    problems: list[ProblemOut]
    seconds: float

    @classmethod
    def of(cls, summary: LoadSummary) -> LoadOut:
        return cls(
            files=summary.files,
            unchanged_files=summary.unchanged_files,
            compiled=summary.compiled,
            failed=summary.failed,
            set_aside=summary.set_aside,
            correlations=summary.correlations,
            added=summary.added,
            updated=summary.updated,
            removed=summary.removed,
            problems=[
                ProblemOut(path=p.path, line=p.line, rule_id=p.rule_id, title=p.title, reason=p.reason)
                for p in summary.problems
            ],
            seconds=round(summary.seconds, 3),
        )


class LintOut(BaseModel):
    """A rule file checked without storing anything."""

    files: int
    compiled: int
    failed: int
    set_aside: int
    correlations: int
    problems: list[ProblemOut]
    notes: list[ProblemOut]


class ExplanationOut(BaseModel):
    """One node of a rule's verdict on an event: matched or not, and why."""

    label: str
    matched: bool
    reason: str
    children: list[ExplanationOut] = Field(default_factory=list)


class EventVerdictOut(BaseModel):
    index: int = Field(description="the event's position in the file, from 1")
    event_id: str | None
    matched: bool
    summary: str = Field(description="one line: the event and the verdict")
    explanation: ExplanationOut
    fields: dict[str, Any] = Field(description="the event's values for the fields the rule tests")


class RuleTestOut(BaseModel):
    rule_id: str
    title: str
    events: int
    matched: int
    failures: int = Field(description="lines that could not be parsed into events")
    verdicts: list[EventVerdictOut]
