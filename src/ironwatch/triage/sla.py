"""SLA clocks: per priority, acknowledge / contain / resolve targets run from the incident's creation.

Clocks start when an incident has a priority (at creation, or when one is set later, still counted
from creation), follow priority changes while they run, stop when the lifecycle reaches the
milestone, and are cancelled for a false positive. ``check_breaches`` (run by the ``sla-clocks`` job in
``serve``) records breaches, publishes ``incident.sla_breached`` and escalates: a breach raises the
incident one level, and a target still missed ``after`` a later level's delay raises it to that level.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.ids import new_id
from ironwatch.core.lifecycle import IncidentState
from ironwatch.core.permissions import Permission
from ironwatch.core.sla import WorkingTime, due_at
from ironwatch.plan.models import Plan
from ironwatch.plan.priority import TARGETS
from ironwatch.store.tables import IncidentRow, SlaClockRow
from ironwatch.store.uow import UnitOfWork
from ironwatch.triage.escalation import escalate_to
from ironwatch.triage.record import triage_record

S = IncidentState
_PAST_CONTAINMENT = {S.ERADICATION, S.RECOVERY, S.CLOSED, S.REVIEWED}
_DONE = {S.CLOSED, S.REVIEWED}


def _working(plan: Plan, priority: str) -> WorkingTime | None:
    sla = plan.settings.sla
    if priority not in sla.business_hours_for:
        return None
    hours = sla.business_hours
    return WorkingTime.of(hours.days, hours.start, hours.end, hours.timezone, sla.holidays)


def clocks_of(uow: UnitOfWork, incident_id: str) -> list[SlaClockRow]:
    rows = uow.session.scalars(select(SlaClockRow).where(SlaClockRow.incident_id == incident_id)).all()
    return sorted(rows, key=lambda r: TARGETS.index(r.target) if r.target in TARGETS else 9)


def sync_clocks(uow: UnitOfWork, plan: Plan, incident: IncidentRow) -> list[SlaClockRow]:
    """Start the incident's clocks for its priority, or move running ones to a changed priority."""
    priority = plan.priority.priority(incident.priority) if incident.priority else None
    if priority is None:
        return clocks_of(uow, incident.id)
    existing = {c.target: c for c in clocks_of(uow, incident.id)}
    working = _working(plan, priority.id)
    for target in TARGETS:
        due = due_at(incident.created_at, getattr(priority, target), working)
        clock = existing.get(target)
        if clock is None:
            uow.session.add(
                SlaClockRow(
                    id=new_id(),
                    incident_id=incident.id,
                    target=target,
                    priority=priority.id,
                    started_at=incident.created_at,
                    due_at=due,
                    business_hours=working is not None,
                )
            )
        elif clock.met_at is None and clock.cancelled_at is None and clock.priority != priority.id:
            clock.priority, clock.due_at, clock.business_hours = priority.id, due, working is not None
    uow.flush()
    record_milestones(uow, incident)
    return clocks_of(uow, incident.id)


def record_milestones(uow: UnitOfWork, incident: IncidentRow) -> None:
    """Stop the clocks whose milestone the incident reached; cancel the rest for a false positive."""
    state = IncidentState(incident.status)
    moved_on = state not in (S.REPORTED, S.TRIAGE, S.FALSE_POSITIVE)
    reached: dict[str, tuple[bool, datetime | None]] = {
        "acknowledge": (incident.acknowledged_at is not None or moved_on, incident.acknowledged_at),
        "contain": (incident.contained_at is not None or state in _PAST_CONTAINMENT, incident.contained_at),
        "resolve": (state in _DONE, incident.closed_at),
    }
    now = uow.clock.now()
    for clock in clocks_of(uow, incident.id):
        if clock.met_at is not None or clock.cancelled_at is not None:
            continue
        met, at = reached.get(clock.target, (False, None))
        if met:
            clock.met_at = at or now
        elif state == S.FALSE_POSITIVE:
            clock.cancelled_at = now
    uow.flush()


@dataclass(frozen=True)
class Breach:
    ref: str
    target: str
    priority: str
    due: datetime


def check_breaches(uow: UnitOfWork, plan: Plan) -> list[Breach]:
    """Record every newly missed target, publish it and escalate; step up escalations still missed.

    Needs ``incident:update`` (the job runs as the ``sla`` system principal).
    """
    uow.principal.require(Permission.INCIDENT_UPDATE)
    now = uow.clock.now()
    running = uow.session.scalars(
        select(SlaClockRow)
        .where(SlaClockRow.met_at.is_(None), SlaClockRow.cancelled_at.is_(None), SlaClockRow.due_at <= now)
        .order_by(SlaClockRow.due_at, SlaClockRow.id)
    ).all()
    breaches: list[Breach] = []
    overdue_since: dict[str, datetime] = {}
    for clock in running:
        incident = uow.session.get(IncidentRow, clock.incident_id)
        if incident is None:
            continue
        overdue_since[incident.id] = min(overdue_since.get(incident.id, clock.due_at), clock.due_at)
        if clock.breached_at is not None:
            continue
        uow.set_action("sla.breach")
        clock.breached_at = now
        uow.flush()
        uow.set_action(None)
        breaches.append(Breach(incident.ref, clock.target, clock.priority, clock.due_at))
        uow.publish(
            DomainEvent(
                "incident.sla_breached",
                incident.id,
                {
                    "ref": incident.ref,
                    "target": clock.target,
                    "priority": clock.priority,
                    "due": clock.due_at.isoformat(),
                },
            )
        )
        record = triage_record(uow, incident.id)
        escalate_to(
            uow, plan, incident, record.escalation_level + 1, reason=f"SLA {clock.target} target missed"
        )
    for incident_id, since in overdue_since.items():
        incident = uow.session.get(IncidentRow, incident_id)
        if incident is None:
            continue
        due_levels = [lv.level for lv in plan.team.escalation if now - since >= lv.after]
        if due_levels:
            escalate_to(
                uow,
                plan,
                incident,
                max(due_levels),
                reason=f"SLA target still missed since {since.isoformat()}",
            )
    return breaches
