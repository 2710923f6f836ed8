"""What the intel API and CLI take and show."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

IndicatorType = Literal["ipv4", "ipv6", "cidr", "domain", "url", "sha256", "sha1", "md5", "email"]
FeedFormat = Literal["auto", "stix", "misp", "csv", "list"]
TLP = Literal["clear", "green", "amber", "amber+strict", "red"]
SOURCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@/+-]{0,99}$"


class IndicatorView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    type: str
    value: str
    source: str
    confidence: int
    tlp: str
    valid_from: datetime | None
    valid_until: datetime | None
    description: str
    external_id: str | None
    imported_at: datetime
    updated_at: datetime
    expired_at: datetime | None
    active: bool = Field(description="not expired and inside its validity window now")


class ImportOptions(BaseModel):
    """How to store a feed's indicators; the feed's own values win where it gives them."""

    source: str = Field(pattern=SOURCE_PATTERN, description="the feed's name, e.g. abuse-ch-feodo")
    format: FeedFormat = "auto"
    confidence: int | None = Field(
        default=None, ge=0, le=100, description="for indicators without one (else 50)"
    )
    tlp: TLP | None = Field(default=None, description="for indicators without one (else amber)")
    expires: str | None = Field(
        default=None, description="valid for this long from now when the feed gives no end: 90m, 12h, 30d, 2w"
    )


class ImportRequest(ImportOptions):
    """An import as a JSON body: the feed's text inline."""

    content: str = Field(min_length=1, description="the feed file's text (STIX/MISP JSON, CSV or a list)")
    name: str = Field(default="", max_length=200, description="the file name, to tell CSV from lists")


class ImportSummary(BaseModel):
    source: str
    format: str
    file_sha256: str
    read: int = Field(description="indicators understood in the feed")
    added: int
    updated: int = Field(description="already known from this source: refreshed (revived if expired)")
    revived: int
    duplicates: int = Field(description="the same indicator twice in the feed (the last one kept)")
    skipped: int = Field(description="entries left out; see reasons")
    reasons: dict[str, int]
    examples: list[str]


class ExpireRequest(BaseModel):
    source: str | None = Field(default=None, description="every active indicator of this feed")
    before: datetime | None = Field(
        default=None, description="indicators not (re)imported since this time (stale)"
    )
    all_past: bool = Field(default=False, description="indicators whose validity has ended")

    @field_validator("before", mode="after")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        """A time without a zone is UTC (``2026-01-01`` means midnight UTC)."""
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


class ExpireSummary(BaseModel):
    expired: int
    sources: list[str]


class SourceView(BaseModel):
    name: str
    revision: int
    active: int
    total: int
    last_import_at: datetime | None
    last_format: str | None
    last_file_sha256: str | None


class LookupResult(BaseModel):
    value: str
    type: str
    normalised: str
    matches: list[IndicatorView]
