"""The spike detector's baselines survive a restart through the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ironwatch.bootstrap import Runtime
from ironwatch.core.principal import system_principal
from ironwatch.detect.anomaly import AnomalyParameters
from ironwatch.detect.anomaly.build import stored_spike_detector
from ironwatch.detect.anomaly.detector import SpikeDetector
from ironwatch.detect.anomaly.persistence import StoredBaselines
from ironwatch.ingest.event import Event

DETECTION = system_principal("detection")
START = datetime(2026, 3, 2, tzinfo=UTC)


def _feed(detector: SpikeDetector, hours: int, per_interval: int, start: datetime = START) -> list[object]:
    found: list[object] = []
    for step in range(hours * 12):
        base = start + timedelta(minutes=5 * step)
        for i in range(per_interval):
            when = base + timedelta(seconds=i)
            fields: dict[str, object] = {"source.ip": "203.0.113.7", "host.name": "fw1", "network.bytes": 500}
            found.extend(
                detector.observe(Event(f"e{step}-{i}", when, when, "firewall.iptables", fields, ""), ())
            )
    return found


def test_a_restarted_detector_keeps_its_baselines_and_still_sees_a_spike(runtime: Runtime) -> None:
    store = StoredBaselines(lambda: runtime.uow(DETECTION, write=True))
    params = AnomalyParameters(min_events=50)
    detector = SpikeDetector(params, store=store)
    assert _feed(detector, hours=4, per_interval=20) == []
    detector.close()

    restarted = SpikeDetector(params, store=store)
    assert set(restarted.keys["source"]) == {"203.0.113.7"} and set(restarted.keys["host"]) == {"fw1"}
    # 48 intervals counted; the last two were still open (waiting for later events) at the stop
    assert restarted.keys["source"]["203.0.113.7"].recent.get(0)[2] == 46
    # the first interval after the restart with ten times the traffic is a spike at once
    later = START + timedelta(hours=4)
    spikes = _feed(restarted, hours=1, per_interval=200, start=later)
    assert any(getattr(m, "rule_id", "") == "anomaly:source:events" for m in spikes)


def test_the_detector_saves_on_its_tick_every_persist_interval(runtime: Runtime) -> None:
    runtime.settings.anomaly_min_events = 50
    detector = stored_spike_detector(runtime.settings, lambda: runtime.uow(DETECTION, write=True))
    _feed(detector, hours=1, per_interval=5)
    detector.tick(START + timedelta(hours=1))
    again = stored_spike_detector(runtime.settings, lambda: runtime.uow(DETECTION, write=True))
    assert again.params.min_events == 50 and "fw1" in again.keys["host"]
