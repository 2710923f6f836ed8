"""Traffic-spike anomalies on synthetic traffic: quiet baselines stay quiet, spikes are found,
a daily peak is learnt."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from ironwatch.detect.anomaly import AnomalyParameters, SpikeDetector
from ironwatch.detect.sigma.match import Match
from ironwatch.ingest.event import Event

from .traffic import START, Rate, daily, traffic

#: the bounds the false-positive test holds the detector to: alerts per judged key-interval
FALSE_POSITIVE_BOUND = 0.0005  # defaults: fewer than one false alert per 2,000 key-intervals
SENSITIVE_BOUND = 0.002  # threshold 4, ratio 2


def run(detector: SpikeDetector, stream: Iterable[tuple[datetime, list[Event]]]) -> list[Match]:
    found: list[Match] = []
    for _, events in stream:
        for event in events:
            found.extend(detector.observe(event, ()))
    return found


@pytest.fixture(scope="module")
def quiet_weeks() -> list[tuple[datetime, list[Event]]]:
    """16 days of seasonal Poisson traffic from four sources of 4 to 32 events per 5 minutes."""
    rates: dict[str, Rate] = {f"198.51.100.{i}": daily(base) for i, base in enumerate((4, 8, 16, 32))}
    return list(traffic(rates, days=16, seed=7))


@pytest.mark.parametrize(
    ("threshold", "min_ratio", "bound"),
    [(6.0, 3.0, FALSE_POSITIVE_BOUND), (4.0, 2.0, SENSITIVE_BOUND)],
    ids=["defaults", "sensitive"],
)
def test_quiet_seasonal_poisson_traffic_stays_under_the_false_positive_bound(
    quiet_weeks: list[tuple[datetime, list[Event]]], threshold: float, min_ratio: float, bound: float
) -> None:
    # low volume floors, so that even the quietest source is judged on every interval
    params = AnomalyParameters(threshold=threshold, min_ratio=min_ratio, min_events=8, min_bytes=8_000)
    detector = SpikeDetector(params)
    alerts = run(detector, quiet_weeks)
    judged = len(detector.keys["source"]) * 2 * len(quiet_weeks)  # keys x metrics x intervals
    assert len(detector.keys["source"]) == 4, "the traffic was counted"
    assert len(alerts) / judged <= bound, [a.title for a in alerts]


def test_a_tenfold_spike_after_two_quiet_weeks_is_an_alert_with_observed_and_expected() -> None:
    spike_at = START + timedelta(days=15, hours=15)
    base = daily(15)

    def attacker(t: datetime) -> float:
        return base(t) * (10 if t == spike_at else 1)

    detector = SpikeDetector(AnomalyParameters(min_events=50))
    rates: dict[str, Rate] = {"203.0.113.7": attacker, "198.51.100.1": daily(15)}
    alerts = run(detector, traffic(rates, days=15.7, seed=11))
    spikes = [a for a in alerts if a.rule_id == "anomaly:source:events"]
    assert len(spikes) == 1, [a.title for a in alerts]
    spike = spikes[0]
    assert spike.kind == "anomaly" and spike.entities == {"source_address": "203.0.113.7"}
    assert spike.details["interval_start"] == spike_at.isoformat()
    observed, expected = spike.details["observed"], spike.details["expected"]
    assert isinstance(observed, float) and isinstance(expected, float)
    assert observed > 5 * expected and spike.details["baseline"] == "weekday 15:00 UTC"
    assert spike.event_ids and all(e.startswith("ev") for e in spike.event_ids)


def test_a_peak_every_day_at_nine_is_learnt_and_no_longer_flagged() -> None:
    quiet = daily(20, amplitude=0.2)

    def office(t: datetime) -> float:
        return quiet(t) * (8 if t.hour == 9 else 1)

    detector = SpikeDetector(AnomalyParameters())
    alerts = run(detector, traffic({"10.0.0.5": office}, days=14, seed=3))
    nine = [a for a in alerts if a.rule_id == "anomaly:source:events"]
    days_flagged = sorted({datetime.fromisoformat(str(a.details["interval_start"])).date() for a in nine})
    # the first two mornings are news; from the third on the weekday 09:00 slot expects the peak,
    # and the first weekend borrows the weekday slot of the same hour
    assert days_flagged == [START.date(), (START + timedelta(days=1)).date()]


def test_baselines_survive_a_restart_through_a_snapshot() -> None:
    detector = SpikeDetector(AnomalyParameters(min_events=50))
    run(detector, traffic({"203.0.113.7": daily(30)}, days=3, seed=5))
    restarted = SpikeDetector(AnomalyParameters(min_events=50))
    restarted.restore(detector.snapshot())
    before = detector.keys["source"]["203.0.113.7"]
    after = restarted.keys["source"]["203.0.113.7"]
    assert after.recent.get(0)[2] == before.recent.get(0)[2] > 0
    assert after.seasonal[0].get(15)[0] == round(before.seasonal[0].get(15)[0], 3)
    assert restarted.cursor == detector.cursor


def test_keys_are_capped_and_evictions_counted() -> None:
    detector = SpikeDetector(AnomalyParameters(max_keys=10))
    when = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for i in range(25):
        fields: dict[str, object] = {"source.ip": f"192.0.2.{i}"}
        detector.observe(Event(f"e{i}", when, when, "firewall.iptables", fields, ""), ())
    assert len(detector.keys["source"]) == 10 and detector.evictions == 15
    assert "192.0.2.24" in detector.keys["source"] and "192.0.2.0" not in detector.keys["source"]


def test_intervals_close_on_the_tick_while_live_but_not_during_a_replay() -> None:
    detector = SpikeDetector(AnomalyParameters())
    when = datetime(2026, 3, 2, 9, 1, tzinfo=UTC)
    detector.observe(Event("e1", when, when, "firewall.iptables", {"source.ip": "192.0.2.1"}, ""), ())
    detector.tick(when + timedelta(days=1))  # a replay of old logs: the clock is far ahead
    assert detector.open, "a replayed interval waits for event time"
    detector.tick(when + timedelta(minutes=6))  # live: the clock passes the interval's end + grace
    assert not detector.open
