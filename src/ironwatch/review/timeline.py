"""An incident's timeline: every source's steps merged in time order, plus manual entries.

Each slice that holds something about an incident contributes one *timeline source*: a function
``(uow, incident) -> iterable of TimelineEntryOut`` listed in ``timeline_sources.SOURCES`` under the
kind of entry it yields. A new slice adds one function and one line there; nothing else changes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

import orjson

from ironwatch.core.errors import ValidationError
from ironwatch.core.ids import new_id
from ironwatch.core.permissions import Permission
from ironwatch.incidents.service import find_incident
from ironwatch.review import schemas as s
from ironwatch.review.timeline_entry import Entry
from ironwatch.review.timeline_sources import SOURCES as _SOURCES
from ironwatch.store.tables import TimelineEntryRow
from ironwatch.store.uow import UnitOfWork

#: order of kinds at the same instant: what happened before what was done about it
KIND_ORDER = (
    "milestone",
    "event",
    "alert",
    "state",
    "sla",
    "manual",
    "task",
    "comment",
    "observable",
    "attachment",
    "evidence",
    "action",
    "notification",
    "obligation",
)


def known_kinds() -> list[str]:
    return [k for k in KIND_ORDER if k in _SOURCES] + sorted(set(_SOURCES) - set(KIND_ORDER))


def _parse_kinds(kinds: Iterable[str] | None) -> set[str]:
    wanted = {k.strip().lower() for k in kinds or () if k.strip()}
    unknown = wanted - set(_SOURCES)
    if unknown:
        raise ValidationError(
            f"unknown timeline kind {', '.join(sorted(unknown))}",
            hint=f"use any of: {', '.join(known_kinds())}",
        )
    return wanted or set(_SOURCES)


def _sort_key(entry: Entry) -> tuple[datetime, int, str, str]:
    rank = KIND_ORDER.index(entry.kind) if entry.kind in KIND_ORDER else len(KIND_ORDER)
    return (entry.at, rank, entry.object_id, entry.text)


def incident_timeline(
    uow: UnitOfWork,
    key: str,
    *,
    kinds: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Entry]:
    """The incident's timeline in time order, of the given ``kinds``, from ``since`` to before ``until``.

    Needs ``incident:read`` (and need-to-know on the incident); matched events appear only for
    principals who may search events.
    """
    uow.principal.require(Permission.INCIDENT_READ)
    incident = find_incident(uow, key)
    wanted = _parse_kinds(kinds)
    since, until = s.aware(since, "since"), s.aware(until, "until")
    entries: list[Entry] = []
    for kind in known_kinds():
        if kind in wanted:
            entries.extend(_SOURCES[kind](uow, incident))
    chosen = [e for e in entries if (since is None or e.at >= since) and (until is None or e.at < until)]
    return sorted(chosen, key=_sort_key)


def add_timeline_entry(uow: UnitOfWork, key: str, data: s.ManualEntryCreate) -> TimelineEntryRow:
    """Add a step established by hand (with its source and confidence). Needs ``incident:task``."""
    uow.principal.require(Permission.INCIDENT_TASK)
    incident = find_incident(uow, key)
    row = TimelineEntryRow(
        id=new_id(),
        incident_id=incident.id,
        at=data.at,
        text=data.text,
        source=data.source,
        confidence=data.confidence.value,
        technique=data.technique,
        author=uow.principal.name,
        created_at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.flush()
    return row


CSV_COLUMNS = ("at", "kind", "text", "actor", "source", "confidence", "techniques", "object_id")


def timeline_csv(entries: Iterable[Entry]) -> str:
    """The timeline as CSV (one row a step; techniques joined by spaces); cells never start a formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        row = [e.at.isoformat(), e.kind, e.text, e.actor, e.source, e.confidence, " ".join(e.techniques)]
        writer.writerow([_cell(v) for v in [*row, e.object_id]])
    return out.getvalue()


def _cell(value: str) -> str:
    # a spreadsheet runs a cell starting with = + - @ as a formula (CSV injection)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def timeline_json(entries: Iterable[Entry]) -> bytes:
    return orjson.dumps([e.model_dump(mode="json") for e in entries], option=orjson.OPT_INDENT_2)
