"""Retention: events and parse failures are kept for an age and up to a row count, then pruned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, delete, func, select

from ironwatch.store.db import Database
from ironwatch.store.tables import EventRow, ParseFailureRow

BATCH = 10_000


@dataclass(frozen=True)
class RetentionPolicy:
    max_age: timedelta = timedelta(days=90)
    max_events: int = 50_000_000


@dataclass(frozen=True)
class PruneResult:
    events: int
    failures: int


def _prune_table(db: Database, table: Table, time_column: str, cutoff: datetime, max_rows: int) -> int:
    removed = 0
    column = table.c[time_column]
    while True:
        with db.engine.begin() as conn:
            ids = [r[0] for r in conn.execute(select(table.c.id).where(column < cutoff).limit(BATCH))]
            if ids:
                conn.execute(delete(table).where(table.c.id.in_(ids)))
        removed += len(ids)
        if len(ids) < BATCH:
            break
    with db.engine.begin() as conn:
        total = int(conn.scalar(select(func.count()).select_from(table)) or 0)
        excess = total - max_rows
        while excess > 0:
            ids = [r[0] for r in conn.execute(select(table.c.id).order_by(column).limit(min(excess, BATCH)))]
            conn.execute(delete(table).where(table.c.id.in_(ids)))
            removed += len(ids)
            excess -= len(ids)
    return removed


def prune(db: Database, policy: RetentionPolicy, *, now: datetime) -> PruneResult:
    """Delete what is older than the policy allows, then the oldest beyond the row limit."""
    cutoff = now - policy.max_age
    events: Table = EventRow.__table__  # type: ignore[assignment]
    failures: Table = ParseFailureRow.__table__  # type: ignore[assignment]
    return PruneResult(
        events=_prune_table(db, events, "received_at", cutoff, policy.max_events),
        failures=_prune_table(db, failures, "received_at", cutoff, policy.max_events),
    )
