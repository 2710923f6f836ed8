"""The priority scheme: impact levels x urgency levels -> priority, each priority with SLA targets."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from ironwatch.plan.fieldtypes import Duration, Identifier, PlanModel
from ironwatch.plan.inconsistency import Inconsistency, duplicates, raise_if_any, unknown_reference

TARGETS = ("acknowledge", "contain", "resolve")


class Level(PlanModel):
    """An impact or urgency level, listed from the most to the least severe."""

    id: Identifier
    name: str = Field(min_length=1)
    description: str | None = None


class Priority(PlanModel):
    """A priority (P1 is the most urgent) and its targets, measured from the incident's report."""

    id: str = Field(pattern=r"^P[1-9]$", description="P1, P2, ... in order, P1 the most urgent")
    name: str = Field(min_length=1)
    description: str | None = None
    acknowledge: Duration
    contain: Duration
    resolve: Duration


class PriorityScheme(PlanModel):
    """Impact and urgency levels, the priority matrix and the priorities' targets.

    ``matrix`` maps impact id -> urgency id -> priority id and must cover every pair.
    """

    impact_levels: tuple[Level, ...] = Field(min_length=1)
    urgency_levels: tuple[Level, ...] = Field(min_length=1)
    priorities: tuple[Priority, ...] = Field(min_length=1)
    matrix: dict[Identifier, dict[Identifier, str]]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        found = duplicates(
            self.impact_levels, lambda lv: lv.id, at=("impact_levels",), what="impact level id"
        )
        found += duplicates(
            self.urgency_levels, lambda lv: lv.id, at=("urgency_levels",), what="urgency level id"
        )
        found += duplicates(self.priorities, lambda p: p.id, at=("priorities",), what="priority id")
        found += self._matrix_problems()
        found += self._target_problems()
        raise_if_any(found)
        return self

    def _matrix_problems(self) -> list[Inconsistency]:
        impacts = [lv.id for lv in self.impact_levels]
        urgencies = [lv.id for lv in self.urgency_levels]
        priorities = {p.id for p in self.priorities}
        found: list[Inconsistency] = []
        for impact, row in self.matrix.items():
            if impact not in impacts:
                found.append(unknown_reference(("matrix", impact), impact, "impact level", impacts))
                continue
            for urgency, priority in row.items():
                if urgency not in urgencies:
                    found.append(
                        unknown_reference(("matrix", impact, urgency), urgency, "urgency level", urgencies)
                    )
                elif priority not in priorities:
                    found.append(
                        unknown_reference(("matrix", impact, urgency), priority, "priority", priorities)
                    )
        for impact in impacts:
            given = self.matrix.get(impact)
            if given is None:
                found.append(
                    Inconsistency(
                        ("matrix",),
                        f"the priority matrix has no row for impact {impact!r}",
                        f"add '{impact}:' with a priority for each urgency: {', '.join(urgencies)}",
                    )
                )
                continue
            missing = [u for u in urgencies if u not in given]
            if missing:
                found.append(
                    Inconsistency(
                        ("matrix", impact),
                        f"priority matrix row {impact!r} has no priority for urgency {', '.join(missing)}",
                        "give a priority for every impact x urgency pair",
                    )
                )
        return found

    def _target_problems(self) -> list[Inconsistency]:
        found: list[Inconsistency] = []
        for i, priority in enumerate(self.priorities):
            if priority.id != f"P{i + 1}":
                found.append(
                    Inconsistency(
                        ("priorities", i, "id"),
                        f"priority {priority.id!r} is entry {i + 1}",
                        "list priorities in order P1, P2, P3... with P1 the most urgent",
                    )
                )
            if not priority.acknowledge <= priority.contain <= priority.resolve:
                found.append(
                    Inconsistency(
                        ("priorities", i),
                        f"{priority.id}'s targets are out of order",
                        "acknowledge must come no later than contain, and contain no later than resolve",
                    )
                )
            if i == 0:
                continue
            previous = self.priorities[i - 1]
            for target in TARGETS:
                if getattr(priority, target) < getattr(previous, target):
                    found.append(
                        Inconsistency(
                            ("priorities", i, target),
                            f"{priority.id}'s {target} target is shorter than {previous.id}'s",
                            "targets must ascend from P1 to the lowest priority: a less urgent incident "
                            "never gets a tighter deadline",
                        )
                    )
        return found

    def priority(self, priority_id: str) -> Priority | None:
        """The priority with ``priority_id``, or None."""
        return next((p for p in self.priorities if p.id == priority_id), None)
