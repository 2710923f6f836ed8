"""The response team: people, roles with deputies, the on-call rota and escalation levels."""

from __future__ import annotations

from datetime import date, time, timedelta
from enum import StrEnum
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, Field, field_validator, model_validator

from ironwatch.plan.fieldtypes import Duration, Email, Identifier, Phone, PlanModel
from ironwatch.plan.inconsistency import Inconsistency, duplicates, raise_if_any, unknown_reference


class Person(PlanModel):
    """Someone the plan names; contact details are what responders use at 3 a.m."""

    id: Identifier
    name: str = Field(min_length=1)
    email: Email | None = None
    phone: Phone | None = None
    unit: str | None = Field(default=None, description="department or team")


class RoleKind(StrEnum):
    """The kinds of role a response team usually has; a plan may add its own role ids."""

    INCIDENT_MANAGER = "incident_manager"
    ANALYST = "analyst"
    RESPONDER = "responder"
    LEGAL = "legal"
    COMMUNICATIONS = "communications"
    MANAGEMENT_SPONSOR = "management_sponsor"
    DATA_PROTECTION_OFFICER = "data_protection_officer"
    IT_OPERATIONS = "it_operations"


class Role(PlanModel):
    """A role with its responsibilities, the person who holds it and their deputies."""

    id: Identifier = Field(description="e.g. incident_manager, analyst, legal")
    title: str = Field(min_length=1)
    responsibilities: tuple[str, ...] = ()
    authority: str | None = Field(default=None, description="level of authority, in words")
    member: Identifier | None = Field(default=None, description="person id of the holder")
    deputies: tuple[Identifier, ...] = Field(default=(), description="person ids, in order of precedence")
    on_call: bool = Field(
        default=False, description="whether someone must hold this role on call at all times"
    )


class Rotation(PlanModel):
    """A recurring rota: ``people`` take turns, one period each, starting at ``start`` + ``handover``.

    A rotation never goes stale: who is on call is computable for any date after the start.
    """

    role: Identifier
    rotation: Literal["daily", "weekly"] = "weekly"
    people: tuple[Identifier, ...] = Field(min_length=1, description="person ids, in rota order")
    start: date = Field(description="the date the first person in the list starts")
    handover: time = Field(default=time(9, 0), description="local time of the handover, e.g. '09:00'")
    timezone: str = Field(default="UTC", description="IANA time zone of the handover, e.g. Europe/Berlin")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name such as Europe/Berlin or UTC"
            ) from exc
        return value

    @field_validator("handover", mode="before")
    @classmethod
    def _handover_from_minutes(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted 9:30 as the sexagesimal integer 570 (hours * 60 + minutes).
        if isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value < 24 * 60:
                raise ValueError(f"{value // 60}:{value % 60:02d} is not a time of day: write e.g. '09:00'")
            return time(value // 60, value % 60)
        return value

    @property
    def period(self) -> timedelta:
        """How long each person in the rota is on call."""
        return timedelta(days=1 if self.rotation == "daily" else 7)


class Shift(PlanModel):
    """A one-off on-call shift; it takes precedence over any rotation for the same role."""

    role: Identifier
    person: Identifier
    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.end <= self.start:
            raise_if_any(
                [Inconsistency(("end",), "the shift ends before it starts", "make end later than start")]
            )
        return self


class OnCall(PlanModel):
    """The on-call rota: recurring rotations plus one-off shifts (holidays, swaps)."""

    rotations: tuple[Rotation, ...] = ()
    shifts: tuple[Shift, ...] = ()


class EscalationLevel(PlanModel):
    """Who is pulled in when an incident is still unacknowledged or unresolved after ``after``."""

    level: int = Field(ge=1)
    after: Duration
    roles: tuple[Identifier, ...] = Field(min_length=1, description="role ids to notify at this level")


class Team(PlanModel):
    """The incident response team."""

    people: tuple[Person, ...] = Field(min_length=1)
    roles: tuple[Role, ...] = Field(min_length=1)
    on_call: OnCall = OnCall()
    escalation: tuple[EscalationLevel, ...] = ()

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        people = {p.id for p in self.people}
        roles = {r.id for r in self.roles}
        found = duplicates(self.people, lambda p: p.id, at=("people",), what="person id")
        found += duplicates(self.roles, lambda r: r.id, at=("roles",), what="role id")
        for i, role in enumerate(self.roles):
            if role.member is not None and role.member not in people:
                found.append(unknown_reference(("roles", i, "member"), role.member, "person", people))
            for j, deputy in enumerate(role.deputies):
                if deputy not in people:
                    found.append(unknown_reference(("roles", i, "deputies", j), deputy, "person", people))
                elif deputy == role.member:
                    found.append(
                        Inconsistency(
                            ("roles", i, "deputies", j),
                            f"{deputy!r} is both member and deputy of role {role.id!r}",
                            "a deputy stands in for the member; name someone else",
                        )
                    )
        for i, rotation in enumerate(self.on_call.rotations):
            if rotation.role not in roles:
                found.append(
                    unknown_reference(("on_call", "rotations", i, "role"), rotation.role, "role", roles)
                )
            for j, person in enumerate(rotation.people):
                if person not in people:
                    found.append(
                        unknown_reference(("on_call", "rotations", i, "people", j), person, "person", people)
                    )
        for i, shift in enumerate(self.on_call.shifts):
            if shift.role not in roles:
                found.append(unknown_reference(("on_call", "shifts", i, "role"), shift.role, "role", roles))
            if shift.person not in people:
                found.append(
                    unknown_reference(("on_call", "shifts", i, "person"), shift.person, "person", people)
                )
        found += _escalation_problems(self.escalation, roles)
        raise_if_any(found)
        return self

    def person(self, person_id: str) -> Person | None:
        """The person with ``person_id``, or None."""
        return next((p for p in self.people if p.id == person_id), None)

    def role(self, role_id: str) -> Role | None:
        """The role with ``role_id``, or None."""
        return next((r for r in self.roles if r.id == role_id), None)


def _escalation_problems(levels: tuple[EscalationLevel, ...], roles: set[str]) -> list[Inconsistency]:
    found: list[Inconsistency] = []
    for i, level in enumerate(levels):
        if level.level != i + 1:
            found.append(
                Inconsistency(
                    ("escalation", i, "level"),
                    f"escalation level {level.level} is entry {i + 1}",
                    "number the levels 1, 2, 3... in order",
                )
            )
        if i and level.after <= levels[i - 1].after:
            found.append(
                Inconsistency(
                    ("escalation", i, "after"),
                    f"escalation level {level.level} comes no later than the level before it",
                    "each level's 'after' must be longer than the previous level's",
                )
            )
        for j, role in enumerate(level.roles):
            if role not in roles:
                found.append(unknown_reference(("escalation", i, "roles", j), role, "role", roles))
    return found
