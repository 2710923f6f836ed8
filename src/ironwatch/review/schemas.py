"""What the lessons-learned API takes and returns: timelines, reviews, action items, feedback."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from ironwatch.core.clock import ensure_utc
from ironwatch.core.errors import ValidationError
from ironwatch.incidents.schemas import UTCTime

#: a MITRE ATT&CK technique or sub-technique id
Technique = Annotated[
    str,
    BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v),
    StringConstraints(pattern=r"^T\d{4}(\.\d{3})?$"),
]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
LongText = Annotated[str, StringConstraints(max_length=100_000)]
Key = Annotated[
    str,
    BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v),
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$"),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def aware(value: datetime | None, what: str) -> datetime | None:
    """``value`` in UTC; a time without a zone is refused (a query's since/until, say)."""
    if value is None:
        return None
    try:
        return ensure_utc(value)
    except ValueError as exc:
        raise ValidationError(
            f"{what}: {exc}", hint="add Z or an offset, e.g. 2026-03-01T00:00:00Z"
        ) from None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Confidence(StrEnum):
    CONFIRMED = "confirmed"
    LIKELY = "likely"
    POSSIBLE = "possible"


class TimelineEntryOut(BaseModel):
    """One step of an incident's timeline; ``kind`` says where it came from."""

    at: datetime
    kind: str = Field(
        description="milestone, state, alert, event, task, comment, observable, attachment, evidence, "
        "action, notification, sla, obligation or manual"
    )
    text: str
    actor: str = ""
    source: str = Field("", description="where the fact comes from")
    confidence: str = Field("recorded", description="recorded (by the system) or a manual entry's")
    techniques: list[str] = Field(default_factory=list, description="ATT&CK techniques of the step")
    object_id: str = ""


class ManualEntryCreate(Strict):
    at: UTCTime
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
    source: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    confidence: Confidence = Confidence.CONFIRMED
    technique: Technique | None = None


class ReviewStatus(StrEnum):
    DRAFT = "draft"
    COMPLETED = "completed"


class Decision(Strict):
    """A decision taken during the response and how it looks in hindsight."""

    decision: Line
    assessment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class DetectionGap(Strict):
    """A step of the attack that detection missed, and for how long it went unnoticed."""

    step: Line
    technique: Technique | None = None
    started_at: UTCTime | None = None
    detected_at: UTCTime | None = Field(None, description="when it was noticed; empty: never detected")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class DetectionGapOut(DetectionGap):
    undetected_hours: float | None = Field(None, description="detected_at - started_at, when both are known")


class TrainingNeed(Strict):
    """Training the review found was needed: an existing course, or a new one to add to the plan.

    On completion each need becomes an entry in the plan's training programme (a new plan version):
    a new course with ``title``, or the existing course with the roles and people added.
    """

    course: Key = Field(description="id of a course in the plan, or of a new course")
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = Field(
        "", description="needed for a new course"
    )
    roles: list[Key] = Field(default_factory=list, max_length=50, description="audience role ids")
    people: list[Key] = Field(default_factory=list, max_length=200, description="person ids")
    frequency_days: int = Field(365, ge=1, le=3650, description="for a new course: how long it stays current")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""

    @property
    def frequency(self) -> timedelta:
        return timedelta(days=self.frequency_days)


class ReviewFields(Strict):
    """The parts of a review a person writes; every field optional when updating."""

    summary: LongText | None = None
    highlights: list[Line] | None = Field(None, max_length=100, description="timeline highlights")
    root_cause: LongText | None = None
    root_cause_category: Key | None = Field(
        None, description="a short key the metrics count, e.g. phishing, unpatched-software"
    )
    contributing_factors: list[Line] | None = Field(None, max_length=100)
    went_well: list[Line] | None = Field(None, max_length=100)
    to_improve: list[Line] | None = Field(None, max_length=100)
    decisions: list[Decision] | None = Field(None, max_length=100)
    hours_spent: float | None = Field(None, ge=0, le=1_000_000, description="people-hours on the response")
    systems_affected: int | None = Field(None, ge=0)
    records_affected: int | None = Field(None, ge=0)
    cost: int | None = Field(None, ge=0, description="estimated cost in whole units of the currency")
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    techniques: list[Technique] | None = Field(None, max_length=200, description="ATT&CK techniques observed")
    detection_gaps: list[DetectionGap] | None = Field(None, max_length=100)
    training_needs: list[TrainingNeed] | None = Field(None, max_length=50)


class ActionItemStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    WONT_DO = "wont_do"


CLOSED_ITEM_STATES = frozenset({ActionItemStatus.DONE, ActionItemStatus.WONT_DO})


class ActionItemCreate(Strict):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    owner: Name
    due_at: UTCTime | None = None


class ActionItemClose(Strict):
    status: ActionItemStatus = ActionItemStatus.DONE
    resolution: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)] = ""


class ActionItemOut(BaseModel):
    id: str
    label: str = Field(description="the incident's reference and the item's number, e.g. IR-2026-0001-A2")
    incident: str
    number: int
    title: str
    owner: str
    due_at: datetime | None
    status: str
    resolution: str
    created_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    overdue: bool


class FeedbackCreate(Strict):
    rating: int | None = Field(None, ge=1, le=5, description="1 (poorly) to 5 (very well)")
    went_well: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)] = ""
    to_improve: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)] = ""


class FeedbackOut(BaseModel):
    participant: str
    rating: int | None
    went_well: str
    to_improve: str
    submitted_at: datetime


class ReviewOut(BaseModel):
    incident: str
    incident_status: str
    status: str
    summary: str
    highlights: list[str]
    root_cause: str
    root_cause_category: str | None
    contributing_factors: list[str]
    went_well: list[str]
    to_improve: list[str]
    decisions: list[Decision]
    hours_spent: float | None
    systems_affected: int | None
    records_affected: int | None
    cost: int | None
    currency: str
    techniques: list[str]
    detection_gaps: list[DetectionGapOut]
    training_needs: list[TrainingNeed]
    started_by: str
    started_at: datetime
    updated_at: datetime
    completed_by: str | None
    completed_at: datetime | None
    plan_version: int | None = Field(None, description="the plan version holding the training needs")
    action_items: list[ActionItemOut]
    feedback: list[FeedbackOut]
