"""Assignment: the on-call member of the responsible role, else least-loaded or round-robin.

The responsible role comes from the plan (``settings.assignment``: per category, else the default
role, normally the analysts). Who holds it now comes from the plan's rota (``plan.oncall``). When
nobody is on call, the plan's strategy picks among the role's people: the fewest open incidents
(ties in the role's order: holder, deputies, rota) or strict turns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ironwatch.core.lifecycle import OPEN_STATES
from ironwatch.plan.models import Plan
from ironwatch.plan.oncall import on_call
from ironwatch.store.tables import IncidentRow, IncidentTriageRow
from ironwatch.store.uow import UnitOfWork


@dataclass(frozen=True)
class Choice:
    role: str
    person: str | None
    reason: str


def responsible_role(plan: Plan, category: str | None) -> str:
    """The role that takes incidents of ``category`` first."""
    settings = plan.settings.assignment
    if category and category in settings.by_category:
        return settings.by_category[category]
    return settings.role


def role_people(plan: Plan, role: str) -> list[str]:
    """Everyone who can hold ``role``: holder, deputies, then rota and shift people, in that order."""
    found: list[str] = []
    spec = plan.team.role(role)
    if spec is not None:
        found += [p for p in (spec.member, *spec.deputies) if p]
    for rotation in plan.team.on_call.rotations:
        if rotation.role == role:
            found += rotation.people
    found += [s.person for s in plan.team.on_call.shifts if s.role == role]
    return list(dict.fromkeys(found))


def choose_assignee(
    plan: Plan, category: str | None, at: datetime, *, load: Mapping[str, int], turns_taken: int
) -> Choice:
    """Pure: whom to assign, given open incidents per person (``load``) and the role's turns so far."""
    role = responsible_role(plan, category)
    person = on_call(plan, role, at)
    if person is not None:
        return Choice(role, person.id, f"on call for {role} per the plan's rota")
    people = role_people(plan, role)
    if not people:
        return Choice(role, None, f"nobody holds the role {role}; assign someone by hand")
    if plan.settings.assignment.strategy == "round_robin":
        chosen = people[turns_taken % len(people)]
        return Choice(role, chosen, f"nobody on call for {role}; next in turn among {', '.join(people)}")
    chosen = min(people, key=lambda p: (load.get(p, 0), people.index(p)))
    return Choice(
        role,
        chosen,
        f"nobody on call for {role}; fewest open incidents ({load.get(chosen, 0)}) among "
        + ", ".join(people),
    )


def assign_for(uow: UnitOfWork, plan: Plan, category: str | None) -> Choice:
    """``choose_assignee`` with the open-incident load and turns read from the store."""
    role = responsible_role(plan, category)
    people = role_people(plan, role)
    rows = uow.session.execute(
        select(IncidentRow.assignee, func.count())
        .where(IncidentRow.assignee.in_(people), IncidentRow.status.in_([s.value for s in OPEN_STATES]))
        .group_by(IncidentRow.assignee)
    ).all()
    load = {str(name): int(count) for name, count in rows}
    turns = uow.session.scalar(
        select(func.count()).select_from(IncidentTriageRow).where(IncidentTriageRow.assigned_role == role)
    )
    return choose_assignee(plan, category, uow.clock.now(), load=load, turns_taken=int(turns or 0))
