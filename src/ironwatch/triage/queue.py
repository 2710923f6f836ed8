"""The alert queue: alerts waiting for a decision, by priority then age, with their matched events."""

from __future__ import annotations

import json

from sqlalchemy import ColumnElement, Select, String, Text, case, func, or_, select

from ironwatch.core.errors import NotFoundError, ValidationError
from ironwatch.core.permissions import Permission
from ironwatch.detect.sigma.match import ENTITY_FIELDS
from ironwatch.incidents import service as incidents
from ironwatch.store.tables import AlertGroupRow, AlertRow, EventRow
from ironwatch.store.uow import UnitOfWork
from ironwatch.triage import schemas as s
from ironwatch.triage.grouping import canonical_entities

MAX_EVENTS_SHOWN = 100


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _entity_value(uow: UnitOfWork, key: str) -> ColumnElement[str]:
    if uow.db.dialect == "postgresql":
        return func.jsonb_extract_path_text(AlertRow.entities, key, type_=String())
    return func.json_extract(AlertRow.entities, f'$."{key}"', type_=String())


def _entity_filter(uow: UnitOfWork, text: str) -> ColumnElement[bool]:
    name, sep, value = text.partition("=")
    if not sep:
        quoted = _escape_like(json.dumps(text.strip()))
        return func.cast(AlertRow.entities, Text()).like(f"%{quoted}%", escape="\\")
    canonical = next(iter(canonical_entities({name.strip(): "x"})), None)
    if canonical is None:
        raise ValidationError(
            f"unknown entity {name.strip()!r}",
            hint=f"use a value, or name=value with {', '.join(ENTITY_FIELDS)}",
        )
    keys = (canonical, *ENTITY_FIELDS[canonical])
    return or_(*(_entity_value(uow, key) == value.strip() for key in keys))


def filtered(uow: UnitOfWork, flt: s.AlertFilter) -> Select[AlertRow]:
    """The query for ``flt`` (default: alerts waiting for a decision)."""
    query = select(AlertRow)
    states = flt.status or list(s.QUEUE_STATES)
    if "any" not in states:
        query = query.where(AlertRow.status.in_(states))
    if flt.level:
        query = query.where(AlertRow.level.in_(flt.level))
    if flt.rule:
        query = query.where(AlertRow.rule_id == flt.rule)
    if flt.entity:
        query = query.where(_entity_filter(uow, flt.entity))
    if flt.since:
        query = query.where(AlertRow.last_seen >= flt.since)
    if flt.incident:
        query = query.where(AlertRow.incident_id == incidents.find_incident(uow, flt.incident).id)
    return query


def queue_order(query: Select[AlertRow]) -> Select[AlertRow]:
    """Highest priority first (unassessed last), then the longest waiting."""
    return query.order_by(
        case((AlertRow.priority.is_(None), 1), else_=0), AlertRow.priority, AlertRow.first_seen, AlertRow.id
    )


def list_alerts(uow: UnitOfWork, flt: s.AlertFilter) -> tuple[int, list[AlertRow]]:
    """A page of alerts and how many match. Needs ``alerts:read``."""
    uow.principal.require(Permission.ALERTS_READ)
    query = filtered(uow, flt)
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = uow.session.scalars(queue_order(query).limit(flt.limit).offset(flt.offset)).all()
    return int(total), list(rows)


def find_alert(uow: UnitOfWork, alert_id: str) -> AlertRow:
    row = uow.session.get(AlertRow, alert_id.strip())
    if row is None:
        raise NotFoundError(f"no alert {alert_id!r}", hint="list alerts with `ironwatch alerts list`")
    return row


def alert_detail(uow: UnitOfWork, alert_id: str) -> s.AlertDetail:
    """One alert with its matched events (from the event store), group assessment and incident."""
    uow.principal.require(Permission.ALERTS_READ)
    row = find_alert(uow, alert_id)
    ids = row.event_ids[:MAX_EVENTS_SHOWN]
    events = (
        uow.session.scalars(select(EventRow).where(EventRow.id.in_(ids)).order_by(EventRow.event_time)).all()
        if ids
        else []
    )
    group = uow.session.get(AlertGroupRow, row.group_id) if row.group_id else None
    incident_ref = None
    if row.incident_id and uow.principal.can(Permission.INCIDENT_READ):
        try:  # need-to-know: a restricted incident's reference only for those who may see it
            incident_ref = incidents.find_incident(uow, row.incident_id).ref
        except NotFoundError:
            incident_ref = None
    base = s.AlertOut.model_validate(row).model_dump()
    return s.AlertDetail(
        **base,
        fields=row.fields,
        details=row.details,
        event_ids=row.event_ids,
        events=[
            s.MatchedEvent(
                id=e.id,
                event_time=e.event_time,
                source=e.source,
                dataset=e.dataset,
                host=e.host,
                message=e.message,
            )
            for e in events
        ],
        incident_ref=incident_ref,
        assessment=group.assessment if group is not None else {},
    )
