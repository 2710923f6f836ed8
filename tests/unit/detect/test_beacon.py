"""The beaconing detector: regular connections flagged, irregular traffic left alone, state bounded."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from ironwatch.detect.beacon import RULE_ID, BeaconDetector, BeaconSettings, regularity
from ironwatch.detect.sigma import Match
from ironwatch.ingest.event import Event

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def connection(
    seconds: float, *, src: str = "10.0.0.5", dst: str = "198.51.100.20", port: int = 443
) -> Event:
    """A firewall-logged connection ``seconds`` after T0."""
    return Event(
        id=f"c-{seconds}-{src}-{dst}-{port}",
        timestamp=T0 + timedelta(seconds=seconds),
        received_at=T0 + timedelta(seconds=seconds),
        dataset="firewall.iptables",
        fields={
            "event.dataset": "firewall.iptables",
            "source.ip": src,
            "destination.ip": dst,
            "destination.port": port,
        },
        original="",
    )


def feed(detector: BeaconDetector, events: list[Event]) -> list[Match]:
    return [match for event in events for match in detector.observe(event, [])]


def test_regularity_is_median_and_mad_of_the_intervals() -> None:
    summary = regularity([0, 60, 120, 185, 240])
    assert summary.median == 60 and summary.mad == 2.5


def test_a_regular_beacon_is_flagged_with_its_interval() -> None:
    rng = random.Random(7)
    times = [i * 60 + rng.uniform(-3, 3) for i in range(12)]
    (match,) = feed(BeaconDetector(), [connection(t) for t in times])
    assert match.rule_id == RULE_ID and match.kind == "correlation"
    assert match.entities == {
        "source_address": "10.0.0.5",
        "destination_address": "198.51.100.20",
        "destination_port": "443",
    }
    assert match.count == 12 and len(match.event_ids) == 12
    assert 55 < float(str(match.details["median_interval_seconds"])) < 65
    assert "attack.t1071" in match.tags


def test_fewer_connections_than_the_minimum_are_not_enough() -> None:
    assert feed(BeaconDetector(), [connection(i * 60) for i in range(11)]) == []


def test_irregular_browsing_stays_quiet() -> None:
    """Poisson arrivals (a person, an app polling on demand) to 50 sites, 200 connections each."""
    rng = random.Random(11)
    detector, events = BeaconDetector(), []
    for site in range(50):
        now = 0.0
        for _ in range(200):
            now += rng.expovariate(1 / 120) + 3
            events.append(connection(now, dst=f"203.0.113.{site}"))
    assert feed(detector, events) == []


def test_bursts_faster_than_the_minimum_interval_are_not_beacons() -> None:
    assert feed(BeaconDetector(), [connection(i * 3) for i in range(20)]) == []


def test_retransmissions_within_the_merge_time_count_once() -> None:
    events = [connection(i * 60 + extra) for i in range(12) for extra in (0, 0.5, 1.5)]
    detector = BeaconDetector()
    assert len(feed(detector, events)) == 1
    assert detector.stats.merged == 24


def test_out_of_order_connections_are_put_in_their_place() -> None:
    times = [i * 60 for i in range(12) if i != 5] + [300]
    assert len(feed(BeaconDetector(), [connection(t) for t in times])) == 1


def test_ignored_ports_and_other_datasets_are_not_counted() -> None:
    detector = BeaconDetector()
    assert feed(detector, [connection(i * 64, port=123) for i in range(20)]) == []
    other = connection(0)
    other.dataset = "linux.auth"
    assert detector.observe(other, []) == [] and detector.stats.connections == 0


def test_the_same_events_replayed_give_the_same_dedup_key() -> None:
    events = [connection(i * 30) for i in range(12)]
    assert feed(BeaconDetector(), events)[0].dedup_key == feed(BeaconDetector(), events)[0].dedup_key


def test_pairs_are_capped_and_idle_pairs_forgotten() -> None:
    detector = BeaconDetector(BeaconSettings(max_pairs=10, max_interval_seconds=600))
    feed(detector, [connection(i, dst=f"192.0.2.{i}") for i in range(25)])
    assert len(detector) == 10 and detector.stats.evicted_pairs == 15
    detector.tick(T0 + timedelta(minutes=5))
    assert len(detector) == 10
    detector.tick(T0 + timedelta(minutes=30))
    assert len(detector) == 0 and detector.stats.expired_pairs == 10


def test_times_per_pair_are_capped() -> None:
    detector = BeaconDetector(BeaconSettings(max_times_per_pair=16))
    rng = random.Random(3)
    feed(detector, [connection(i * 100 + rng.uniform(0, 90)) for i in range(100)])
    assert max(len(pair.times) for pair in detector._pairs.values()) <= 16
