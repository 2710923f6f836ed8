"""Searching stored events: by time range, host, user, address, dataset and text."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import ColumnElement, func, or_, select

from ironwatch.core.errors import NotFoundError, ValidationError
from ironwatch.core.permissions import Permission
from ironwatch.incidents.schemas import UTCTime
from ironwatch.store.tables import EventRow, ParseFailureRow
from ironwatch.store.uow import UnitOfWork

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class EventQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: UTCTime | None = None
    until: UTCTime | None = None
    host: Short | None = None
    user: Short | None = None
    address: Short | None = Field(default=None, description="source or destination IP")
    dataset: Short | None = None
    text: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=100_000)


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    event_time: datetime
    source_time: datetime | None
    received_at: datetime
    source: str
    dataset: str
    host: str | None
    user_name: str | None
    source_ip: str | None
    destination_ip: str | None
    action: str | None
    outcome: str | None
    message: str
    fields: dict[str, Any]
    notes: list[str]


class EventPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[EventOut]


class FailureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    received_at: datetime
    source: str
    format: str
    reason: str
    size: int
    truncated: bool
    preview: str


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(query: EventQuery) -> list[ColumnElement[bool]]:
    if query.since and query.until and query.until <= query.since:
        raise ValidationError("until is not after since", hint="give a time range that moves forward")
    conditions: list[ColumnElement[bool]] = []
    if query.since:
        conditions.append(EventRow.event_time >= query.since)
    if query.until:
        conditions.append(EventRow.event_time < query.until)
    # "IS NOT NULL" lets the database use the partial lower(...) indexes (store/tables/events.py)
    if query.host:
        conditions += [EventRow.host.is_not(None), func.lower(EventRow.host) == query.host.lower()]
    if query.user:
        conditions += [EventRow.user_name.is_not(None), func.lower(EventRow.user_name) == query.user.lower()]
    if query.address:
        conditions.append(or_(EventRow.source_ip == query.address, EventRow.destination_ip == query.address))
    if query.dataset:
        conditions.append(
            or_(
                EventRow.dataset == query.dataset,
                EventRow.dataset.like(f"{_escape_like(query.dataset)}.%", escape="\\"),
            )
        )
    if query.text:
        conditions.append(
            func.lower(EventRow.message).like(f"%{_escape_like(query.text.lower())}%", escape="\\")
        )
    return conditions


def search_events(uow: UnitOfWork, query: EventQuery) -> tuple[int, list[EventRow]]:
    """Events matching every given filter, newest first, and how many match in all."""
    uow.principal.require(Permission.EVENTS_READ)
    conditions = _conditions(query)
    total = uow.session.scalar(select(func.count()).select_from(EventRow).where(*conditions)) or 0
    rows = uow.session.scalars(
        select(EventRow)
        .where(*conditions)
        .order_by(EventRow.event_time.desc(), EventRow.id.desc())
        .limit(query.limit)
        .offset(query.offset)
    ).all()
    return int(total), list(rows)


def get_event(uow: UnitOfWork, event_id: str) -> EventRow:
    uow.principal.require(Permission.EVENTS_READ)
    row = uow.session.get(EventRow, event_id)
    if row is None:
        raise NotFoundError(f"no event {event_id!r}", hint="search with `ironwatch events search`")
    return row


def list_failures(uow: UnitOfWork, *, source: str | None = None, limit: int = 100) -> list[FailureOut]:
    """The most recent input that could not be parsed, with a readable preview of its bytes."""
    uow.principal.require(Permission.EVENTS_READ)
    statement = select(ParseFailureRow).order_by(ParseFailureRow.received_at.desc()).limit(min(limit, 1000))
    if source:
        statement = statement.where(ParseFailureRow.source == source)
    return [
        FailureOut(
            id=r.id,
            received_at=r.received_at,
            source=r.source,
            format=r.format,
            reason=r.reason,
            size=r.size,
            truncated=r.truncated,
            preview=r.raw[:200].decode("utf-8", "backslashreplace"),
        )
        for r in uow.session.scalars(statement).all()
    ]


def count_stored(uow: UnitOfWork) -> dict[str, int]:
    return {
        "events": int(uow.session.scalar(select(func.count()).select_from(EventRow)) or 0),
        "parse_failures": int(uow.session.scalar(select(func.count()).select_from(ParseFailureRow)) or 0),
    }
