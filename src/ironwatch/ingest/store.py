"""Writing parsed events and parse failures to the event store, exactly once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.dialects import postgresql, sqlite

from ironwatch.core.ids import new_id
from ironwatch.ingest.event import Event, ParseFailure
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
    _insert_ignoring_duplicates(conn, _EVENTS, events)
    _insert_ignoring_duplicates(conn, _FAILURES, failures)
    return len(events), len(failures)
