"""Validated shapes of facts, questions, obligations and submissions at the API and CLI edge."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from ironwatch.core.deadlines import describe_start
from ironwatch.core.errors import ValidationError
from ironwatch.incidents.schemas import Out, Strict, UTCTime
from ironwatch.obligations.engine import Question
from ironwatch.obligations.service import FactsView
from ironwatch.plan.fieldtypes import parse_duration
from ironwatch.store.tables import ObligationRow, ObligationSubmissionRow

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class FactsUpdate(Strict):
    """Facts to record: ``{"personal_data": true, "records": 10000, "awareness_at": "...Z"}``; null unsets."""

    facts: dict[str, Any] = Field(min_length=1, max_length=50)


class FactsOut(BaseModel):
    ref: str
    given: dict[str, Any]
    effective: dict[str, Any]
    sources: dict[str, str] = Field(
        description="where each effective fact came from: incident, plan, data types"
    )
    flags: list[str]
    flagged_at: datetime | None

    @classmethod
    def of(cls, view: FactsView) -> FactsOut:
        return cls(**view.__dict__)


class QuestionOut(BaseModel):
    fact: str
    question: str
    hint: str
    duties: list[str]
    why: str

    @classmethod
    def of(cls, q: Question) -> QuestionOut:
        return cls(fact=q.fact, question=q.question, hint=q.hint, duties=list(q.duties), why=q.why)


class PhaseOut(BaseModel):
    id: str
    title: str
    required: bool
    deadline: datetime | None
    rule: str | None
    submitted_at: datetime | None
    content: list[dict[str, Any]]


class ObligationOut(Out):
    id: str
    ref: str = ""
    duty_id: str
    kind: str
    regime: str
    title: str
    citation: str
    citation_url: str
    recipient: dict[str, Any]
    clock_fact: str
    clock_started_at: datetime | None
    clock_assumed: bool
    phases: list[PhaseOut]
    next_phase: str | None
    next_deadline: datetime | None
    status: str
    status_reason: str
    opened_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, row: ObligationRow, ref: str) -> ObligationOut:
        out = cls.model_validate(row)
        return out.model_copy(update={"ref": ref})

    @property
    def clock_name(self) -> str:
        return describe_start(self.clock_fact)

    def due_in(self, now: datetime) -> timedelta | None:
        return self.next_deadline - now if self.next_deadline else None


class FactsResult(BaseModel):
    facts: FactsOut
    obligations_changed: list[ObligationOut]


class SubmissionIn(Strict):
    """Evidence of a submission: when, to whom, their reference; the phase defaults to the next one due."""

    submitted_at: UTCTime
    to: Short = Field(description="who received it, e.g. 'ICO breach reporting portal'")
    reference: Short = Field(description="the recipient's reference or case number")
    summary: Annotated[str, StringConstraints(max_length=10_000)] = Field(
        default="", description="what was sent"
    )
    phase: str | None = None
    attachment_id: str | None = Field(
        default=None, description="an attachment of the incident: the copy sent"
    )


class SubmissionOut(Out):
    id: str
    phase: str
    submitted_at: datetime
    submitted_to: str
    reference: str
    summary: str
    attachment_id: str | None
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, row: ObligationSubmissionRow) -> SubmissionOut:
        return cls.model_validate(row)


class NotApplicableIn(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ObligationDetail(ObligationOut):
    submissions: list[SubmissionOut] = Field(default_factory=list)


def parse_span(text: str, what: str = "due_within") -> timedelta:
    """``24h``, ``3d``, ``1h30m`` as a span; a clear error otherwise."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise ValidationError(f"{what}: {exc}", hint="write e.g. 24h, 3d or 1h30m") from exc
