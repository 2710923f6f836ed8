"""Suppression rules: matches of a rule on given entities are counted, never opened as incidents.

A suppression names a rule (or any rule), the entities it applies to (empty: any), an owner, a
reason and an expiry; it is audited like every table. Suppressed matches are not dropped: the alert
stays in the store marked ``suppressed`` and the suppression counts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from ironwatch.core.errors import ConflictError, NotFoundError, ValidationError
from ironwatch.core.ids import new_id
from ironwatch.core.permissions import Permission
from ironwatch.store.tables import AlertRow, SuppressionRow
from ironwatch.store.uow import UnitOfWork
from ironwatch.triage.grouping import ENTITY_NAMES, canonical_entities

MAX_SUPPRESSION = timedelta(days=366)


def create_suppression(
    uow: UnitOfWork,
    *,
    rule_id: str | None,
    entities: dict[str, str],
    reason: str,
    expires_at: datetime,
    owner: str | None = None,
    source_alert_id: str | None = None,
) -> SuppressionRow:
    """Suppress ``rule_id`` (None: any rule) on ``entities`` until ``expires_at``. Needs ``alerts:triage``."""
    uow.principal.require(Permission.ALERTS_TRIAGE)
    now = uow.clock.now()
    scope = canonical_entities(entities)
    unknown = sorted(set(entities) - set(scope))
    if unknown:
        raise ValidationError(
            f"unknown entity {', '.join(unknown)}", hint=f"scope a suppression by {', '.join(ENTITY_NAMES)}"
        )
    if not reason.strip():
        raise ValidationError("a suppression needs a reason", hint="say why these matches are harmless")
    if rule_id is None and not scope:
        raise ValidationError(
            "a suppression of every rule on every entity would hide everything",
            hint="name a rule, or scope it to a host, user or address",
        )
    if not now < expires_at <= now + MAX_SUPPRESSION:
        raise ValidationError(
            "a suppression must expire in the future and within a year",
            hint="give an expiry such as 7d or 30d; renew it if it is still needed",
        )
    row = SuppressionRow(
        id=new_id(),
        rule_id=rule_id,
        entities=scope,
        reason=reason.strip(),
        owner=owner or uow.principal.name,
        created_by=uow.principal.name,
        created_at=now,
        expires_at=expires_at,
        source_alert_id=source_alert_id,
        matches=0,
    )
    uow.session.add(row)
    uow.flush()
    return row


def list_suppressions(uow: UnitOfWork, *, active_only: bool = True) -> list[SuppressionRow]:
    """Suppressions, newest first; only those in force unless ``active_only`` is False."""
    uow.principal.require(Permission.ALERTS_READ)
    query = select(SuppressionRow).order_by(SuppressionRow.created_at.desc(), SuppressionRow.id)
    if active_only:
        query = query.where(SuppressionRow.ended_at.is_(None), SuppressionRow.expires_at > uow.clock.now())
    return list(uow.session.scalars(query).all())


def end_suppression(uow: UnitOfWork, suppression_id: str) -> SuppressionRow:
    """End a suppression now (audited as ``suppression.end``); later matches open incidents again."""
    uow.principal.require(Permission.ALERTS_TRIAGE)
    row = uow.session.get(SuppressionRow, suppression_id)
    if row is None:
        raise NotFoundError(f"no suppression {suppression_id!r}", hint="list them with `alerts suppressions`")
    now = uow.clock.now()
    if row.ended_at is not None or row.expires_at <= now:
        raise ConflictError(f"suppression {suppression_id} is no longer in force")
    uow.set_action("suppression.end")
    row.ended_at = now
    uow.flush()
    uow.set_action(None)
    return row


def matching_suppression(uow: UnitOfWork, alert: AlertRow) -> SuppressionRow | None:
    """The oldest suppression in force that covers ``alert`` (its rule or any, entities a subset)."""
    return covering_suppression(active_suppressions(uow), alert)


def active_suppressions(uow: UnitOfWork) -> list[SuppressionRow]:
    """Suppressions in force now, oldest first (read once for a batch of alerts)."""
    now = uow.clock.now()
    return list(
        uow.session.scalars(
            select(SuppressionRow)
            .where(SuppressionRow.ended_at.is_(None), SuppressionRow.expires_at > now)
            .order_by(SuppressionRow.created_at, SuppressionRow.id)
        ).all()
    )


def covering_suppression(active: Sequence[SuppressionRow], alert: AlertRow) -> SuppressionRow | None:
    """The first of ``active`` (oldest first) for the alert's rule or any rule whose entities the
    alert has, all with equal values."""
    entities = canonical_entities(alert.entities)
    for row in active:
        if row.rule_id is not None and row.rule_id != alert.rule_id:
            continue
        if all(entities.get(name) == value for name, value in row.entities.items()):
            return row
    return None


def count_suppressed(uow: UnitOfWork, row: SuppressionRow, alert: AlertRow, new_matches: int) -> None:
    """Count ``new_matches`` of ``alert`` on the suppression and mark the alert suppressed."""
    if alert.status != "false_positive":
        alert.status = "suppressed"
    alert.suppression_id = row.id
    if new_matches > 0:
        row.matches += new_matches
        row.last_match_at = uow.clock.now()
