"""Domain events: one slice tells the others what happened, inside the same transaction.

A service publishes ``uow.publish(DomainEvent("incident.created", incident.id, {...}))``; every
handler subscribed to that kind (or to ``"*"``) runs at once with the same unit of work, so what
it writes (an outbox row for a notification, an SLA clock) commits or rolls back with the change
that caused it. Handlers must be quick and must not do I/O beyond the database: sending mail,
calling webhooks and running actions happen later, from the rows they leave behind.

Kinds in use (``subject_id`` is the incident's or alert's id):

=============================  ==============================================================================
``incident.created``           data: ref, status, priority, severity, category, origin (manual|report|triage)
``incident.transitioned``      data: ref, from, to
``incident.updated``           data: ref, changes {field: [old, new]} (priority, assignee, ...)
``incident.sla_breached``      data: ref, target ("acknowledge"|"contain"|"resolve"), priority, due (ISO time)
``incident.escalated``         data: ref, level, roles [role ids], people [person ids to tell], reason
``incident.special_handling``  data: ref, flags (all so far, e.g. ["personal_data"]), new (flags added now)
``alert.recorded``             data: rule_id, level, new (bool), count, batch (True when an
                               ``alert.batch_recorded`` follows for the same call of ``record_alerts``)
``alert.batch_recorded``       data: alert_ids (every alert of one ``record_alerts`` call, after their
                               ``alert.recorded`` events; subject: the first of them)
``obligation.opened``          data: ref, obligation_id, duty_id, title, recipient, citation,
                               deadline (next one, ISO), phase
``obligation.due_soon``        the same, for one phase: deadline, phase, phase_title, due_in
                               (the reminder offset reached, e.g. "4h"), remaining_seconds
``obligation.overdue``         the same, for one phase past its deadline: overdue_by
``evidence.collected``         data: ref, evidence_id, label, sha256, size, source (subject: the incident)
``action.requested``           data: ref, action_id, connector, status, destructive, dry_run
``action.approved``            data: as action.requested; a second person approved it
``action.finished``            data: as action.requested; status succeeded|failed|rejected|undone|expired
``notification.escalated``     data: ref, level, batch, roles (an unacknowledged notification called the
                               plan's next escalation level; subject: the incident)
``review.completed``           data: ref, root_cause_category, open_action_items, plan_version (the
                               version holding its training needs, or None; subject: the incident)
=============================  ==============================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ANY = "*"


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened to one subject (an incident, an alert)."""

    kind: str
    subject_id: str
    data: Mapping[str, Any] = field(default_factory=dict)


# The handler gets the publishing unit of work (typed loosely: core does not know the store).
Handler = Callable[[Any, DomainEvent], None]


class Subscribers:
    """Who listens to which kind of domain event; built once per process by the composition root."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {}

    def subscribe(self, kind: str, handler: Handler) -> None:
        """Call ``handler(uow, event)`` for every event of ``kind`` (``"*"``: every event)."""
        self._handlers.setdefault(kind, []).append(handler)

    def handlers_for(self, kind: str) -> list[Handler]:
        return [*self._handlers.get(kind, ()), *self._handlers.get(ANY, ())]

    def __bool__(self) -> bool:
        return bool(self._handlers)
