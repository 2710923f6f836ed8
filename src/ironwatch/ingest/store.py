"""Writing parsed events and parse failures to the event store, exactly once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
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
# built from the table's own column names, no input involved
_SQLITE_EVENT_INSERT = (
    f"INSERT INTO events ({', '.join(_EVENT_COLUMNS)}) VALUES ({', '.join('?' * len(_EVENT_COLUMNS))}) "  # noqa: S608
    "ON CONFLICT (id) DO NOTHING"
)


#: page cache of the connection storing events (SQLite's default is 2 MiB). The event table's eight
#: B-trees take a page each per batch at their right edge and, for the address and user indexes,
#: pages all over: with the default, inserts re-read pages evicted a moment ago. Bounded, per
#: connection; measured ~1.5x the insert rate at 200k rows (docs/benchmarks.md). Set for the batch
#: and put back afterwards (SQLite frees the pages above the limit), so a pooled connection that
#: stored events does not keep 32 MiB for its later, unrelated work: with several pooled
#: connections taking turns that was an unbounded-looking rise of the server's memory.
_SQLITE_CACHE = "PRAGMA cache_size=-32768"
_SQLITE_CACHE_DEFAULT = "PRAGMA cache_size=-2000"


def _sqlite_time(value: datetime | None) -> str | None:
    """The text SQLAlchemy's SQLite DATETIME stores (naive UTC), so both write paths sort and read alike."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


_HOST_KEYS = ("host.name", "Computer", "host.hostname")
_USER_KEYS = ("user.name", "TargetUserName", "SubjectUserName")
_SOURCE_IP_KEYS = ("source.ip", "IpAddress")
_NO_NOTES = "[]"


def _column(fields: dict[str, object], keys: tuple[str, ...], limit: int) -> str | None:
    """``_text`` for the hot path: a non-empty string under the first key is the common case."""
    value = fields.get(keys[0])
    if value.__class__ is str and value:
        return value[:limit]
    return _text(fields, *keys, limit=limit)


def sqlite_event_params(event: Event, times: dict[datetime, str | None]) -> tuple[Any, ...]:
    """One event as the tuple the SQLite insert takes, in ``_EVENT_COLUMNS`` order, built directly.

    Same values as ``event_row`` (tests compare them); ``times`` caches the text of each
    timestamp over a batch, where most events share their receive time and many their time.
    """
    fields = event.fields
    original = event.original
    timestamp = event.timestamp
    received = event.received_at
    source_time = times.get(timestamp) if timestamp is not None else None
    if source_time is None and timestamp is not None:
        source_time = times[timestamp] = _sqlite_time(timestamp)
    received_text = times.get(received)
    if received_text is None:
        received_text = times[received] = _sqlite_time(received)
    notes = event.notes
    return (
        event.id,
        source_time if timestamp is not None else received_text,
        source_time,
        received_text,
        event.source[:200],
        event.dataset[:60],
        _column(fields, _HOST_KEYS, 255),
        _column(fields, _USER_KEYS, 255),
        _column(fields, _SOURCE_IP_KEYS, 45),
        _column(fields, ("destination.ip",), 45),
        _column(fields, ("event.action",), 100),
        _column(fields, ("event.outcome",), 20),
        original if len(original) <= MESSAGE_LIMIT else original[:MESSAGE_LIMIT],
        orjson.dumps(fields, default=str).decode(),
        json_dumps(list(notes)) if notes else _NO_NOTES,
        len(original),
    )


_SQLITE_ORDER = (
    "id", "event_time", "source_time", "received_at", "source", "dataset", "host", "user_name",
    "source_ip", "destination_ip", "action", "outcome", "message", "fields", "notes", "size",
)  # fmt: skip
if _EVENT_COLUMNS != _SQLITE_ORDER:  # pragma: no cover - a new column must be added to both
    raise RuntimeError(f"events columns {_EVENT_COLUMNS} changed: update sqlite_event_params")


def _insert_events(conn: Connection, events: Sequence[Event]) -> None:
    """Events in bulk. On SQLite the rows go to the driver as plain tuples built straight from the
    events: SQLAlchemy's per-value bind processing, then the row dicts, were the largest costs of
    storing a batch (profile_pipeline.py)."""
    if not events:
        return
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(_SQLITE_CACHE)
        times: dict[datetime, str | None] = {}
        try:
            conn.exec_driver_sql(_SQLITE_EVENT_INSERT, [sqlite_event_params(e, times) for e in events])
        finally:
            conn.exec_driver_sql(_SQLITE_CACHE_DEFAULT)
    else:
        _insert_ignoring_duplicates(conn, _EVENTS, [event_row(e) for e in events])


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
    events: list[Event] = []
    failures: list[dict[str, Any]] = []
    for result, result_id in results:
        if isinstance(result, Event):
            result.id = result_id
            events.append(result)
        else:
            failures.append(failure_row(result, failure_id=result_id))
    _insert_events(conn, events)
    _insert_ignoring_duplicates(conn, _FAILURES, failures)
    return len(events), len(failures)
