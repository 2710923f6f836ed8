"""The communication plan at work: domain events matched against the plan's rules, messages queued.

Handlers run inside the transaction of the change that caused the event and only write outbox
rows (``outbox.queue_for_audience``); the dispatcher sends them later. With no plan applied, or
with ``communication.enabled: false`` (the default), nothing is written. The handlers read the
plan as the system: the person whose change caused the event (a reporter, say) need not be
allowed to read the plan for the organisation's communication rules to apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from ironwatch.core.domain_events import DomainEvent, Subscribers
from ironwatch.core.errors import NotFoundError
from ironwatch.core.ids import new_id
from ironwatch.core.principal import system_principal
from ironwatch.notify.outbox import Occasion, queue_for_audience
from ironwatch.plan import service as plans
from ironwatch.plan.communication import Rule, Trigger
from ironwatch.plan.models import Plan
from ironwatch.store.tables import IncidentRow
from ironwatch.store.uow import UnitOfWork

#: the domain event kinds the rules' triggers stand for
KIND_TRIGGERS: dict[str, Trigger] = {
    "incident.created": Trigger.CREATED,
    "incident.updated": Trigger.PRIORITY_CHANGED,
    "incident.transitioned": Trigger.TRANSITIONED,
    "incident.sla_breached": Trigger.SLA_BREACHED,
    "incident.escalated": Trigger.ESCALATED,
    "incident.special_handling": Trigger.SPECIAL_HANDLING,
    "obligation.opened": Trigger.OBLIGATION_OPENED,
    "obligation.due_soon": Trigger.OBLIGATION_DUE_SOON,
    "obligation.overdue": Trigger.OBLIGATION_OVERDUE,
}


def subscribe(subscribers: Subscribers) -> None:
    """Listen to every event kind a rule of the communication plan can name."""
    for kind in KIND_TRIGGERS:
        subscribers.subscribe(kind, on_domain_event)


def plan_in_force(uow: UnitOfWork) -> Plan | None:
    """The plan, read as the system inside the caller's transaction; None when none is applied."""
    actor = uow.principal
    uow.principal = system_principal("notify")
    try:
        return plans.current_plan(uow)
    except NotFoundError:
        return None
    finally:
        uow.principal = actor


def _incident(uow: UnitOfWork, event: DomainEvent) -> IncidentRow | None:
    row = uow.session.get(IncidentRow, event.subject_id)
    if row is None and event.data.get("ref"):
        row = uow.session.scalars(select(IncidentRow).where(IncidentRow.ref == event.data["ref"])).first()
    return row


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def occasion_for(trigger: Trigger, kind: str, data: Mapping[str, Any]) -> Occasion:
    """What to say happened, from the event's data (never more than the event carries)."""
    details: dict[str, str] = {}
    if trigger is Trigger.CREATED:
        headline = "opened"
    elif trigger is Trigger.PRIORITY_CHANGED:
        old, new = data["changes"]["priority"]
        headline = f"priority changed from {old or 'none'} to {new or 'none'}"
    elif trigger is Trigger.TRANSITIONED:
        headline = f"moved from {data.get('from')} to {data.get('to')}"
    elif trigger is Trigger.SLA_BREACHED:
        headline = f"missed its {data.get('target', 'response')} target"
        details = {"target": _text(data.get("target")), "due": _text(data.get("due"))}
    elif trigger is Trigger.ESCALATED:
        headline = "was escalated"
        details = {k: _text(v) for k, v in data.items() if k != "ref"}
    elif trigger is Trigger.SPECIAL_HANDLING:
        headline = "needs special handling"
        details = {"flags": _text(data.get("flags"))}
    else:
        state = trigger.value.removeprefix("obligation_").replace("_", " ")
        headline = f"notification obligation {state}"
        details = {
            key: _text(data.get(key))
            for key in ("title", "recipient", "deadline", "obligation_id", "obligation")
            if data.get(key) is not None
        }
    return Occasion(trigger=kind, headline=headline, details=details)


def rule_matches(rule: Rule, trigger: Trigger, incident: IncidentRow | None) -> bool:
    if trigger not in rule.when:
        return False
    if rule.priorities and (incident is None or incident.priority not in rule.priorities):
        return False
    return not rule.states or (incident is not None and incident.status in rule.states)


def on_domain_event(uow: UnitOfWork, event: DomainEvent) -> None:
    """Queue what the communication plan says for ``event`` (a domain-event handler)."""
    trigger = KIND_TRIGGERS.get(event.kind)
    if trigger is None:
        return
    if trigger is Trigger.PRIORITY_CHANGED and "priority" not in event.data.get("changes", {}):
        return
    plan = plan_in_force(uow)
    if plan is None or not plan.communication.enabled:
        return
    incident = _incident(uow, event)
    occasion = occasion_for(trigger, event.kind, event.data)
    told: set[tuple[str, str]] = set()
    for rule in plan.communication.rules:
        if not rule_matches(rule, trigger, incident):
            continue
        batch = new_id()
        for audience_id in rule.audiences:
            audience = plan.communication.audience(audience_id)
            if audience is None or (audience.id, audience.template) in told:
                continue
            told.add((audience.id, audience.template))
            queue_for_audience(
                uow,
                plan,
                audience,
                incident=incident,
                occasion=replace(occasion, rule=rule.id),
                batch=batch,
                acknowledge_within=rule.acknowledge_within,
            )
