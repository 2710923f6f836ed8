"""Writing parsed events and parse failures to the event store, exactly once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.dialects import postgresql, sqlite

from ironwatch.core.ids import new_id
from ironwatch.ingest.event import Event, ParseFailure
from ironwatch.store.db import json_dumps
from ironwatch.store.tables import EventRow, ParseFailureRow

MESSAGE_LIMIT = 64 * 1024

_EVENTS: Table = EventRow.__table__  # type: ignore[assignment]
_FAILURES: Table = ParseFailureRow.__table__  # type: ignore[assignment]


def _text(fields: dict[str, object], *keys: str, limit: int = 255) -> str | None:
    for key in keys:
        value = fields.get(key)
        if value is not None and value != "":
            text = str(value)
            return text[:limit]
    return None


def event_row(event: Event) -> dict[str, Any]:
    """The stored shape of an event: indexed columns pulled out of the flat field dict."""
    fields = event.fields
    message = event.original if len(event.original) <= MESSAGE_LIMIT else event.original[:MESSAGE_LIMIT]
    return {
        "id": event.id,
        "event_time": event.effective_time,
        "source_time": event.timestamp,
        "received_at": event.received_at,
        "source": event.source[:200],
        "dataset": event.dataset[:60],
        "host": _text(fields, "host.name", "Computer", "host.hostname"),
        "user_name": _text(fields, "user.name", "TargetUserName", "SubjectUserName"),
        "source_ip": _text(fields, "source.ip", "IpAddress", limit=45),
        "destination_ip": _text(fields, "destination.ip", limit=45),
        "action": _text(fields, "event.action", limit=100),
        "outcome": _text(fields, "event.outcome", limit=20),
        "message": message,
        "fields": fields,
        "notes": list(event.notes),
        "size": len(event.original),
    }


def failure_row(failure: ParseFailure, *, failure_id: str | None = None) -> dict[str, Any]:
    return {
        "id": failure_id or new_id(),
        "received_at": failure.received_at,
        "source": failure.source[:200],
        "format": failure.format[:40],
        "reason": failure.reason,
        "raw": failure.raw,
        "truncated": failure.truncated,
        "size": len(failure.raw),
    }


_EVENT_COLUMNS = tuple(column.name for column in _EVENTS.columns)
_JSON_POSITIONS = tuple(i for i, name in enumerate(_EVENT_COLUMNS) if name in {"fields", "notes"})
_TIME_POSITIONS = tuple(
    i for i, name in enumerate(_EVENT_COLUMNS) if name in {"event_time", "source_time", "received_at"}
)
# built from the table's own column names, no input involved
_SQLITE_EVENT_INSERT = (
    f"INSERT INTO events ({', '.join(_EVENT_COLUMNS)}) VALUES ({', '.join('?' * len(_EVENT_COLUMNS))}) "  # noqa: S608
    "ON CONFLICT (id) DO NOTHING"
)


def _sqlite_time(value: datetime | None) -> str | None:
    """The text SQLAlchemy's SQLite DATETIME stores (naive UTC), so both write paths sort and read alike."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_event_params(row: dict[str, Any]) -> tuple[Any, ...]:
    values = [row[name] for name in _EVENT_COLUMNS]
    for i in _TIME_POSITIONS:
        values[i] = _sqlite_time(values[i])
    for i in _JSON_POSITIONS:
        values[i] = json_dumps(values[i])
    return tuple(values)


def _insert_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Events in bulk. On SQLite the rows go to the driver as plain tuples: SQLAlchemy's per-value
    bind processing was the largest single cost of storing a batch (profile_pipeline.py)."""
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(_SQLITE_EVENT_INSERT, [_sqlite_event_params(row) for row in rows])
    else:
        _insert_ignoring_duplicates(conn, _EVENTS, rows)


def _insert_ignoring_duplicates(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(table).on_conflict_do_nothing(index_elements=["id"])
    elif dialect == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=["id"])
    else:
        statement = insert(table)
    conn.execute(statement, list(rows))


def store_results(
    conn: Connection,
    results: Iterable[tuple[Event | ParseFailure, str]],
) -> tuple[int, int]:
    """Insert events and failures under their deterministic ids; a repeated id is skipped.

    ``results`` pairs each parse result with its id (the spool's event id, or a file position id),
    which makes a replay after a crash harmless. Returns ``(events, failures)`` offered.
    """
    events: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for result, result_id in results:
        if isinstance(result, Event):
            result.id = result_id
            events.append(event_row(result))
        else:
            failures.append(failure_row(result, failure_id=result_id))
    _insert_events(conn, events)
    _insert_ignoring_duplicates(conn, _FAILURES, failures)
    return len(events), len(failures)
