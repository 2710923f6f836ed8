"""Operational settings other stages read from the plan; each is small and safe by default."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, field_validator

from ironwatch.plan.assets import normalise_address
from ironwatch.plan.fieldtypes import Duration, Identifier, PlanModel

Severity = Literal["low", "medium", "high", "critical"]


class Grouping(PlanModel):
    """How triage groups alerts into one incident: same values for ``keys`` within ``window``."""

    keys: tuple[str, ...] = Field(
        default=("rule_id", "host"), min_length=1, description="alert fields that must be equal"
    )
    window: Duration = Field(default=timedelta(minutes=15), description="how far apart grouped alerts may be")


class ConnectorSettings(PlanModel):
    """One action connector: whether it may act for real, its time limit and its own configuration.

    ``config`` is checked by the connector itself (``ironwatch action connectors`` shows each one's
    keys); secrets are never written here, only the name of the environment variable or file holding them.
    """

    enabled: bool = Field(default=False, description="act for real (with actions_enabled); else dry-run")
    timeout: Duration | None = Field(
        default=None, description="time limit of one run; default: actions.timeout"
    )
    config: dict[str, Any] = Field(default_factory=dict, description="the connector's own settings")


class ActionSettings(PlanModel):
    """Guard rails for automated response actions (see docs/respond.md)."""

    connectors: dict[Identifier, ConnectorSettings] = Field(
        default_factory=dict, description="per connector: enabled, timeout, config; unlisted ones dry-run"
    )
    allow_targets: tuple[str, ...] = Field(
        default=(), description="if any: addresses, networks or host names blocking actions may touch"
    )
    deny_targets: tuple[str, ...] = Field(
        default=(), description="addresses, networks or host names never blocked, isolated or scanned"
    )
    management_addresses: tuple[str, ...] = Field(
        default=(), description="where administrators connect from: never blocked, kept open when isolating"
    )
    protected_accounts: tuple[str, ...] = Field(
        default=("root", "administrator"), description="accounts never disabled or locked"
    )
    two_person_rule: bool = Field(
        default=True, description="destructive actions wait for a second person's approval"
    )
    approve_all: bool = Field(default=False, description="every real action (not only destructive) waits")
    timeout: Duration = Field(default=timedelta(minutes=5), description="default time limit of one run")
    max_attempts: int = Field(default=3, ge=1, le=10, description="tries before an action is failed")
    retry_delay: Duration = Field(default=timedelta(minutes=1), description="wait between tries")
    max_concurrent: int = Field(default=2, ge=1, le=16, description="actions running at once in serve")

    @field_validator("allow_targets", "deny_targets", "management_addresses")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(normalise_address(a) for a in value)


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
    actions: ActionSettings = Field(default_factory=ActionSettings)
