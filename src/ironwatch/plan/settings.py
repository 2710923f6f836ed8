"""Operational settings other stages read from the plan; each is small and safe by default."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from ironwatch.plan.fieldtypes import Duration, PlanModel

Severity = Literal["low", "medium", "high", "critical"]


class Grouping(PlanModel):
    """How triage groups alerts into one incident: same values for ``keys`` within ``window``."""

    keys: tuple[str, ...] = Field(
        default=("rule_id", "host"), min_length=1, description="alert fields that must be equal"
    )
    window: Duration = Field(default=timedelta(minutes=15), description="how far apart grouped alerts may be")


class PlanSettings(PlanModel):
    """Settings read by triage, intake and respond."""

    auto_open_level: Severity = Field(
        default="high", description="alerts of this severity or above open an incident without a person"
    )
    grouping: Grouping = Grouping()
    anonymous_reports: bool = Field(default=False, description="accept incident reports without a name")
    actions_enabled: bool = Field(
        default=False, description="let playbooks run automated actions (block, isolate); off until tested"
    )
