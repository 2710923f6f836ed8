"""The detection sink: events become alerts, detectors plug in, rule changes arrive, failures counted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.principal import system_principal
from ironwatch.detect import rule_catalog, rule_loading
from ironwatch.detect.detector import Detector
from ironwatch.detect.service import DetectionService
from ironwatch.detect.sigma.loader import RuleSet
from ironwatch.detect.sigma.match import Match, dedup_key
from ironwatch.ingest.event import Event
from ironwatch.ingest.parsers import parse_frame
from ironwatch.store.tables import AlertRow

RULES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
FAILED_PASSWORD = "0b6a3c1e-3f55-4c1b-9a4e-2d7e0f1a9c01"
ROOT_LOGIN = "7c0f2a9d-6b1e-4f3a-8d52-91e4b7a0c3d2"
OPERATOR = system_principal("test")
T0 = datetime(2026, 3, 2, 8, 59, tzinfo=UTC)


def _event(message: str, *, at: datetime = T0, host: str = "web1") -> Event:
    line = f"<38>1 {at.isoformat().replace('+00:00', 'Z')} {host} sshd 1234 - - {message}"
    event = parse_frame(line.encode(), source="test", transport="tcp", received_at=at + timedelta(seconds=1))
    assert isinstance(event, Event), event
    return event


def _failed(user: str = "admin", ip: str = "203.0.113.9", at: datetime = T0) -> Event:
    return _event(f"Failed password for {user} from {ip} port 4242 ssh2", at=at)


def _load(runtime: Runtime, *paths: Path) -> None:
    with runtime.uow(OPERATOR, write=True) as uow:
        rule_loading.load_rule_paths(uow, list(paths))
        uow.commit()


def _alerts(runtime: Runtime) -> list[AlertRow]:
    with runtime.uow(OPERATOR) as uow:
        return list(uow.session.scalars(select(AlertRow).order_by(AlertRow.created_at, AlertRow.rule_id)))


def test_matching_events_become_deduplicated_alerts_with_their_event_ids(runtime: Runtime) -> None:
    _load(runtime, RULES)
    service = DetectionService(runtime)
    events = [_failed(at=T0 + timedelta(seconds=n)) for n in range(3)]
    root = _event(
        "Accepted password for root from 198.51.100.4 port 50022 ssh2", at=T0 + timedelta(seconds=5)
    )
    service([*events, root, _event("Connection closed by 192.0.2.1 port 22")])
    alerts = {alert.rule_id: alert for alert in _alerts(runtime)}
    assert set(alerts) == {FAILED_PASSWORD, ROOT_LOGIN}
    failed = alerts[FAILED_PASSWORD]
    assert (failed.count, failed.kind, failed.level) == (3, "sigma", "low")
    assert failed.event_ids == [e.id for e in events]
    assert (failed.first_seen, failed.last_seen) == (T0, T0 + timedelta(seconds=2))
    assert failed.entities == {"host": "web1", "user": "admin", "source_address": "203.0.113.9"}
    assert failed.attack_techniques == ["T1110.001"]
    assert alerts[ROOT_LOGIN].level == "high"
    status = service.status()
    assert (status["events_evaluated"], status["sigma_matches"], status["alerts_opened"]) == (5, 4, 2)
    assert status["rules"]["enabled"] == 2 and status["rules"]["failed"] == 3
    stored = sorted((runtime.rule_cache / "hyperscan").glob("*.hsdb"))
    again = DetectionService(runtime)  # a restart
    again([_failed(at=T0 + timedelta(seconds=9))])
    cache = again._engine.database_cache
    if status["literal_scanner"] == "hyperscan":
        assert stored, "serve's engine keeps its compiled Hyperscan databases for the next start"
        assert cache is not None and cache.hits >= 1 and cache.misses == 0  # loaded, not compiled
    else:  # the C literal set builds in milliseconds: nothing to keep
        assert status["literal_scanner"] == "native"
        assert not stored and cache is not None and cache.hits == cache.misses == 0


def test_a_rule_disabled_elsewhere_stops_matching_after_the_next_refresh(runtime: Runtime) -> None:
    _load(runtime, RULES)
    service = DetectionService(runtime)
    assert not service.refresh(), "nothing changed yet"
    with runtime.uow(OPERATOR, write=True) as uow:
        rule_catalog.set_rule_enabled(uow, FAILED_PASSWORD, enabled=False, reason="test")
        uow.commit()
    service([_failed()])
    assert len(_alerts(runtime)) == 1, "until the refresh the running engine keeps its rules"
    service.tick()  # the first tick looks for rule changes at once
    assert service.status()["rule_reloads"] == 1
    service([_failed(user="bob")])
    assert len(_alerts(runtime)) == 1


@dataclass
class BurstDetector:
    """A small detector: an alert per source once three events from it were seen, closed on tick."""

    name: str = "burst"
    seen: dict[str, list[str]] = field(default_factory=dict)
    ticks: list[datetime] = field(default_factory=list)
    sigma_seen: int = 0

    def observe(self, event: Event, sigma_matches: Sequence[Match]) -> list[Match]:
        self.sigma_seen += len(sigma_matches)
        source = str(event.fields.get("source.ip", ""))
        self.seen.setdefault(source, []).append(event.id)
        return []

    def tick(self, now: datetime) -> list[Match]:
        self.ticks.append(now)
        found = []
        for source, ids in list(self.seen.items()):
            if len(ids) >= 3:
                entities = {"source_address": source}
                found.append(
                    Match(
                        rule_id="burst",
                        title="burst from one source",
                        level="medium",
                        tags=(),
                        fields={},
                        entities=entities,
                        dedup_key=dedup_key("burst", entities),
                        timestamp=now,
                        kind="anomaly",
                        event_ids=tuple(ids),
                        count=len(ids),
                        details={"events": len(ids)},
                    )
                )
                del self.seen[source]
        return found


def test_detectors_observe_events_with_their_sigma_matches_and_tick_on_event_time(
    runtime: Runtime, clock: FrozenClock
) -> None:
    _load(runtime, RULES)
    detector = BurstDetector()

    def build(_runtime: Runtime, ruleset: RuleSet) -> list[Detector]:
        assert {rule.id for rule in ruleset.rules} == {FAILED_PASSWORD, ROOT_LOGIN}
        return [detector]

    service = DetectionService(runtime, detectors=build, standing=lambda _runtime: [])
    old = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)  # a replay of old logs
    service([_failed(at=old + timedelta(seconds=n)) for n in range(3)])
    assert detector.sigma_seen == 3
    clock.advance(timedelta(seconds=5))
    service.tick()
    assert detector.ticks == [old + timedelta(seconds=2, minutes=0) + timedelta(seconds=5)], (
        "tick gets the newest event time moved on by the clock, not the wall clock"
    )
    burst = [alert for alert in _alerts(runtime) if alert.rule_id == "burst"]
    assert len(burst) == 1 and (burst[0].kind, burst[0].count) == ("anomaly", 3)
    assert service.status()["detector_matches"] == 1


def test_a_failing_alert_write_is_retried_once_then_counted(runtime: Runtime) -> None:
    _load(runtime, RULES)
    failures = {"left": 1}

    def flaky(_uow: object, _event: DomainEvent) -> None:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise RuntimeError("the database went away")

    runtime.subscribers.subscribe("alert.recorded", flaky)
    service = DetectionService(runtime)
    service([_failed()])
    assert len(_alerts(runtime)) == 1
    assert service.status()["alert_write_retries"] == 1
    failures["left"] = 2
    service([_failed(user="carol"), _failed(user="dave")])
    status = service.status()
    assert (status["alert_write_failures"], status["matches_lost"]) == (1, 2)
    assert len(_alerts(runtime)) == 1


CORRELATION = f"""
title: Many wrong SSH passwords from one source
id: 6f2b9c3a-1d4e-4a7b-8c9d-0e1f2a3b4c5d
status: test
correlation:
    type: event_count
    rules:
        - {FAILED_PASSWORD}
    group-by:
        - source.ip
    timespan: 5m
    condition:
        gte: 5
level: medium
"""


def test_rules_that_only_feed_a_correlation_raise_no_alerts_of_their_own(
    runtime: Runtime, tmp_path: Path
) -> None:
    (tmp_path / "brute.yml").write_text(CORRELATION)
    _load(runtime, RULES / "sshd_failed_password.yml", tmp_path / "brute.yml")
    service = DetectionService(runtime)
    assert service.status()["rules"]["correlations"] == 1
    service([_failed()])
    assert _alerts(runtime) == []
    assert service.status()["suppressed_matches"] == 1
