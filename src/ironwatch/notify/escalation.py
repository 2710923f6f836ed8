"""Escalation: a notification that needed acknowledgement and got none in time calls the next level.

The levels are the plan's ``team.escalation`` (level 1, 2, 3... each naming roles). A batch (the
messages sent for one event and rule) that nobody acknowledged by its deadline calls the next
level's role holders, whoever is on call for a rota'd role; their own deadline is the gap to the
level after, so an unanswered escalation climbs on. An acknowledgement by anyone in the batch
stops it. Each escalation publishes ``notification.escalated``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import TYPE_CHECKING

from sqlalchemy import Select, select

from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.principal import system_principal
from ironwatch.notify.comms_plan import plan_in_force
from ironwatch.notify.outbox import Occasion, queue_for_audience
from ironwatch.plan.communication import Audience, AudienceKind
from ironwatch.plan.models import Plan
from ironwatch.store.audit import append_event
from ironwatch.store.tables import IncidentRow, NotificationRow
from ironwatch.store.uow import UnitOfWork

if TYPE_CHECKING:
    from ironwatch.bootstrap import Runtime

log = logging.getLogger("ironwatch.notify")


def _channel_for(plan: Plan, original: str) -> str | None:
    """The original channel if it reaches people by e-mail, else the plan's escalation or first e-mail one."""
    communication = plan.communication
    channel = communication.channel(original)
    if channel is not None and channel.kind == "email":
        return channel.id
    if communication.escalation_channel:
        return communication.escalation_channel
    first_email = next((c.id for c in communication.channels if c.kind == "email"), None)
    return first_email or (channel.id if channel else None)


def _overdue(uow: UnitOfWork) -> Select[NotificationRow]:
    acknowledged = select(NotificationRow.batch).where(NotificationRow.acknowledged_at.is_not(None))
    return select(NotificationRow).where(
        NotificationRow.ack_due_at <= uow.clock.now(),
        NotificationRow.acknowledged_at.is_(None),
        NotificationRow.escalated_at.is_(None),
        NotificationRow.status != "withheld",
        NotificationRow.batch.not_in(acknowledged),
    )


def escalate_overdue(uow: UnitOfWork) -> int:
    """Escalate every batch whose acknowledgement deadline has passed; the number of batches escalated."""
    overdue = uow.session.scalars(_overdue(uow).order_by(NotificationRow.created_at)).all()
    if not overdue:
        return 0
    batches: dict[str, list[NotificationRow]] = defaultdict(list)
    for row in overdue:
        batches[row.batch].append(row)
    plan = plan_in_force(uow)
    for batch, rows in batches.items():
        _escalate(uow, plan, batch, rows)
    return len(batches)


def _escalate(uow: UnitOfWork, plan: Plan | None, batch: str, rows: list[NotificationRow]) -> None:
    now = uow.clock.now()
    level = max(r.escalation_level for r in rows) + 1
    uow.set_action("notification.escalate")
    for row in rows:
        row.escalated_at = now
        row.updated_at = now
        if row.status == "sent":
            row.status = "escalated"
    uow.flush()
    uow.set_action(None)
    first = rows[0]
    incident = uow.session.get(IncidentRow, first.incident_id) if first.incident_id else None
    levels = plan.team.escalation if plan else ()
    target = next((lv for lv in levels if lv.level == level), None)
    channel = _channel_for(plan, first.channel) if plan else None
    if plan is None or target is None or channel is None:
        log.warning(
            "notification batch %s is unacknowledged and there is no escalation level %d", batch, level
        )
        append_event(
            uow.session,
            uow.session.info["audit"],
            action="notification.escalation_exhausted",
            object_type="notification",
            object_id=first.id,
            details={"batch": batch, "level": level},
            incident_id=first.incident_id,
        )
        return
    following = next((lv for lv in levels if lv.level == level + 1), None)
    original = plan.communication.audience(first.audience)
    audience = Audience(
        id=f"escalation-{level}",
        kind=AudienceKind.ON_CALL,
        channel=channel,
        template=original.template if original else "technical",
        clearance=original.clearance if original else "amber",
        external=False,
        roles=target.roles,
    )
    since = min(r.created_at for r in rows).strftime("%Y-%m-%d %H:%M UTC")
    occasion = Occasion(
        trigger=first.trigger,
        headline="was not acknowledged in time",
        rule="escalation",
        escalation={
            "level": level,
            "since": since,
            "previous": ", ".join(sorted({r.recipient for r in rows})),
            "roles": ", ".join(target.roles),
        },
    )
    queue_for_audience(
        uow,
        plan,
        audience,
        incident=incident,
        occasion=occasion,
        batch=batch,
        acknowledge_within=(following.after - target.after) if following else None,
        escalation_level=level,
    )
    uow.publish(
        DomainEvent(
            "notification.escalated",
            first.incident_id or batch,
            {
                "ref": incident.ref if incident else None,
                "level": level,
                "batch": batch,
                "roles": list(target.roles),
            },
        )
    )


def escalate_due(runtime: Runtime) -> int:
    """The escalation job's tick (``serve`` runs it every few seconds; tests call it with a frozen clock)."""
    with runtime.uow(system_principal("notify")) as uow:
        if uow.session.scalar(_overdue(uow).with_only_columns(NotificationRow.id).limit(1)) is None:
            return 0
    with runtime.uow(system_principal("notify"), write=True) as uow:
        count = escalate_overdue(uow)
        uow.commit()
    return count
