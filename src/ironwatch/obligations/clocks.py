"""The obligation clocks: reminders before each deadline and escalation once it has passed.

``serve`` runs :func:`tick` every minute (``jobs.background_jobs``). It publishes
``obligation.due_soon`` when a phase's deadline comes within one of the plan's reminder offsets
(``obligations.reminders``, default 24 h, 4 h and 1 h) and ``obligation.overdue`` once it has
passed; the notification slice turns those into messages. Each reminder is published once: the
obligation row remembers it (``reminders_sent``), so a restart or a second process does not
repeat it, and a deadline that moves (a corrected awareness time) re-arms its reminders.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.principal import system_principal
from ironwatch.obligations import evaluation as ev
from ironwatch.plan.fieldtypes import format_duration
from ironwatch.plan.obligations import Obligations
from ironwatch.store.tables import IncidentRow, ObligationRow
from ironwatch.store.uow import UnitOfWork

if TYPE_CHECKING:
    from ironwatch.bootstrap import Runtime

INTERVAL_SECONDS = 60.0


def _offsets(uow: UnitOfWork) -> list[timedelta]:
    plan = ev.plan_or_none(uow)
    offsets = plan.obligations.reminders if plan else Obligations().reminders
    return sorted(set(offsets), reverse=True)


def remind(uow: UnitOfWork) -> list[DomainEvent]:
    """Publish the reminders and escalations due now; returns them (the caller commits)."""
    now = uow.clock.now()
    offsets = _offsets(uow)
    horizon = now + (offsets[0] if offsets else timedelta(0))
    rows = uow.session.execute(
        select(ObligationRow, IncidentRow.ref)
        .join(IncidentRow, IncidentRow.id == ObligationRow.incident_id)
        .where(ObligationRow.status.in_(ev.ACTIVE), ObligationRow.next_deadline <= horizon)
        .order_by(ObligationRow.next_deadline)
    ).all()
    published: list[DomainEvent] = []
    uow.set_action("obligation.remind")
    for row, ref in rows:
        sent = list(row.reminders_sent)
        for phase in row.phases:
            if not phase["required"] or phase.get("submitted_at") or not phase.get("deadline"):
                continue
            deadline = datetime.fromisoformat(phase["deadline"])
            event = _reminder(row, ref, phase, deadline, now, offsets, sent)
            if event is not None:
                published.append(event)
        if sent != row.reminders_sent:
            row.reminders_sent = sent
    uow.flush()
    uow.set_action(None)
    for event in published:
        uow.publish(event)
    return published


def _reminder(
    row: ObligationRow,
    ref: str,
    phase: dict[str, object],
    deadline: datetime,
    now: datetime,
    offsets: list[timedelta],
    sent: list[str],
) -> DomainEvent | None:
    data = {
        **ev.event_data(row, ref),
        "phase": phase["id"],
        "phase_title": phase["title"],
        "deadline": deadline.isoformat(),
    }
    if now >= deadline:
        marker = f"{phase['id']}:overdue"
        if marker in sent:
            return None
        sent.append(marker)
        return DomainEvent("obligation.overdue", row.incident_id, {**data, "overdue_by": str(now - deadline)})
    reached = [o for o in offsets if deadline - now <= o]
    if not reached:
        return None
    markers = [f"{phase['id']}:due:{format_duration(o)}" for o in reached]
    if all(m in sent for m in markers):
        return None
    sent.extend(m for m in markers if m not in sent)
    return DomainEvent(
        "obligation.due_soon",
        row.incident_id,
        {
            **data,
            "due_in": format_duration(min(reached)),
            "remaining_seconds": int((deadline - now).total_seconds()),
        },
    )


def tick(runtime: Runtime) -> int:
    """One pass of the clock job as the system; returns how many events it published."""
    with runtime.uow(system_principal("obligations"), write=True) as uow:
        published = remind(uow)
        uow.commit()
    return len(published)
