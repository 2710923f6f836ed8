"""Who is on call: pure arithmetic over the plan's rotations and one-off shifts."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ironwatch.core.clock import ensure_utc
from ironwatch.core.errors import ValidationError
from ironwatch.plan.models import Person, Plan
from ironwatch.plan.team import Rotation


def handover_at(rotation: Rotation, index: int) -> datetime:
    """The UTC instant the ``index``-th turn of ``rotation`` starts (local handover time, DST-aware)."""
    day = rotation.start + index * rotation.period
    local = datetime.combine(day, rotation.handover, tzinfo=ZoneInfo(rotation.timezone))
    return local.astimezone(ZoneInfo("UTC"))


def rotation_person_at(rotation: Rotation, at: datetime) -> str | None:
    """The person id whose turn it is at ``at``, or None before the rotation starts."""
    local_day = at.astimezone(ZoneInfo(rotation.timezone)).date()
    index = (local_day - rotation.start).days // rotation.period.days
    # The local date may fall before today's handover (or after it on a DST edge): step to the right turn.
    while index >= 0 and handover_at(rotation, index) > at:
        index -= 1
    while handover_at(rotation, index + 1) <= at:
        index += 1
    if index < 0:
        return None
    return rotation.people[index % len(rotation.people)]


def on_call_person_id(plan: Plan, role: str, at: datetime) -> str | None:
    """The person id on call for ``role`` at ``at``: a covering shift wins over the rotation."""
    when = ensure_utc(at)
    for shift in plan.team.on_call.shifts:
        if shift.role == role and shift.start <= when < shift.end:
            return shift.person
    for rotation in plan.team.on_call.rotations:
        if rotation.role == role:
            person = rotation_person_at(rotation, when)
            if person is not None:
                return person
    return None


def on_call(plan: Plan, role: str, at: datetime) -> Person | None:
    """The person on call for ``role`` at the timezone-aware instant ``at``, or None if nobody is.

    One-off shifts take precedence over rotations. A naive ``at`` or an unknown role is an error.
    """
    if plan.team.role(role) is None:
        roles = ", ".join(r.id for r in plan.team.roles)
        raise ValidationError(f"the plan has no role {role!r}", hint=f"use one of: {roles}")
    try:
        person_id = on_call_person_id(plan, role, at)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    return plan.team.person(person_id) if person_id else None


def uncovered_periods(
    plan: Plan, role: str, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The periods between ``start`` and ``end`` in which nobody is on call for ``role``.

    Coverage only changes at shift boundaries and rotation starts, so checking those instants is exact.
    """
    start, end = ensure_utc(start), ensure_utc(end)
    edges = {start, end}
    for shift in plan.team.on_call.shifts:
        if shift.role == role:
            edges.update({ensure_utc(shift.start), ensure_utc(shift.end)})
    for rotation in plan.team.on_call.rotations:
        if rotation.role == role:
            edges.add(handover_at(rotation, 0))
    points = sorted(e for e in edges if start <= e <= end)
    gaps: list[tuple[datetime, datetime]] = []
    for left, right in itertools.pairwise(points):
        if on_call_person_id(plan, role, left) is None:
            if gaps and gaps[-1][1] == left:
                gaps[-1] = (gaps[-1][0], right)
            else:
                gaps.append((left, right))
    return gaps


def covered_fraction(plan: Plan, role: str, start: datetime, end: datetime) -> float:
    """The share of ``start``..``end`` in which someone is on call for ``role`` (0.0 to 1.0)."""
    total = (end - start).total_seconds()
    if total <= 0:
        return 1.0
    missing = sum(((b - a) for a, b in uncovered_periods(plan, role, start, end)), timedelta())
    return max(0.0, 1.0 - missing.total_seconds() / total)
