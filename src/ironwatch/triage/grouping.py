"""Grouping: related alerts become one incident candidate (an ``alert_groups`` row).

An alert joins the oldest open group that shares the value of any of the plan's grouping keys
(``settings.grouping.keys``) and was active within the grouping window, or that a correlation ties to
it (a correlation alert's ``details.rules`` names the rules it correlates). Otherwise it opens a new
group. Decisions depend only on stored rows and event times, so replaying the same events finds the
same groups and creates nothing new.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from sqlalchemy import or_, select

from ironwatch.core.ids import new_id
from ironwatch.core.lifecycle import OPEN_STATES
from ironwatch.detect.sigma.match import ENTITY_FIELDS
from ironwatch.plan.models import Plan
from ironwatch.store.tables import AlertGroupRow, AlertRow, EventRow, IncidentRow
from ironwatch.store.uow import UnitOfWork
from ironwatch.triage.assess import AlertFacts, GroupFacts

#: ECS and source field names a detector may use as entity names, to the names triage groups by
_ALIASES = {key.lower(): name for name, keys in ENTITY_FIELDS.items() for key in keys} | {
    name: name for name in ENTITY_FIELDS
}
ENTITY_NAMES = tuple(ENTITY_FIELDS)
#: alerts in these states take part in assessment; dismissed and suppressed ones do not
LIVE_STATES = ("new", "incident")


def canonical_entities(entities: Mapping[str, object]) -> dict[str, str]:
    """Entities under triage's names (``source.ip`` -> ``source_address``), empty values left out."""
    out: dict[str, str] = {}
    for key, value in entities.items():
        name = _ALIASES.get(str(key).lower())
        if name and value not in (None, "") and name not in out:
            out[name] = str(value)
    return out


def correlated_rules(alert: AlertRow) -> list[str]:
    """The rules a correlation alert correlates (its detector reports them in ``details.rules``)."""
    rules = alert.details.get("rules") if isinstance(alert.details, dict) else None
    if isinstance(rules, list | tuple):
        return [str(r) for r in rules]
    return []


#: how many of an alert's events are read to learn the hosts a correlation did not name
EVENT_HOST_LOOKUP = 100


def event_hosts(uow: UnitOfWork, alert: AlertRow) -> list[str]:
    """Hosts of the alert's stored events: a correlation grouped by source address names no target,
    but the events it counted do (so the affected asset, and its criticality, are still known)."""
    ids = alert.event_ids[:EVENT_HOST_LOOKUP]
    if not ids or "host" in canonical_entities(alert.entities):
        return []
    rows = uow.session.scalars(
        select(EventRow.host).where(EventRow.id.in_(ids), EventRow.host.is_not(None)).distinct()
    ).all()
    return sorted(str(h) for h in rows if h)


def own_values(alert: AlertRow) -> dict[str, str]:
    """The alert's own grouping values: its entities under triage's names, its rule and its kind."""
    return {**canonical_entities(alert.entities), "rule_id": alert.rule_id, "kind": alert.kind}


def _matches(plan: Plan, alert: AlertRow, group: AlertGroupRow) -> bool:
    return matches_entities(plan, alert, group.entities)


def matches_entities(plan: Plan, alert: AlertRow, theirs: Mapping[str, Collection[str]]) -> bool:
    """Whether ``alert`` belongs with a group whose entity values are ``theirs`` (name -> values).

    Every way to match needs one of the alert's own values (``own_values``) under the same name in
    ``theirs``, so an index by (name, value) finds every group that can match.
    """
    mine = own_values(alert)
    for parts in plan.settings.grouping.key_parts():
        if all(part in mine and mine[part] in theirs.get(part, ()) for part in parts):
            return True
    shares_entity = any(mine.get(n) in theirs.get(n, ()) for n in ENTITY_NAMES if n in mine)
    correlated = alert.rule_id in theirs.get("correlates", ()) or bool(
        set(correlated_rules(alert)) & set(theirs.get("rule_id", ()))
    )
    return correlated and shares_entity


def alert_values(uow: UnitOfWork, alert: AlertRow) -> dict[str, set[str]]:
    """What ``alert`` adds to its group's entities: its own values (entities, rule, kind), the hosts
    of its events a correlation did not name, and the rules a correlation correlates."""
    added = {name: {value} for name, value in own_values(alert).items()}
    hosts = event_hosts(uow, alert)
    if hosts:
        added.setdefault("host", set()).update(hosts)
    correlates = correlated_rules(alert)
    if correlates:
        added.setdefault("correlates", set()).update(correlates)
    return added


def open_groups_since(uow: UnitOfWork, since: datetime) -> list[AlertGroupRow]:
    """Groups active since ``since`` with no incident or an open one, oldest first."""
    open_states = [s.value for s in OPEN_STATES]
    return list(
        uow.session.scalars(
            select(AlertGroupRow)
            .outerjoin(IncidentRow, IncidentRow.id == AlertGroupRow.incident_id)
            .where(
                AlertGroupRow.last_seen >= since,
                or_(AlertGroupRow.incident_id.is_(None), IncidentRow.status.in_(open_states)),
            )
            .order_by(AlertGroupRow.first_seen, AlertGroupRow.id)
        ).all()
    )


def find_group(uow: UnitOfWork, plan: Plan, alert: AlertRow) -> AlertGroupRow | None:
    """The open group ``alert`` belongs to, or None (oldest first, so the choice is deterministic)."""
    candidates = open_groups_since(uow, alert.first_seen - plan.settings.grouping.window)
    return next((g for g in candidates if _matches(plan, alert, g)), None)


def new_group_row(alert: AlertRow, now: datetime) -> AlertGroupRow:
    """An empty group opened by ``alert`` (the caller adds it to the session and joins the alert)."""
    return AlertGroupRow(
        id=new_id(),
        entities={},
        rule_ids=[],
        alert_count=0,
        first_seen=alert.first_seen,
        last_seen=alert.last_seen,
        assessment={},
        created_at=now,
        updated_at=now,
    )


def join_group(uow: UnitOfWork, alert: AlertRow, group: AlertGroupRow | None) -> tuple[AlertGroupRow, bool]:
    """Put ``alert`` in ``group`` (a new one if None); returns the group and whether it grew in entities."""
    now = uow.clock.now()
    if group is None:
        group = new_group_row(alert, now)
        uow.session.add(group)
        uow.flush()  # no ORM relationships: the group row must exist before an alert points at it
        fresh = True
    else:
        fresh = False
    before = {n: set(group.entities.get(n, ())) for n in ENTITY_NAMES}
    merged = {k: set(v) for k, v in group.entities.items()}
    for name, values in alert_values(uow, alert).items():
        merged.setdefault(name, set()).update(values)
    group.entities = {k: sorted(v) for k, v in sorted(merged.items())}
    group.rule_ids = sorted({*group.rule_ids, alert.rule_id})
    if alert.group_id != group.id:
        group.alert_count += 1
        alert.group_id = group.id
    group.first_seen = min(group.first_seen, alert.first_seen)
    group.last_seen = max(group.last_seen, alert.last_seen)
    group.updated_at = now
    grew = not fresh and any(
        set(group.entities.get(n, ())) - before[n] for n in ("host", "user", "source_address")
    )
    return group, grew


def group_alerts(uow: UnitOfWork, group_id: str) -> list[AlertRow]:
    """The group's alerts that count (not dismissed or suppressed), oldest first."""
    return list(
        uow.session.scalars(
            select(AlertRow)
            .where(AlertRow.group_id == group_id, AlertRow.status.in_(LIVE_STATES))
            .order_by(AlertRow.first_seen, AlertRow.id)
        ).all()
    )


def group_facts(group: AlertGroupRow, alerts: Iterable[AlertRow], *, growing: bool) -> GroupFacts:
    """What assessment needs of a group."""
    facts = tuple(
        AlertFacts(
            level=a.level,
            tags=tuple(a.tags),
            entities=canonical_entities(a.entities),
            confidence=a.details.get("confidence") if isinstance(a.details, dict) else None,
        )
        for a in alerts
    )
    entities = {n: list(group.entities.get(n, ())) for n in ENTITY_NAMES}
    last_seen: datetime = group.last_seen
    return GroupFacts(alerts=facts, entities=entities, last_seen=last_seen, growing=growing)


def live_alerts_of_incident(uow: UnitOfWork, incident_id: str) -> list[AlertRow]:
    """An incident's alerts that are neither dismissed nor suppressed."""
    return list(
        uow.session.scalars(
            select(AlertRow).where(AlertRow.incident_id == incident_id, AlertRow.status.in_(LIVE_STATES))
        ).all()
    )
