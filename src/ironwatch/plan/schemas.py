"""Input and output shapes of the plan API (the CLI's ``--json`` output uses them too)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ironwatch.plan.diff import PlanChange
from ironwatch.plan.readiness import READINESS_FORMULA, Readiness
from ironwatch.plan.service import MAX_NOTE_CHARS, MAX_SOURCE_CHARS, VersionInfo


class PlanSubmission(BaseModel):
    """``POST /api/v1/plan`` as JSON: the plan's YAML text, a note for the history, where it came from."""

    model_config = ConfigDict(extra="forbid")
    yaml: str = Field(description="the plan file's text")
    note: str = Field(default="", max_length=MAX_NOTE_CHARS, description="why this version")
    source: str = Field(default="api", max_length=MAX_SOURCE_CHARS, description="file name, for messages")


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    version: int
    sha256: str
    source: str
    note: str
    applied_by: str
    applied_at: datetime
    summary: dict[str, Any] = Field(description="counts and paths of what changed from the previous version")


class ChangeOut(BaseModel):
    kind: str = Field(description="added, removed or changed")
    path: str = Field(description="where in the plan, list entries by id, e.g. team.people[alex].phone")
    before: Any
    after: Any

    @classmethod
    def of(cls, change: PlanChange) -> ChangeOut:
        return cls(kind=change.kind, path=change.path, before=change.before, after=change.after)


class CurrentPlanOut(BaseModel):
    version: VersionOut
    plan: dict[str, Any] = Field(description="the plan as JSON (durations as 15m, 4h...)")


class VersionDetailOut(CurrentPlanOut):
    yaml: str = Field(description="the text exactly as applied")


class AppliedOut(BaseModel):
    version: VersionOut
    changes: list[ChangeOut]


class DiffOut(BaseModel):
    from_version: int
    to_version: int
    changes: list[ChangeOut]


class CheckOut(BaseModel):
    check: str
    weight: int
    ratio: float


class GapOut(BaseModel):
    check: str
    severity: str
    message: str
    hint: str
    path: str


class ReadinessOut(BaseModel):
    version: int
    score: int = Field(description="0-100")
    formula: str = Field(description="how the score is computed from the checks")
    checks: list[CheckOut]
    gaps: list[GapOut] = Field(description="most severe first")

    @classmethod
    def of(cls, info: VersionInfo, result: Readiness) -> ReadinessOut:
        return cls(
            version=info.version,
            score=result.score,
            formula=READINESS_FORMULA,
            checks=[CheckOut(check=c.check, weight=c.weight, ratio=round(c.ratio, 4)) for c in result.checks],
            gaps=[
                GapOut(check=g.check, severity=g.severity.value, message=g.message, hint=g.hint, path=g.path)
                for g in result.gaps
            ],
        )
