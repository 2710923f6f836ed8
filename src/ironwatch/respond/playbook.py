"""The playbook file: a handling procedure for categories of incidents, as data.

A playbook has phases (containment, eradication, recovery), each a list of steps. A step is a
manual task (a checklist item with an owner role and a due offset) or an automated action (a
connector with inputs bound to the incident and its observables). Steps can be conditional
(``when``), repeated over values (``for_each``), and say what happens when an action fails
(``on_failure``: stop the remaining actions, continue, or turn into a manual task). See
docs/respond.md for an example.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from ironwatch.plan.fieldtypes import Duration, Identifier, PlanModel
from ironwatch.plan.inconsistency import Inconsistency, raise_if_any
from ironwatch.respond.templating import TemplateProblem, check_expression, check_template


class Phase(StrEnum):
    CONTAINMENT = "containment"
    ERADICATION = "eradication"
    RECOVERY = "recovery"


OnFailure = Literal["stop", "continue", "manual"]


def _expression(value: str | None) -> str | None:
    if value is not None:
        try:
            check_expression(value)
        except TemplateProblem as exc:
            raise ValueError(str(exc)) from None
    return value


def _templates(value: Any) -> None:
    if isinstance(value, str):
        try:
            check_template(value)
        except TemplateProblem as exc:
            raise ValueError(str(exc)) from None
    elif isinstance(value, list | tuple):
        for item in value:
            _templates(item)
    elif isinstance(value, dict):
        for item in value.values():
            _templates(item)


class Step(PlanModel):
    """One step: a manual task unless ``action`` names a connector."""

    id: Identifier
    title: str = Field(min_length=1, max_length=200)
    details: str = Field(default="", description="what to do and why, for the person doing it")
    owner: Identifier | None = Field(default=None, description="the plan role responsible (tasks, follow-up)")
    due: Duration | None = Field(default=None, description="due this long after the playbook starts")
    when: str | None = Field(default=None, description="run the step only if this expression is true")
    action: Identifier | None = Field(default=None, description="the connector, e.g. block_address")
    inputs: dict[Identifier, Any] = Field(default_factory=dict, description="connector inputs; templates")
    for_each: str | None = Field(default=None, description="one action per value, e.g. observables.ipv4")
    on_failure: OnFailure = Field(default="manual", description="stop | continue | manual (a task)")

    @field_validator("when", "for_each")
    @classmethod
    def _valid_expression(cls, value: str | None) -> str | None:
        return _expression(value)

    @field_validator("inputs")
    @classmethod
    def _valid_templates(cls, value: dict[str, Any]) -> dict[str, Any]:
        _templates(value)
        return value

    @model_validator(mode="after")
    def _kind(self) -> Self:
        if self.action is None:
            found = [
                Inconsistency((name,), f"{name} is only for automated steps", "remove it, or name an action")
                for name in ("inputs", "for_each")
                if getattr(self, name)
            ]
            raise_if_any(found)
        return self

    @property
    def is_action(self) -> bool:
        return self.action is not None


class Phases(PlanModel):
    containment: tuple[Step, ...] = ()
    eradication: tuple[Step, ...] = ()
    recovery: tuple[Step, ...] = ()

    def ordered(self) -> list[tuple[Phase, Step]]:
        """Every step with its phase, in the order the phases run."""
        return [(phase, step) for phase in Phase for step in getattr(self, phase.value)]

    def located(self) -> list[tuple[tuple[str | int, ...], Step]]:
        """Every step with its path in the file (``("containment", 2)``)."""
        return [
            ((phase.value, i), step) for phase in Phase for i, step in enumerate(getattr(self, phase.value))
        ]


class Playbook(PlanModel):
    """A handling procedure for one or more incident categories."""

    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1)
    categories: tuple[Identifier, ...] = Field(
        default=(), description="taxonomy categories (or classes) this playbook handles"
    )
    phases: Phases

    @model_validator(mode="after")
    def _unique_steps(self) -> Self:
        found: list[Inconsistency] = []
        seen: dict[str, str] = {}
        for path, step in self.phases.located():
            where = f"{path[0]}[{path[1]}]"
            if step.id in seen:
                found.append(
                    Inconsistency(
                        ("phases", *path, "id"),
                        f"duplicate step id {step.id!r} (already used by {seen[step.id]})",
                        "give each step a unique id",
                    )
                )
            seen.setdefault(step.id, where)
        if not seen:
            found.append(Inconsistency(("phases",), "the playbook has no steps", "add steps to a phase"))
        raise_if_any(found)
        return self
