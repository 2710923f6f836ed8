"""Who an audience is right now: people, role holders, whoever is on call, stakeholder contacts.

E-mail reaches each person at their address; a webhook or chat channel reaches the audience as
one message to the channel. Someone the plan names without a way to reach them is reported, not
skipped in silence, so the log shows the gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ironwatch.plan.communication import Audience
from ironwatch.plan.models import Plan
from ironwatch.plan.oncall import on_call_person_id


@dataclass(frozen=True)
class Recipient:
    """One addressee: an e-mail address or a channel id, their name, and the plan's person id if any."""

    address: str
    name: str
    person: str | None = None


@dataclass(frozen=True)
class Unreachable:
    """Someone the audience names who cannot be reached over its channel, and why."""

    name: str
    reason: str
    person: str | None = None


def role_person(plan: Plan, role_id: str, at: datetime) -> str | None:
    """Who answers for a role now: the person on call for it if it has a rota, else its holder."""
    on_call = on_call_person_id(plan, role_id, at)
    if on_call is not None:
        return on_call
    role = plan.team.role(role_id)
    return role.member if role is not None else None


def people_of_roles(plan: Plan, roles: tuple[str, ...], at: datetime) -> list[str]:
    found = [role_person(plan, role, at) for role in roles]
    return list(dict.fromkeys(p for p in found if p))


def email_recipients(plan: Plan, person_ids: list[str]) -> tuple[list[Recipient], list[Unreachable]]:
    recipients: list[Recipient] = []
    missing: list[Unreachable] = []
    for person_id in person_ids:
        person = plan.team.person(person_id)
        if person is None:
            continue
        if person.email:
            recipients.append(Recipient(person.email, person.name, person.id))
        else:
            missing.append(Unreachable(person.name, "has no e-mail address in the plan", person.id))
    return recipients, missing


def resolve(
    plan: Plan, audience: Audience, *, channel_kind: str, at: datetime
) -> tuple[list[Recipient], list[Unreachable]]:
    """The recipients of ``audience`` at ``at`` over a channel of ``channel_kind``."""
    if channel_kind != "email":
        return [Recipient(audience.channel, audience.id)], []
    missing: list[Unreachable] = []
    person_ids: list[str] = []
    for role_id in audience.on_call:
        person = on_call_person_id(plan, role_id, at)
        if person is None:
            role = plan.team.role(role_id)
            person = role.member if role is not None else None
        if person is None:
            missing.append(
                Unreachable(f"on call for {role_id}", "nobody is on call and the role has no holder")
            )
        else:
            person_ids.append(person)
    person_ids += people_of_roles(plan, audience.roles, at)
    person_ids += list(audience.people)
    recipients, unreachable = email_recipients(plan, list(dict.fromkeys(person_ids)))
    missing += unreachable
    for stakeholder_id in audience.stakeholders:
        stakeholder = next((s for s in plan.stakeholders if s.id == stakeholder_id), None)
        if stakeholder is None:
            continue
        reachable = [c for c in stakeholder.contacts if c.email]
        if not reachable:
            missing.append(Unreachable(stakeholder.name, "has no contact with an e-mail address"))
        recipients += [Recipient(c.email or "", f"{c.name} ({stakeholder.name})") for c in reachable]
    recipients += [Recipient(address, address) for address in audience.addresses]
    unique = {r.address.lower(): r for r in reversed(recipients)}
    ordered = [r for r in recipients if unique.get(r.address.lower()) is r]
    return ordered, missing
