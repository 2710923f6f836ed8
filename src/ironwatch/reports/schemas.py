"""Validated shapes of a report: what a reporter sends and what they may see again."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from ironwatch.incidents.schemas import Name, ReporterContact, Strict, Title, UTCTime


class ReportKind(StrEnum):
    """What is being reported (ISO/IEC 27035: events, weaknesses and failures people notice)."""

    SUSPECTED_INCIDENT = "suspected_incident"
    FAILURE = "failure"
    WEAKNESS = "weakness"


Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000)]
Location = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class ReportSubmission(Strict):
    """A report: what happened, when, where, which systems, what kind, and who reports it."""

    title: Title
    description: Description
    kind: ReportKind = ReportKind.SUSPECTED_INCIDENT
    occurred_at: UTCTime | None = Field(default=None, description="when it happened, with a time zone")
    location: Location = ""
    systems: list[Name] = Field(default_factory=list, max_length=50, description="affected systems")
    reporter: ReporterContact = Field(default_factory=ReporterContact)


class AttachmentReceipt(BaseModel):
    """An attachment as the reporter sees it: the name they gave, its size and SHA-256."""

    filename: str
    size: int
    sha256: str


class ReportReceipt(BaseModel):
    """The answer to a submitted report. The lookup token is shown once; only its hash is kept."""

    reference: str
    status: str
    lookup_token: str = Field(
        description="shown once: with it, the status can be looked up without signing in"
    )
    attachments: list[AttachmentReceipt]


class ReportSummary(BaseModel):
    """One line of a reporter's own reports."""

    reference: str
    title: str
    kind: ReportKind
    status: str
    submitted_at: datetime
    updated_at: datetime


class ReportView(ReportSummary):
    """A report as its reporter may see it: what they sent and the status, nothing internal."""

    description: str
    occurred_at: datetime | None
    location: str
    systems: list[str]
    attachments: list[AttachmentReceipt]
