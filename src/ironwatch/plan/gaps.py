"""A readiness gap: something missing from the plan, how bad it is, and where and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class GapSeverity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True)
class Gap:
    """Something missing from the plan; ``path`` is where in the plan to fix it."""

    check: str
    severity: GapSeverity
    message: str
    hint: str
    path: str
