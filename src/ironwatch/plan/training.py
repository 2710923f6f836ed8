"""The training programme: courses for roles, completion records and exercises."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from ironwatch.plan.fieldtypes import Duration, Identifier, PlanModel
from ironwatch.plan.inconsistency import duplicates, raise_if_any, unknown_reference


class Course(PlanModel):
    """A course that people in certain roles (and named people) must complete, and how often.

    ``people`` names individuals beyond the roles, e.g. those a post-incident review found needed it.
    """

    id: Identifier
    title: str = Field(min_length=1)
    audience: tuple[Identifier, ...] = Field(default=(), description="role ids that must take the course")
    people: tuple[Identifier, ...] = Field(default=(), description="person ids that must take the course")
    frequency: Duration = Field(description="how long a completion stays current, e.g. 365d")
    description: str | None = None

    @model_validator(mode="after")
    def _has_audience(self) -> Self:
        if not self.audience and not self.people:
            raise ValueError("a course needs an audience: list role ids in audience or person ids in people")
        return self


class Completion(PlanModel):
    """A record that a person completed a course on a day."""

    person: Identifier
    course: Identifier
    completed_on: date


class ExerciseKind(StrEnum):
    """Kinds of exercise, from discussion to live play."""

    TABLETOP = "tabletop"
    WALKTHROUGH = "walkthrough"
    SIMULATION = "simulation"
    FUNCTIONAL = "functional"
    FULL_SCALE = "full_scale"
    RED_TEAM = "red_team"


class Exercise(PlanModel):
    """An exercise that took place."""

    held_on: date
    kind: ExerciseKind
    scenario: str = Field(min_length=1)
    notes: str | None = None


class Training(PlanModel):
    """Courses, who completed them, and exercises held; ``exercise_interval`` is the most allowed between."""

    courses: tuple[Course, ...] = ()
    completions: tuple[Completion, ...] = ()
    exercises: tuple[Exercise, ...] = ()
    exercise_interval: Duration = Field(default=timedelta(days=365), description="e.g. 180d")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        courses = {c.id for c in self.courses}
        found = duplicates(self.courses, lambda c: c.id, at=("courses",), what="course id")
        for i, completion in enumerate(self.completions):
            if completion.course not in courses:
                found.append(
                    unknown_reference(("completions", i, "course"), completion.course, "course", courses)
                )
        raise_if_any(found)
        return self
