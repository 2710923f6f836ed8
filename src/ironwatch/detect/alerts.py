"""Turning detections into alert records, deduplicated: the one writer of the ``alerts`` table.

Every detector (Sigma rules, correlations, anomalies, threat intel) hands its matches here. A match
whose dedup key already has an alert last seen within the dedup window raises that alert's count
and last-seen time; otherwise a new alert is opened. Each alert recorded publishes
``alert.recorded`` so triage can group, assess and open incidents in the same transaction, then one
``alert.batch_recorded`` so work per group (assessment) is done once per call, not once per alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ironwatch.core.clock import ensure_utc
from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.ids import new_id
from ironwatch.core.permissions import Permission
from ironwatch.detect.sigma.match import Match
from ironwatch.store.tables import AlertRow
from ironwatch.store.uow import UnitOfWork

#: an alert keeps the ids of its first matched events, then only counts
MAX_EVENT_IDS = 100
DEFAULT_DEDUP_WINDOW = timedelta(hours=1)
LEVELS = ("informational", "low", "medium", "high", "critical")


@dataclass(frozen=True)
class Recorded:
    """What ``record_alerts`` did with one match."""

    alert: AlertRow
    new: bool


def _seen_at(match: Match, default: datetime) -> datetime:
    value = match.timestamp
    if isinstance(value, datetime) and value.tzinfo is not None:
        return ensure_utc(value)
    return default


def record_alerts(
    uow: UnitOfWork,
    matches: Sequence[Match],
    *,
    dedup_window: timedelta = DEFAULT_DEDUP_WINDOW,
) -> list[Recorded]:
    """Record ``matches`` as alerts (new, or a repeat of one seen within ``dedup_window``).

    Needs ``events:ingest`` (detection runs as the ``detection`` system principal). Matches with
    the same dedup key in one call fold into one alert. The time of a match is its event's
    timestamp when known, else now.
    """
    uow.principal.require(Permission.EVENTS_INGEST)
    now = uow.clock.now()
    by_key: dict[str, AlertRow] = {}
    results: list[Recorded] = []
    latest = _latest_alerts(uow, matches, now, dedup_window)
    for match in matches:
        seen = _seen_at(match, now)
        row = by_key.get(match.dedup_key)
        new = False
        if row is None:
            stored = latest.get(match.dedup_key)
            # the newest alert of the key is within the window of this match, or none is
            row = stored if stored is not None and stored.last_seen >= seen - dedup_window else None
        if row is None:
            new = True
            row = AlertRow(
                id=new_id(),
                kind=match.kind,
                rule_id=match.rule_id,
                title=match.title[:300],
                level=match.level if match.level in LEVELS else "medium",
                tags=list(match.tags),
                attack_techniques=list(match.attack_techniques),
                entities=dict(match.entities),
                fields={k: _jsonable(v) for k, v in match.fields.items()},
                details={k: _jsonable(v) for k, v in match.details.items()},
                event_ids=list(match.event_ids[:MAX_EVENT_IDS]),
                dedup_key=match.dedup_key,
                count=match.count,
                first_seen=seen,
                last_seen=seen,
                created_at=now,
                updated_at=now,
                status="new",
            )
            uow.session.add(row)
        else:
            row.count += match.count
            row.first_seen = min(row.first_seen, seen)
            row.last_seen = max(row.last_seen, seen)
            row.updated_at = now
            room = MAX_EVENT_IDS - len(row.event_ids)
            if room > 0 and match.event_ids:
                known = set(row.event_ids)
                row.event_ids = [*row.event_ids, *[i for i in match.event_ids if i not in known][:room]]
        by_key[match.dedup_key] = row
        results.append(Recorded(row, new))
    uow.flush()
    for recorded in _last_per_alert(results):
        row = recorded.alert
        uow.publish(
            DomainEvent(
                "alert.recorded",
                row.id,
                {
                    "rule_id": row.rule_id,
                    "level": row.level,
                    "new": recorded.new,
                    "count": row.count,
                    "batch": True,
                },
            )
        )
    if results:
        # the batch's end: handlers that defer per-alert work (triage's assessment) do it once here
        ids = [r.alert.id for r in _last_per_alert(results)]
        uow.publish(DomainEvent("alert.batch_recorded", ids[0], {"alert_ids": ids}))
    return results


#: dedup keys per lookup query (SQLite allows 32,766 bound parameters; stay far below)
LOOKUP_CHUNK = 500


def _latest_alerts(
    uow: UnitOfWork, matches: Sequence[Match], now: datetime, dedup_window: timedelta
) -> dict[str, AlertRow]:
    """The newest stored alert of each dedup key that any match may repeat: one query per chunk of
    keys for the whole batch, not one per match (the dedup index ``(dedup_key, last_seen)`` serves it)."""
    if not matches:
        return {}
    since = min(_seen_at(m, now) for m in matches) - dedup_window
    keys = sorted({m.dedup_key for m in matches})
    latest: dict[str, AlertRow] = {}
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        rows = uow.session.scalars(
            select(AlertRow)
            .where(AlertRow.dedup_key.in_(chunk), AlertRow.last_seen >= since)
            .order_by(AlertRow.last_seen.desc(), AlertRow.id)
        ).all()
        for row in rows:
            latest.setdefault(row.dedup_key, row)
    return latest


def _last_per_alert(results: list[Recorded]) -> list[Recorded]:
    """One entry per alert; ``new`` if any of its matches opened it."""
    merged: dict[str, Recorded] = {}
    for recorded in results:
        before = merged.get(recorded.alert.id)
        opened = recorded.new or (before is not None and before.new)
        merged[recorded.alert.id] = Recorded(recorded.alert, opened)
    return list(merged.values())


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
