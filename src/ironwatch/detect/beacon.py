"""Beaconing: one source connecting to one destination at a regular interval (a detector).

Sigma cannot say "regular": this detector keeps, per (source address, destination address,
destination port), the times of the connections that firewall, flow and connection logs report,
and flags the pair when at least ``min_connections`` connections arrive with inter-arrival times
whose spread is small against their median (median absolute deviation / median <=
``max_jitter``). The median and MAD are robust: one missed or extra connection does not hide a
beacon, and a person's browsing, bursty and irregular, stays far above the threshold.

Connection times closer together than ``merge_seconds`` count once (a firewall logging every
retransmitted SYN, a flow and its alert). Times are event times, so a replay gives the same
alerts; after a firing the pair starts counting afresh from its last connection, and the alert
recorder folds repeats of the same pair (one dedup key per pair) into one alert.
"""

from __future__ import annotations

import bisect
import itertools
import statistics
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ironwatch.detect.sigma.match import Match, dedup_key
from ironwatch.ingest.event import Event

RULE_ID = "7d0c1f0e-4b8a-4f57-9a51-0c3b8e6d2a11"
TITLE = "Beaconing: regular connections from one source to one destination"
TAGS = ("attack.command_and_control", "attack.t1071", "attack.t1573")
MAX_EVENT_IDS = 100


@dataclass(frozen=True)
class BeaconSettings:
    """What counts as a beacon, and how much state the detector may hold."""

    min_connections: int = 12
    max_jitter: float = 0.15  # MAD of the intervals / their median
    min_interval_seconds: float = 10.0  # faster than this is a burst, not a beacon
    max_interval_seconds: float = 6 * 3600.0
    merge_seconds: float = 2.0
    level: str = "medium"
    per_port: bool = True  # key by destination port too
    datasets: frozenset[str] = frozenset({"firewall.iptables", "zeek.conn", "suricata.eve", "cef"})
    #: EVE types that are connections (alerts, dns, http... repeat what the flow says)
    eve_types: frozenset[str] = frozenset({"flow", "netflow"})
    ignore_destination_ports: frozenset[int] = frozenset({123})  # NTP is regular by design
    max_pairs: int = 50_000
    max_times_per_pair: int = 64


@dataclass
class BeaconStats:
    connections: int = 0
    merged: int = 0
    firings: int = 0
    evicted_pairs: int = 0  # dropped because max_pairs was reached
    expired_pairs: int = 0  # idle pairs forgotten on tick


@dataclass
class _Pair:
    times: list[tuple[float, str]] = field(default_factory=list)  # (event time, event id), sorted
    last_received: float = 0.0


@dataclass(frozen=True)
class Regularity:
    """The intervals of a series of connection times, summarised robustly."""

    median: float
    mad: float

    @property
    def jitter(self) -> float:
        return self.mad / self.median if self.median > 0 else float("inf")


def regularity(times: Sequence[float]) -> Regularity:
    """Median interval and median absolute deviation of the intervals between sorted ``times``."""
    intervals = [later - earlier for earlier, later in itertools.pairwise(times)]
    median = statistics.median(intervals)
    return Regularity(median, statistics.median(abs(interval - median) for interval in intervals))


class BeaconDetector:
    """Flag regular connections from one source to one destination (a ``Detector``).

    Example::

        detector = BeaconDetector(BeaconSettings(min_connections=10, max_jitter=0.1))
        for event in events:
            alerts = detector.observe(event, [])
    """

    name = "beacon"

    def __init__(self, settings: BeaconSettings | None = None) -> None:
        self.settings = settings or BeaconSettings()
        self.stats = BeaconStats()
        self._pairs: OrderedDict[tuple[str, str, int | None], _Pair] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pairs)

    def observe(self, event: Event, sigma_matches: Sequence[Match]) -> list[Match]:
        """Count the event if it is a connection; a match when its pair has become regular."""
        key = self._key(event)
        if key is None:
            return []
        self.stats.connections += 1
        pair = self._pair(key)
        pair.last_received = max(pair.last_received, event.received_at.timestamp())
        time = event.effective_time.timestamp()
        times = pair.times
        position = bisect.bisect_left(times, (time, ""))
        merge = self.settings.merge_seconds
        if (position > 0 and time - times[position - 1][0] < merge) or (
            position < len(times) and times[position][0] - time < merge
        ):
            self.stats.merged += 1
            return []
        times.insert(position, (time, event.id))
        if len(times) > self.settings.max_times_per_pair:
            del times[0]
        if len(times) < self.settings.min_connections:
            return []
        summary = regularity([t for t, _ in times])
        settings = self.settings
        if not (settings.min_interval_seconds <= summary.median <= settings.max_interval_seconds):
            return []
        if summary.jitter > settings.max_jitter:
            return []
        match = self._match(key, times, summary)
        pair.times = times[-1:]  # the last connection starts the next series
        self.stats.firings += 1
        return [match]

    def tick(self, now: datetime) -> list[Match]:
        """Forget pairs idle for twice the longest interval (processing time); beacons end with events."""
        horizon = now.timestamp() - 2 * self.settings.max_interval_seconds
        while self._pairs:
            pair = next(iter(self._pairs.values()))
            if pair.last_received > horizon:
                break
            self._pairs.popitem(last=False)
            self.stats.expired_pairs += 1
        return []

    def _key(self, event: Event) -> tuple[str, str, int | None] | None:
        if event.dataset not in self.settings.datasets:
            return None
        fields = event.fields
        if event.dataset == "suricata.eve" and fields.get("event_type") not in self.settings.eve_types:
            return None
        source, destination = fields.get("source.ip"), fields.get("destination.ip")
        if not isinstance(source, str) or not isinstance(destination, str) or not source or not destination:
            return None
        port = fields.get("destination.port")
        port = port if isinstance(port, int) and not isinstance(port, bool) else None
        if port is not None and port in self.settings.ignore_destination_ports:
            return None
        return (source, destination, port if self.settings.per_port else None)

    def _pair(self, key: tuple[str, str, int | None]) -> _Pair:
        pair = self._pairs.get(key)
        if pair is None:
            if len(self._pairs) >= self.settings.max_pairs:
                self._pairs.popitem(last=False)
                self.stats.evicted_pairs += 1
            pair = self._pairs[key] = _Pair()
        else:
            self._pairs.move_to_end(key)
        return pair

    def _match(
        self, key: tuple[str, str, int | None], times: list[tuple[float, str]], summary: Regularity
    ) -> Match:
        source, destination, port = key
        entities = {"source_address": source, "destination_address": destination}
        if port is not None:
            entities["destination_port"] = str(port)
        first, last = times[0][0], times[-1][0]
        return Match(
            rule_id=RULE_ID,
            title=TITLE,
            level=self.settings.level,
            tags=TAGS,
            fields={"source.ip": source, "destination.ip": destination, "destination.port": port},
            entities=entities,
            dedup_key=dedup_key(RULE_ID, entities),
            timestamp=datetime.fromtimestamp(last, UTC),
            kind="correlation",
            event_ids=tuple(event_id for _, event_id in times)[:MAX_EVENT_IDS],
            count=len(times),
            details={
                "connections": len(times),
                "median_interval_seconds": round(summary.median, 3),
                "mad_seconds": round(summary.mad, 3),
                "jitter": round(summary.jitter, 4),
                "max_jitter": self.settings.max_jitter,
                "first_seen": datetime.fromtimestamp(first, UTC).isoformat(),
                "last_seen": datetime.fromtimestamp(last, UTC).isoformat(),
            },
        )
