"""Operational settings other stages read from the plan; each is small and safe by default."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from ironwatch.plan.assets import normalise_address
from ironwatch.plan.fieldtypes import Duration, Identifier, PlanModel
from ironwatch.plan.inconsistency import Inconsistency, raise_if_any

Severity = Literal["low", "medium", "high", "critical"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

#: what a grouping key may name: an alert's entities, its rule or its kind
GROUPING_FIELDS = ("host", "user", "source_address", "destination_address", "rule_id", "kind")


class Grouping(PlanModel):
    """How triage groups alerts into one incident candidate.

    Each key is an alert field, or several joined with ``+`` that must all be equal. An alert joins
    a group when it shares the value of ANY key with it and arrives within ``window`` of the group's
    last alert: ``[host, source_address]`` groups what happens on one host or comes from one address;
    ``[rule_id+host]`` only repeats of one rule on one host.
    """

    keys: tuple[str, ...] = Field(
        default=("host", "source_address"),
        min_length=1,
        description="alert fields (host, user, source_address, destination_address, rule_id, kind); "
        "'a+b' means both equal",
    )
    window: Duration = Field(default=timedelta(minutes=15), description="how far apart grouped alerts may be")

    @field_validator("keys")
    @classmethod
    def _known_fields(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for key in value:
            for part in key.split("+"):
                if part.strip() not in GROUPING_FIELDS:
                    raise ValueError(
                        f"{part.strip()!r} in grouping key {key!r} is not an alert field: "
                        f"use {', '.join(GROUPING_FIELDS)}, or join several with '+'"
                    )
        return tuple("+".join(p.strip() for p in key.split("+")) for key in value)

    def key_parts(self) -> tuple[tuple[str, ...], ...]:
        """Each key as the fields that must all be equal."""
        return tuple(tuple(key.split("+")) for key in self.keys)


class Assignment(PlanModel):
    """Who gets a new incident: the on-call member of the responsible role, else by ``strategy``."""

    role: Identifier = Field(default="analyst", description="role responsible for new incidents")
    by_category: dict[Identifier, Identifier] = Field(
        default_factory=dict, description="category id -> role id, e.g. data-leak: data_protection_officer"
    )
    strategy: Literal["least_loaded", "round_robin"] = Field(
        default="least_loaded", description="when nobody of the role is on call"
    )


class BusinessHours(PlanModel):
    """Working time for SLA clocks that only run in business hours."""

    days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    start: time = time(9, 0)
    end: time = time(17, 0)
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as Europe/Berlin") from exc
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start or not self.days:
            raise_if_any(
                [Inconsistency(("end",), "business hours are empty", "give days and an end after the start")]
            )
        return self


class SlaOptions(PlanModel):
    """SLA clocks: by default they run around the clock; listed priorities count business hours only."""

    business_hours_for: tuple[str, ...] = Field(
        default=(), description="priority ids whose targets count business hours only, e.g. [P3, P4]"
    )
    business_hours: BusinessHours = BusinessHours()
    holidays: tuple[date, ...] = Field(default=(), description="days without business hours")


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
    assignment: Assignment = Assignment()
    sla: SlaOptions = SlaOptions()
    anonymous_reports: bool = Field(default=False, description="accept incident reports without a name")
    actions_enabled: bool = Field(
        default=False, description="let playbooks run automated actions (block, isolate); off until tested"
    )
    actions: ActionSettings = Field(default_factory=ActionSettings)
