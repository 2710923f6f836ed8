"""Priority assessment: the plan's impact x urgency matrix as a pure function."""

from __future__ import annotations

from ironwatch.core.errors import ValidationError
from ironwatch.plan.models import Plan


def assess_priority(plan: Plan, impact: str, urgency: str) -> str:
    """The priority id (``P1``...) the plan's matrix gives for ``impact`` and ``urgency`` level ids.

    >>> assess_priority(plan, "high", "high")  # doctest: +SKIP
    'P1'
    """
    scheme = plan.priority
    impacts = [level.id for level in scheme.impact_levels]
    urgencies = [level.id for level in scheme.urgency_levels]
    if impact not in impacts:
        raise ValidationError(f"unknown impact level {impact!r}", hint=f"use one of: {', '.join(impacts)}")
    if urgency not in urgencies:
        raise ValidationError(
            f"unknown urgency level {urgency!r}", hint=f"use one of: {', '.join(urgencies)}"
        )
    # The model guarantees the matrix covers every impact x urgency pair.
    return scheme.matrix[impact][urgency]
