"""The spike detector's parameters, from ``IRONWATCH_ANOMALY_*`` settings (defaults in ``Settings``)."""

from __future__ import annotations

from dataclasses import dataclass

from ironwatch.settings import Settings


@dataclass(frozen=True)
class AnomalyParameters:
    """How spikes are found. Every threshold must hold for an alert.

    An interval's value is an alert when it is at least ``threshold`` robust standard deviations
    above the expected value, at least ``min_ratio`` times it, and at least ``min_events`` events
    (or ``min_bytes`` bytes), after ``min_history`` intervals of history, and not within
    ``cooldown_seconds`` of the key's last alert on that metric.
    """

    interval_seconds: int = 300
    threshold: float = 6.0
    min_ratio: float = 3.0
    min_events: int = 100
    min_bytes: int = 10_000_000
    min_history: int = 24
    #: samples of a seasonal slot (hour of day, weekday or weekend) before it is trusted
    seasonal_min_samples: int = 24
    #: weight of each new interval in the recent baseline (about 1/alpha intervals of memory)
    alpha: float = 0.1
    #: how many days a seasonal slot remembers (its weight per sample follows from it)
    seasonal_days: float = 7.0
    #: a new value moves a mature baseline by at most this many deviations (outliers do not teach it)
    clip: float = 4.0
    cooldown_seconds: int = 3600
    #: baselines kept per dimension (host, interface, source); the least recently active go first
    max_keys: int = 5000
    #: a key without events for this long is forgotten
    idle_seconds: int = 14 * 86400
    #: how long after its end an interval waits for late events before it is closed
    grace_seconds: int = 60
    #: events this far behind the tick's clock are a replay: intervals close by event time only
    live_lag_seconds: int = 900
    #: most empty intervals filled in after a gap in the events (longer gaps are skipped)
    max_fill_intervals: int = 288
    persist_seconds: int = 600
    #: event ids kept per key and interval, for the alert
    event_ids_per_key: int = 5

    @property
    def slot_alpha(self) -> float:
        per_slot_per_day = 3600 / self.interval_seconds
        return 1.0 / max(per_slot_per_day * self.seasonal_days, 1.0)

    @classmethod
    def from_settings(cls, settings: Settings) -> AnomalyParameters:
        return cls(
            interval_seconds=settings.anomaly_interval_seconds,
            threshold=settings.anomaly_threshold,
            min_ratio=settings.anomaly_min_ratio,
            min_events=settings.anomaly_min_events,
            min_bytes=settings.anomaly_min_bytes,
            min_history=settings.anomaly_min_history,
            cooldown_seconds=settings.anomaly_cooldown_seconds,
            max_keys=settings.anomaly_max_keys,
        )
