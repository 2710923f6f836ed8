"""Automatic assessment of an incident candidate: category, severity, impact, urgency, priority.

Pure functions over the plan and what the alerts say, so each rule is testable without a database.
Every value comes with the reason it was chosen; the reasons are stored and shown to people, who can
override any value (``triage.service.override_assessment``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ironwatch.plan.assess import assess_priority
from ironwatch.plan.models import Asset, DataKind, Plan
from ironwatch.triage.classify import classify

SEVERITIES = ("low", "medium", "high", "critical")
LEVEL_TO_SEVERITY = {
    "informational": "low",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "critical": "critical",
}
TIERS = ("low", "medium", "high")
#: data whose exposure is a personal data breach (special handling) or otherwise sensitive
PERSONAL_KINDS = frozenset({DataKind.PERSONAL, DataKind.HEALTH, DataKind.SPECIAL_CATEGORY})
SENSITIVE_KINDS = PERSONAL_KINDS | {
    DataKind.PAYMENT_CARD,
    DataKind.FINANCIAL,
    DataKind.CREDENTIALS,
    DataKind.CLASSIFIED,
    DataKind.TRADE_SECRET,
}
BROAD_HOSTS = 3
BROAD_ACCOUNTS = 5
ASSET_ENTITIES = ("host", "destination_address", "source_address")


@dataclass(frozen=True)
class AlertFacts:
    """What assessment needs from one alert."""

    level: str
    tags: tuple[str, ...]
    entities: Mapping[str, str]
    confidence: object = None


@dataclass(frozen=True)
class GroupFacts:
    """An incident candidate: its alerts, entities seen, when it was active, whether it is spreading."""

    alerts: tuple[AlertFacts, ...]
    entities: Mapping[str, Iterable[str]]
    last_seen: datetime
    growing: bool = False


@dataclass(frozen=True)
class Assessment:
    category: str | None
    severity: str
    impact: str
    urgency: str
    priority: str
    playbook: str | None
    affected_assets: tuple[str, ...]
    special_handling: tuple[str, ...]
    reasons: dict[str, str] = field(default_factory=dict)


def alert_severity(level: str, confidence: object) -> tuple[str, str]:
    """Severity from the rule level; a step up for a high-confidence indicator, down for a low one."""
    base = LEVEL_TO_SEVERITY.get(level, "medium")
    index = SEVERITIES.index(base)
    score = _confidence(confidence)
    if score is None:
        return base, f"rule level {level}"
    if score >= 80 and index < len(SEVERITIES) - 1:
        return SEVERITIES[index + 1], f"rule level {level}, raised for indicator confidence {score}"
    if score < 40 and index > 0:
        return SEVERITIES[index - 1], f"rule level {level}, lowered for indicator confidence {score}"
    return base, f"rule level {level}, indicator confidence {score}"


def _confidence(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value * 100) if 0 < value <= 1 and isinstance(value, float) else int(value)
    return {"low": 25, "medium": 60, "high": 90}.get(str(value).lower())


def matching_assets(plan: Plan, values: Iterable[str]) -> list[Asset]:
    """Plan assets named by these host names or addresses (exact name, listed address, or network)."""
    found: dict[str, Asset] = {}
    for value in values:
        text = value.strip().lower()
        short = text.split(".", 1)[0]
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            ip = None
        for asset in plan.assets:
            names = {asset.name.lower(), *(a.lower() for a in asset.addresses)}
            names |= {a.split(".", 1)[0] for a in names if not a[:1].isdigit() and ":" not in a}
            if text in names or short in names or (ip is not None and _in_networks(ip, asset.addresses)):
                found.setdefault(asset.name, asset)
    return list(found.values())


def _in_networks(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, addresses: Iterable[str]) -> bool:
    for address in addresses:
        if "/" in address:
            try:
                if ip in ipaddress.ip_network(address, strict=False):
                    return True
            except ValueError:
                continue
    return False


def _plan_level(level_ids: list[str], tier: str) -> str:
    """A tier (low/medium/high) as one of the plan's levels (listed most severe first)."""
    if tier in level_ids:
        return tier
    position = {"high": 0, "medium": len(level_ids) // 2, "low": len(level_ids) - 1}[tier]
    return level_ids[position]


def assess(plan: Plan, facts: GroupFacts, *, now: datetime, ongoing_within: timedelta) -> Assessment:
    """Assess a group of alerts against the plan (see docs/triage.md for each rule)."""
    reasons: dict[str, str] = {}
    tags = [t for a in facts.alerts for t in a.tags]
    classified = classify(plan, tags)
    reasons["category"] = classified.reason

    ranked = [(*alert_severity(a.level, a.confidence), a.level) for a in facts.alerts]
    severity, why, _ = max(ranked, key=lambda r: SEVERITIES.index(r[0]))
    reasons["severity"] = f"{severity}: {why} (highest of {len(ranked)} alert(s))"

    values = [v for name in ASSET_ENTITIES for v in facts.entities.get(name, ())]
    assets = matching_assets(plan, values)
    impact, impact_why, flags = _impact(plan, severity, assets, facts)
    reasons["impact"] = impact_why
    urgency, urgency_why = _urgency(severity, facts, now=now, ongoing_within=ongoing_within)
    reasons["urgency"] = urgency_why

    impact_id = _plan_level([lv.id for lv in plan.priority.impact_levels], impact)
    urgency_id = _plan_level([lv.id for lv in plan.priority.urgency_levels], urgency)
    priority = assess_priority(plan, impact_id, urgency_id)
    reasons["priority"] = f"{priority}: the plan's matrix for impact {impact_id} x urgency {urgency_id}"

    playbook = plan.classification.playbook_for(classified.category) if classified.category else None
    category = plan.classification.category(classified.category) if classified.category else None
    if category is not None and category.special_handling:
        flags.append(f"category:{category.id}")
    reasons["playbook"] = (
        f"the playbook of category {classified.category}" if playbook else "the category names no playbook"
    )
    return Assessment(
        category=classified.category,
        severity=severity,
        impact=impact_id,
        urgency=urgency_id,
        priority=priority,
        playbook=playbook,
        affected_assets=tuple(sorted(a.name for a in assets)),
        special_handling=tuple(sorted(set(flags))),
        reasons=reasons,
    )


def _impact(plan: Plan, severity: str, assets: list[Asset], facts: GroupFacts) -> tuple[str, str, list[str]]:
    tier = {"critical": "high", "high": "medium"}.get(severity, "low")
    why = [f"severity {severity}"]
    flags: list[str] = []
    data_types = {d.id: d for d in plan.data_types}
    for asset in assets:
        asset_tier = {"critical": "high", "high": "high", "medium": "medium"}.get(
            asset.criticality.value, "low"
        )
        tier = max(tier, asset_tier, key=TIERS.index)
        why.append(f"asset {asset.name} (criticality {asset.criticality.value})")
        kinds = [data_types[d] for d in asset.data_types if d in data_types]
        sensitive = [d for d in kinds if d.kind in SENSITIVE_KINDS]
        if sensitive:
            tier = "high"
            why.append(f"{asset.name} holds " + ", ".join(f"{d.id} ({d.kind.value})" for d in sensitive))
        if any(d.kind in PERSONAL_KINDS for d in kinds):
            flags.append("personal_data")
    if not assets:
        why.append("no asset of the plan's inventory matches the alerts' hosts or addresses")
    hosts = len(set(facts.entities.get("host", ())))
    accounts = len(set(facts.entities.get("user", ())))
    if hosts >= BROAD_HOSTS or accounts >= BROAD_ACCOUNTS:
        tier = TIERS[min(TIERS.index(tier) + 1, len(TIERS) - 1)]
        why.append("raised for breadth")
    why.append(f"{hosts} host(s), {accounts} account(s)")
    return tier, f"{tier}: " + "; ".join(why), flags


def _urgency(
    severity: str, facts: GroupFacts, *, now: datetime, ongoing_within: timedelta
) -> tuple[str, str]:
    quiet = now - facts.last_seen
    ongoing = quiet <= ongoing_within
    hosts = len(set(facts.entities.get("host", ())))
    accounts = len(set(facts.entities.get("user", ())))
    spreading = hosts >= 2 or accounts >= 3 or facts.growing
    minutes = max(0, int(quiet.total_seconds() // 60))
    activity = f"activity ongoing (last seen {minutes} min ago)" if ongoing else f"quiet for {minutes} min"
    if spreading and ongoing:
        joining = ", new entities joining" if facts.growing else ""
        return "high", f"high: {activity} and spreading ({hosts} host(s), {accounts} account(s){joining})"
    if ongoing and severity in ("high", "critical"):
        return "high", f"high: {activity} at severity {severity}"
    if ongoing or spreading:
        return "medium", f"medium: {activity}" + (", spreading" if spreading else "")
    return "low", f"low: {activity}, not spreading"
