"""Escalation: raise an incident to the next level of the plan's escalation ladder and say whom to tell.

Each level names roles; the people to tell are whoever is on call for each role now, else its holder.
Escalating publishes ``incident.escalated`` (ref, level, roles, people, reason) for notifications.
"""

from __future__ import annotations

from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.ids import new_id
from ironwatch.plan.models import EscalationLevel, Plan
from ironwatch.plan.oncall import on_call
from ironwatch.store.tables import EscalationRow, IncidentRow
from ironwatch.store.uow import UnitOfWork
from ironwatch.triage.record import triage_record


def people_to_tell(plan: Plan, level: EscalationLevel, uow: UnitOfWork) -> list[str]:
    """Person ids for a level: each role's on-call person, else the role's holder."""
    people: list[str] = []
    for role_id in level.roles:
        person = on_call(plan, role_id, uow.clock.now())
        role = plan.team.role(role_id)
        chosen = person.id if person is not None else (role.member if role else None)
        if chosen:
            people.append(chosen)
    return list(dict.fromkeys(people))


def escalate_to(
    uow: UnitOfWork, plan: Plan, incident: IncidentRow, level: int, *, reason: str
) -> list[EscalationRow]:
    """Raise ``incident`` to ``level`` (one entry and event per level passed); nothing if already there.

    Levels beyond the plan's ladder are capped at its top; a plan without levels escalates to nobody.
    """
    record = triage_record(uow, incident.id)
    ladder = plan.team.escalation
    target = min(level, len(ladder))
    done: list[EscalationRow] = []
    uow.set_action("incident.escalate")
    while record.escalation_level < target:
        step = ladder[record.escalation_level]
        people = people_to_tell(plan, step, uow)
        row = EscalationRow(
            id=new_id(),
            incident_id=incident.id,
            level=step.level,
            roles=list(step.roles),
            people=people,
            reason=reason,
            actor=uow.principal.name,
            at=uow.clock.now(),
        )
        uow.session.add(row)
        record.escalation_level = step.level
        record.updated_at = uow.clock.now()
        done.append(row)
    uow.flush()
    uow.set_action(None)
    for row in done:
        uow.publish(
            DomainEvent(
                "incident.escalated",
                incident.id,
                {
                    "ref": incident.ref,
                    "level": row.level,
                    "roles": row.roles,
                    "people": row.people,
                    "reason": reason,
                },
            )
        )
    return done
