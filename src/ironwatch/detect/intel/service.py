"""Threat-intelligence feeds: import (idempotent upsert), list, look up and expire indicators.

Indicators are machine data and are written in bulk, outside the row audit; every import and
expiry is one audit event (``intel.import``, ``intel.expire``) naming the actor, the feed, the
counts and the file's SHA-256. Each change raises the feed's revision, which the stream matcher
watches (``feed_version``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from ironwatch.core.errors import ValidationError
from ironwatch.core.permissions import Permission
from ironwatch.detect.intel import schemas as s
from ironwatch.detect.intel.importers import ParsedFeed
from ironwatch.detect.intel.index import IndicatorIndex, IndicatorRecord
from ironwatch.store.audit import append_event
from ironwatch.store.tables import IndicatorRow, IndicatorSourceRow
from ironwatch.store.uow import UnitOfWork

DEFAULT_CONFIDENCE = 50
DEFAULT_TLP = "amber"
_CHUNK = 5000


def import_feed(
    uow: UnitOfWork,
    feed: ParsedFeed,
    *,
    options: s.ImportOptions,
    expires: timedelta | None,
    content: bytes,
) -> s.ImportSummary:
    """Store a parsed feed under ``options.source``: new indicators added, known ones refreshed.

    Re-importing the same feed changes nothing but the times; an indicator expired earlier is
    revived by an import that carries it again.
    """
    uow.principal.require(Permission.INTEL_WRITE)
    now = uow.clock.now()
    source = options.source
    latest: dict[tuple[str, str], dict[str, object]] = {}
    for item in feed.indicators:
        latest[(item.type, item.value)] = {
            "type": item.type,
            "value": item.value,
            "source": source,
            "confidence": item.confidence
            if item.confidence is not None
            else options.confidence or DEFAULT_CONFIDENCE,
            "tlp": item.tlp or options.tlp or DEFAULT_TLP,
            "valid_from": item.valid_from,
            "valid_until": item.valid_until or (now + expires if expires else None),
            "description": item.description[:2000],
            "external_id": (item.external_id or None) and item.external_id[:200],
            "updated_at": now,
            "expired_at": None,
        }
    known = {
        (kind, value): (ident, expired)
        for ident, kind, value, expired in uow.session.execute(
            select(IndicatorRow.id, IndicatorRow.type, IndicatorRow.value, IndicatorRow.expired_at).where(
                IndicatorRow.source == source
            )
        )
    }
    added = [{**row, "imported_at": now} for key, row in latest.items() if key not in known]
    changed = [{**row, "id": known[key][0]} for key, row in latest.items() if key in known]
    revived = sum(1 for key in latest if key in known and known[key][1] is not None)
    for start in range(0, len(added), _CHUNK):
        uow.session.execute(insert(IndicatorRow), added[start : start + _CHUNK])
    for start in range(0, len(changed), _CHUNK):
        uow.session.execute(update(IndicatorRow), changed[start : start + _CHUNK])
    row = uow.session.get(IndicatorSourceRow, source)
    if row is None:
        row = IndicatorSourceRow(name=source, revision=0, updated_at=now)
        uow.session.add(row)
    digest = hashlib.sha256(content).hexdigest()
    row.revision += 1
    row.last_import_at = now
    row.last_file_sha256 = digest
    row.last_format = feed.format
    row.updated_at = now
    summary = s.ImportSummary(
        source=source,
        format=feed.format,
        file_sha256=digest,
        read=len(feed.indicators),
        added=len(added),
        updated=len(changed),
        revived=revived,
        duplicates=len(feed.indicators) - len(latest),
        skipped=sum(feed.skipped.values()),
        reasons=dict(feed.skipped.most_common()),
        examples=list(feed.examples),
    )
    append_event(
        uow.session,
        uow.session.info["audit"],
        action="intel.import",
        object_type="intel_feed",
        object_id=source,
        details=summary.model_dump(mode="json", exclude={"examples"}),
    )
    uow.flush()
    return summary


def expire_indicators(
    uow: UnitOfWork, *, source: str | None = None, before: datetime | None = None, all_past: bool = False
) -> s.ExpireSummary:
    """Mark active indicators expired: a feed's, those not re-imported since ``before``, or those past
    their ``valid_until``. Criteria given together must all hold."""
    uow.principal.require(Permission.INTEL_WRITE)
    if source is None and before is None and not all_past:
        raise ValidationError(
            "say which indicators to expire", hint="give a source, a time (before) or all past (--all-past)"
        )
    now = uow.clock.now()
    where: list[ColumnElement[bool]] = [IndicatorRow.expired_at.is_(None)]
    if source is not None:
        where.append(IndicatorRow.source == source)
    if before is not None:
        where.append(IndicatorRow.updated_at < before)
    if all_past:
        where.append(IndicatorRow.valid_until <= now)
    sources = sorted(uow.session.scalars(select(IndicatorRow.source).where(*where).distinct()))
    if not sources:
        return s.ExpireSummary(expired=0, sources=[])
    result = uow.session.execute(update(IndicatorRow).where(*where).values(expired_at=now))
    count = int(getattr(result, "rowcount", 0) or 0)
    for row in uow.session.scalars(select(IndicatorSourceRow).where(IndicatorSourceRow.name.in_(sources))):
        row.revision += 1
        row.updated_at = now
    append_event(
        uow.session,
        uow.session.info["audit"],
        action="intel.expire",
        object_type="intel_feed",
        object_id=",".join(sources)[:200],
        details={
            "expired": count,
            "sources": sources,
            "criteria": {
                "source": source,
                "before": before.isoformat() if before else None,
                "all_past": all_past,
            },
        },
    )
    uow.flush()
    return s.ExpireSummary(expired=count, sources=sources)


def _active(now: datetime) -> ColumnElement[bool]:
    return (IndicatorRow.expired_at.is_(None)) & or_(
        IndicatorRow.valid_until.is_(None), IndicatorRow.valid_until > now
    )


def view(row: IndicatorRow, now: datetime) -> s.IndicatorView:
    active = row.expired_at is None and (row.valid_until is None or row.valid_until > now)
    active = active and (row.valid_from is None or row.valid_from <= now)
    return s.IndicatorView.model_validate({**_columns(row), "active": active})


def _columns(row: IndicatorRow) -> dict[str, object]:
    return {c.key: getattr(row, c.key) for c in IndicatorRow.__table__.columns}


def list_indicators(
    uow: UnitOfWork,
    *,
    type: str | None = None,
    source: str | None = None,
    active: bool | None = None,
    search: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[s.IndicatorView]:
    """Indicators, newest import first, filtered; ``search`` is a substring of the value."""
    uow.principal.require(Permission.INTEL_READ)
    now = uow.clock.now()
    query = select(IndicatorRow)
    if type is not None:
        query = query.where(IndicatorRow.type == type)
    if source is not None:
        query = query.where(IndicatorRow.source == source)
    if active is True:
        query = query.where(_active(now))
    elif active is False:
        query = query.where(~_active(now))
    if search:
        query = query.where(IndicatorRow.value.contains(search.lower(), autoescape=True))
    query = query.order_by(IndicatorRow.updated_at.desc(), IndicatorRow.id).limit(limit).offset(offset)
    return [view(row, now) for row in uow.session.scalars(query)]


def list_sources(uow: UnitOfWork) -> list[s.SourceView]:
    """Every feed with its active and total indicator counts."""
    uow.principal.require(Permission.INTEL_READ)
    now = uow.clock.now()
    totals = dict(
        uow.session.execute(select(IndicatorRow.source, func.count()).group_by(IndicatorRow.source)).all()
    )
    active = dict(
        uow.session.execute(
            select(IndicatorRow.source, func.count()).where(_active(now)).group_by(IndicatorRow.source)
        ).all()
    )
    rows = uow.session.scalars(select(IndicatorSourceRow).order_by(IndicatorSourceRow.name))
    return [
        s.SourceView(
            name=r.name,
            revision=r.revision,
            active=active.get(r.name, 0),
            total=totals.get(r.name, 0),
            last_import_at=r.last_import_at,
            last_format=r.last_format,
            last_file_sha256=r.last_file_sha256,
        )
        for r in rows
    ]


def feed_version(uow: UnitOfWork) -> tuple[int, int]:
    """Changes whenever any feed's indicators change: one query on the few-row sources table."""
    uow.principal.require(Permission.INTEL_READ)
    count, total = uow.session.execute(
        select(func.count(), func.coalesce(func.sum(IndicatorSourceRow.revision), 0))
    ).one()
    return int(count), int(total)


RECORD_FIELDS = (
    "id",
    "type",
    "value",
    "source",
    "confidence",
    "tlp",
    "valid_from",
    "valid_until",
    "description",
    "external_id",
)


def load_index(uow: UnitOfWork) -> IndicatorIndex:
    """Every indicator not expired and not past its end now, for matching (validity re-checked per event)."""
    uow.principal.require(Permission.INTEL_READ)
    columns = [getattr(IndicatorRow, name) for name in RECORD_FIELDS]
    now = uow.clock.now()
    rows = uow.session.execute(select(*columns).where(_active(now)).execution_options(yield_per=10_000))
    return IndicatorIndex(IndicatorRecord(*row) for row in rows)


def expire_past(uow: UnitOfWork) -> int:
    """The periodic expiry pass: indicators past their ``valid_until`` are marked expired."""
    uow.principal.require(Permission.INTEL_WRITE)
    has_past = uow.session.scalar(
        select(func.count())
        .select_from(IndicatorRow)
        .where(IndicatorRow.expired_at.is_(None), IndicatorRow.valid_until <= uow.clock.now())
    )
    if not has_past:
        return 0  # nothing to do: no audit entry for an empty pass
    return expire_indicators(uow, all_past=True).expired
