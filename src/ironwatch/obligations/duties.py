"""Notification duties as data: the YAML files shipped in ``duties/`` and the plan's contracts.

Each duty names its legal source (citation with article and URL), the facts under which it
applies, the fact its clock starts from, who must be told, and its phases (initial,
intermediate, final) with a deadline rule and the content the recipient expects. Changing a duty
means editing a file, not code; a broken file is refused with its name and the problem.
"""

from __future__ import annotations

import functools
from datetime import time, timedelta
from importlib import resources
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from ironwatch.core.breach_facts import FACTS, FactKind
from ironwatch.core.deadlines import PHASE_PREFIX, DeadlineRule
from ironwatch.core.errors import ConfigurationError
from ironwatch.core.fact_conditions import Condition, parse_condition
from ironwatch.plan.fieldtypes import Duration, Identifier
from ironwatch.plan.models import Plan

TIME_FACTS = frozenset(name for name, spec in FACTS.items() if spec.kind is FactKind.TIME)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Citation(_Model):
    article: str = Field(min_length=1)
    url: str = ""


class Recipient(_Model):
    kind: str = Field(min_length=1, description="supervisory_authority, data_subjects, csirt, sec, hhs, ...")
    name: str = Field(min_length=1)
    #: a plan stakeholder kind whose contacts are offered (data_protection_authority, regulator...)
    stakeholder_kind: str | None = None
    #: a plan stakeholder id (contractual duties name their counterparty's entry)
    stakeholder: str | None = None


class Deadline(_Model):
    start: str = Field(alias="from", description="a time fact, or phase:<id> for an earlier submission")
    within: Duration | None = None
    months: int | None = Field(default=None, ge=1)
    business_days: int | None = Field(default=None, ge=1)
    after_year_end: Duration | None = None
    calendar: str = "us-federal"
    timezone: str = "America/New_York"
    cutoff: time = time(17, 30)
    timing: Literal["fixed", "without_undue_delay", "immediately"] = "fixed"
    no_later_than: Deadline | None = None

    @field_validator("start")
    @classmethod
    def _known_start(cls, value: str) -> str:
        if value not in TIME_FACTS and not value.startswith(PHASE_PREFIX):
            raise ValueError(f"{value!r} is not a time fact ({', '.join(sorted(TIME_FACTS))}) or phase:<id>")
        return value

    @model_validator(mode="after")
    def _rule_builds(self) -> Self:
        self.rule()
        return self

    def rule(self) -> DeadlineRule:
        return DeadlineRule(
            start=self.start,
            within=self.within,
            months=self.months,
            business_days=self.business_days,
            after_year_end=self.after_year_end,
            calendar=self.calendar,
            timezone=self.timezone,
            cutoff=self.cutoff,
            timing=self.timing,
            no_later_than=self.no_later_than.rule() if self.no_later_than else None,
        )


class ContentItem(_Model):
    heading: str = Field(min_length=1)
    facts: tuple[str, ...] = ()
    guidance: str = ""

    @field_validator("facts")
    @classmethod
    def _known_facts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [f for f in value if f not in FACTS]
        if unknown:
            raise ValueError(f"unknown facts {unknown}; use names from docs/obligations.md")
        return value


class Phase(_Model):
    id: Identifier
    title: str = Field(min_length=1)
    deadline: Deadline | None = Field(
        default=None, description="none: no deadline of its own (optional phases)"
    )
    required: bool = True
    content: tuple[ContentItem, ...] = ()


class Duty(_Model):
    id: Identifier
    title: str = Field(min_length=1)
    regime: str = Field(min_length=1)
    kind: Literal["legal", "contractual"] = "legal"
    jurisdiction: str = Field(min_length=1)
    sector: str = "any"
    citation: Citation
    applies_when: dict[str, Any]
    clock: str
    recipient: Recipient
    phases: tuple[Phase, ...] = Field(min_length=1)
    _condition: Condition | None = PrivateAttr(default=None)

    @field_validator("clock")
    @classmethod
    def _clock_is_a_time(cls, value: str) -> str:
        if value not in TIME_FACTS:
            raise ValueError(f"clock {value!r} is not a time fact ({', '.join(sorted(TIME_FACTS))})")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        self._condition = parse_condition(self.applies_when, FACTS)
        seen: set[str] = set()
        for phase in self.phases:
            if phase.id in seen:
                raise ValueError(f"phase {phase.id!r} appears twice")
            if phase.required and phase.deadline is None:
                raise ValueError(f"required phase {phase.id!r} needs a deadline")
            for start in phase.deadline.rule().starts() if phase.deadline else ():
                if start.startswith(PHASE_PREFIX) and start[len(PHASE_PREFIX) :] not in seen:
                    raise ValueError(
                        f"phase {phase.id!r} counts from {start!r}, which is not an earlier phase"
                    )
            seen.add(phase.id)
        return self

    @property
    def condition(self) -> Condition:
        if self._condition is None:  # pragma: no cover - set by the validator
            self._condition = parse_condition(self.applies_when, FACTS)
        return self._condition

    def phase(self, phase_id: str) -> Phase | None:
        return next((p for p in self.phases if p.id == phase_id), None)


@functools.cache
def builtin_duties() -> tuple[Duty, ...]:
    """The legal duties shipped with ironwatch (``obligations/duties/*.yaml``), by id."""
    folder = resources.files("ironwatch.obligations").joinpath("duties")
    duties: list[Duty] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        try:
            duties.append(Duty.model_validate(yaml.safe_load(entry.read_text(encoding="utf-8"))))
        except (PydanticValidationError, yaml.YAMLError, ValueError) as exc:
            raise ConfigurationError(
                f"the duty file {entry.name} is broken: {exc}",
                hint="fix the file in ironwatch/obligations/duties (see docs/obligations.md)",
            ) from exc
    return tuple(duties)


def contractual_duty(plan_duty: Any) -> Duty:
    """A plan's contractual duty (``obligations.contractual[]``) as a :class:`Duty`."""
    return Duty.model_validate(
        {
            "id": f"contract-{plan_duty.id}",
            "title": plan_duty.title,
            "regime": "contract",
            "kind": "contractual",
            "jurisdiction": "contract",
            "citation": {"article": plan_duty.citation, "url": plan_duty.url or ""},
            "applies_when": plan_duty.applies_when,
            "clock": plan_duty.clock,
            "recipient": {
                "kind": "counterparty",
                "name": plan_duty.counterparty,
                "stakeholder": plan_duty.recipient,
            },
            "phases": [
                {
                    "id": "notification",
                    "title": f"Notice to {plan_duty.counterparty}",
                    "deadline": {"from": plan_duty.clock, "within": plan_duty.within},
                    "content": [{"heading": c} for c in plan_duty.content],
                }
            ],
        }
    )


def duties_for(plan: Plan | None) -> tuple[Duty, ...]:
    """Every duty in force under ``plan``: the built-in ones (deadlines overridden) and its contracts."""
    if plan is None:
        return builtin_duties()
    overrides = {(o.duty, o.phase): o.within for o in plan.obligations.deadlines}
    duties = [_overridden(d, overrides) for d in builtin_duties()]
    duties += [contractual_duty(c) for c in plan.obligations.contractual]
    return tuple(duties)


def _overridden(duty: Duty, overrides: dict[tuple[str, str], timedelta]) -> Duty:
    phases = []
    changed = False
    for phase in duty.phases:
        within = overrides.get((duty.id, phase.id))
        if within is not None and phase.deadline is not None:
            deadline = phase.deadline.model_copy(
                update={"within": within, "months": None, "business_days": None, "after_year_end": None}
            )
            phase = phase.model_copy(update={"deadline": deadline})
            changed = True
        phases.append(phase)
    if not changed:
        return duty
    copy = duty.model_copy(update={"phases": tuple(phases)})
    copy._condition = duty.condition
    return copy
