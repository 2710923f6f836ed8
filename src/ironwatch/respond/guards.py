"""Guard rails: whether an action may run for real, must wait for approval, or is refused outright.

Pure functions over the plan: the deny list is the plan's critical assets (their names and
addresses), the management addresses and the configured ``deny_targets``; an allow list, when
configured, bounds what destructive actions may touch. Refusals name the rule that refused, so the
person asking knows what to change (or that they must not).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ironwatch.core.errors import ValidationError
from ironwatch.plan.assets import Criticality
from ironwatch.plan.models import Plan
from ironwatch.plan.settings import ConnectorSettings
from ironwatch.respond.connectors.base import Target

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Denied:
    """One entry of the deny list and why it is there."""

    value: str
    reason: str


def deny_list(plan: Plan) -> list[Denied]:
    """Everything no destructive action may touch, with the reason for each."""
    actions = plan.settings.actions
    found: list[Denied] = []
    for asset in plan.assets:
        if asset.criticality == Criticality.CRITICAL:
            reason = f"critical asset {asset.name!r} in the plan's inventory"
            found.append(Denied(asset.name.lower(), reason))
            found.extend(Denied(address, reason) for address in asset.addresses)
    found.extend(
        Denied(a, "a management address (settings.actions.management_addresses)")
        for a in actions.management_addresses
    )
    found.extend(Denied(a, "on the deny list (settings.actions.deny_targets)") for a in actions.deny_targets)
    found.extend(
        Denied(a.lower(), "a protected account (settings.actions.protected_accounts)")
        for a in actions.protected_accounts
    )
    return found


def _network(value: str) -> IpNetwork | None:
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None


def _matches(target: Target, entry: str) -> bool:
    if target.kind == "address":
        mine, theirs = _network(target.value), _network(entry)
        return (
            mine is not None
            and theirs is not None
            and mine.version == theirs.version
            and mine.overlaps(theirs)
        )
    if target.kind == "hostname":
        value = target.value.lower()
        return (
            value == entry
            or value.split(".")[0] == entry
            or entry.endswith("." + value)
            or value.endswith("." + entry)
        )
    if target.kind == "account":
        return target.value.lower() == entry
    return False


def check_targets(plan: Plan, connector: str, targets: list[Target]) -> None:
    """Refuse (``ValidationError``) a destructive action whose targets are denied or not allowed."""
    denied = deny_list(plan)
    for target in targets:
        for entry in denied:
            if _matches(target, entry.value):
                raise ValidationError(
                    f"refused: {connector} may not touch {target.value}: it is {entry.reason}",
                    hint="critical assets, management addresses and protected accounts are never blocked, "
                    "isolated or locked; act on them by hand if you really must",
                )
    allowed = plan.settings.actions.allow_targets
    if not allowed:
        return
    for target in targets:
        if target.kind in {"address", "hostname"} and not any(_within(target, a) for a in allowed):
            raise ValidationError(
                f"refused: {target.value} is not on the allow list (settings.actions.allow_targets)",
                hint="add it to the allow list in the plan if actions may touch it",
            )


def _within(target: Target, entry: str) -> bool:
    if target.kind == "address":
        mine, theirs = _network(target.value), _network(entry)
        return (
            mine is not None
            and theirs is not None
            and mine.version == theirs.version
            and mine.subnet_of(theirs)  # type: ignore[arg-type]
        )
    return target.value.lower() == entry or target.value.lower().endswith("." + entry)


def connector_settings(plan: Plan, connector: str) -> ConnectorSettings:
    """The plan's settings for ``connector`` (disabled, no config, when it is not listed)."""
    return plan.settings.actions.connectors.get(connector, ConnectorSettings())


def acts_for_real(plan: Plan, connector: str) -> bool:
    """An action runs for real only when actions are enabled and its connector is enabled too."""
    return plan.settings.actions_enabled and connector_settings(plan, connector).enabled


def needs_approval(plan: Plan, *, destructive: bool, dry_run: bool) -> bool:
    """Whether a second person must approve: real destructive actions (or every real one) under the rule."""
    actions = plan.settings.actions
    if dry_run:
        return False
    return (destructive and actions.two_person_rule) or actions.approve_all
