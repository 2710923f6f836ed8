"""Alerts as detection hands them to triage: the plan in force and matches like the real rules'."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from ironwatch.bootstrap import Runtime
from ironwatch.core.principal import system_principal
from ironwatch.detect.alerts import Recorded, record_alerts
from ironwatch.detect.sigma.match import Match, build_match, dedup_key
from ironwatch.plan import service as plans
from ironwatch.plan.starter import init_plan_text

DETECTION = system_principal("detection")
ATTACKER = "203.0.113.9"
TARGET = "files.example.org"  # the starter plan's fileserver: criticality high, personal data


def apply_plan(runtime: Runtime, text: str | None = None) -> None:
    """Apply ``text`` (default: the starter plan for 'Test Org') as the plan in force."""
    with runtime.uow(system_principal("test"), write=True) as uow:
        plans.apply_plan(uow, text or init_plan_text("Test Org"), source="test")
        uow.commit()


def starter_text_with(old: str, new: str) -> str:
    """The starter plan with one passage replaced (the passage must be there)."""
    text = init_plan_text("Test Org")
    assert old in text, old
    return text.replace(old, new)


def brute_force(at: datetime, *, source: str = ATTACKER, host: str = TARGET, count: int = 12) -> Match:
    """What the SSH brute-force correlation (event_count on failures per source) reports."""
    entities = {"source_address": source, "host": host}
    return Match(
        rule_id="iw-ssh-brute-force",
        title="SSH brute force",
        level="medium",
        tags=("attack.credential_access", "attack.t1110.001"),
        fields={},
        entities=entities,
        dedup_key=dedup_key("iw-ssh-brute-force", entities),
        timestamp=at,
        kind="correlation",
        event_ids=tuple(f"ev-{source}-{i}" for i in range(count)),
        count=count,
        details={"rules": ["iw-ssh-auth-failure"], "condition": "gte 10"},
    )


def login_after_brute_force(
    at: datetime, *, source: str = ATTACKER, host: str = TARGET, user: str = "root"
) -> Match:
    """What the failures-then-success correlation (temporal_ordered, level high) reports."""
    entities = {"source.ip": source, "host.name": host, "user.name": user}
    return Match(
        rule_id="iw-ssh-success-after-brute-force",
        title="SSH login succeeded after brute force",
        level="high",
        tags=("attack.initial_access", "attack.t1078", "attack.credential_access", "attack.t1110"),
        fields={},
        entities=entities,
        dedup_key=dedup_key("iw-ssh-success-after-brute-force", entities),
        timestamp=at,
        kind="correlation",
        event_ids=(f"ev-{source}-ok",),
        details={"rules": ["iw-ssh-brute-force", "iw-ssh-auth-success"]},
    )


def sigma_match(
    rule_id: str, level: str, at: datetime, event: dict[str, object], tags: tuple[str, ...] = ()
) -> Match:
    m = build_match(
        rule_id=rule_id, title=rule_id.replace("-", " "), level=level, tags=tags, fields=(), event=event
    )
    return replace(m, timestamp=at, event_ids=(f"ev-{rule_id}-{at.isoformat()}",))


def record(runtime: Runtime, matches: Sequence[Match]) -> list[Recorded]:
    with runtime.uow(DETECTION, write=True) as uow:
        recorded = record_alerts(uow, matches)
        uow.commit()
    return recorded
