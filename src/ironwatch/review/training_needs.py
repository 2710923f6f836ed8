"""Training needs found by a review become entries in the plan's training programme.

A need names an existing course (its roles and people are added to the course's audience) or a new
course (added with the review's reason as its description). The result is applied as a new plan
version by splicing ``training.courses`` into the plan's text (``plan.yaml_edit``), so every other
line of the plan file, comments included, stays as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ironwatch.core.errors import ValidationError
from ironwatch.plan.models import Course, Plan
from ironwatch.plan.service import VersionInfo, apply_plan, get_version
from ironwatch.plan.yaml_edit import replace_value
from ironwatch.review.schemas import TrainingNeed
from ironwatch.store.uow import UnitOfWork


def check_training_needs(plan: Plan, needs: Sequence[TrainingNeed]) -> None:
    """Refuse needs naming roles, people or courses the plan does not have (all problems at once)."""
    roles = {r.id for r in plan.team.roles}
    people = {p.id for p in plan.team.people}
    courses = {c.id for c in plan.training.courses}
    problems: list[str] = []
    for i, need in enumerate(needs, start=1):
        if need.course not in courses and not need.title:
            problems.append(f"need {i}: {need.course!r} is not a course in the plan; give a title to add it")
        if need.course not in courses and not (need.roles or need.people):
            problems.append(f"need {i}: a new course needs roles or people to take it")
        problems += [f"need {i}: no role {r!r} in the plan" for r in need.roles if r not in roles]
        problems += [f"need {i}: no person {p!r} in the plan" for p in need.people if p not in people]
    if problems:
        raise ValidationError(
            "; ".join(problems),
            hint=f"roles: {', '.join(sorted(roles))}; people: {', '.join(sorted(people))}; "
            f"courses: {', '.join(sorted(courses))}",
        )


def courses_with(plan: Plan, needs: Sequence[TrainingNeed], *, ref: str) -> tuple[Course, ...]:
    """The plan's courses with ``needs`` added (existing courses widened, new ones appended)."""
    courses = {c.id: c for c in plan.training.courses}
    for need in needs:
        known = courses.get(need.course)
        if known is None:
            reason = f": {need.reason}" if need.reason else ""
            courses[need.course] = Course(
                id=need.course,
                title=need.title,
                audience=tuple(dict.fromkeys(need.roles)),
                people=tuple(dict.fromkeys(need.people)),
                frequency=need.frequency,
                description=f"Added by the post-incident review of {ref}{reason}",
            )
        else:
            courses[need.course] = known.model_copy(
                update={
                    "audience": tuple(dict.fromkeys([*known.audience, *need.roles])),
                    "people": tuple(dict.fromkeys([*known.people, *need.people])),
                }
            )
    return tuple(courses.values())


def apply_training_needs(uow: UnitOfWork, needs: Sequence[TrainingNeed], *, ref: str) -> VersionInfo | None:
    """Add ``needs`` to the plan in force as a new version; None when the plan already has them all.

    Needs ``plan:write`` (``apply_plan`` checks it).
    """
    current = get_version(uow)
    check_training_needs(current.plan, needs)
    courses = courses_with(current.plan, needs, ref=ref)
    if courses == current.plan.training.courses:
        return None
    items: list[dict[str, Any]] = [c.model_dump(mode="json", exclude_defaults=True) for c in courses]
    try:
        text = replace_value(current.text, ("training", "courses"), items)
    except ValueError as exc:
        raise ValidationError(
            f"cannot add the training needs to the plan's text: {exc}",
            hint="add the courses to training.courses by hand, apply the plan, and complete the review again",
        ) from exc
    added = ", ".join(dict.fromkeys(n.course for n in needs))
    info, _ = apply_plan(
        uow,
        text,
        source=f"review of {ref}",
        note=f"training needs from the post-incident review of {ref}: {added}",
    )
    return info
