"""Traffic-spike anomalies: the ``SpikeDetector``.

``observe`` counts each event (and its bytes) towards its host, interfaces and source address in
the interval its timestamp falls in (``interval_seconds``, aligned to the epoch). When an interval
is over (event time has passed its end by ``grace_seconds``; or, when events are live, the tick's
clock has) every tracked key's count and bytes are compared with that key's baseline and then
teach it (see ``baseline``). Keys without events in an interval count zero, so a quiet key's
baseline stays quiet. Memory is bounded: at most ``max_keys`` keys per dimension, the least
recently active evicted first (``evictions`` counts them).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ironwatch.detect.anomaly.baseline import SLOTS, Ewma, scale, slot_of
from ironwatch.detect.anomaly.keys import DIMENSIONS, bytes_of, keys_of
from ironwatch.detect.anomaly.parameters import AnomalyParameters
from ironwatch.detect.sigma.match import Match, dedup_key
from ironwatch.ingest.event import Event

log = logging.getLogger("ironwatch.detect.anomaly")
METRICS = ("events", "bytes")
#: the state key that holds the detector's own position, next to the baselines
CURSOR_KEY = "__cursor__"
#: an event stamped further ahead of its receipt than this is counted at its receipt time
MAX_FUTURE = timedelta(hours=1)


class BaselineStore(Protocol):
    """Where baselines survive a restart (``persistence.StoredBaselines``)."""

    def load(self) -> dict[str, dict[str, Any]]: ...
    def save(self, states: dict[str, dict[str, Any]]) -> None: ...


@dataclass
class KeyState:
    dimension: str
    entities: dict[str, str]
    recent: Ewma = field(default_factory=lambda: Ewma(len(METRICS)))
    seasonal: list[Ewma] = field(default_factory=lambda: [Ewma(SLOTS) for _ in METRICS])
    last_active: float = 0.0
    cooldown_until: list[float] = field(default_factory=lambda: [0.0] * len(METRICS))

    def dump(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "entities": self.entities,
            "recent": self.recent.dump(),
            "seasonal": [s.dump() for s in self.seasonal],
            "last_active": self.last_active,
            "cooldown_until": self.cooldown_until,
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> KeyState:
        return cls(
            dimension=str(data["dimension"]),
            entities=dict(data["entities"]),
            recent=Ewma(len(METRICS), list(data["recent"])),
            seasonal=[Ewma(SLOTS, list(s)) for s in data["seasonal"]],
            last_active=float(data["last_active"]),
            cooldown_until=[float(x) for x in data["cooldown_until"]],
        )


class SpikeDetector:
    """A detector raising ``kind="anomaly"`` matches for traffic spikes per host, interface and source."""

    name = "anomaly"

    def __init__(
        self, params: AnomalyParameters | None = None, *, store: BaselineStore | None = None
    ) -> None:
        self.params = params or AnomalyParameters()
        self.store = store
        self.keys: dict[str, OrderedDict[str, KeyState]] = {d: OrderedDict() for d in DIMENSIONS}
        # interval start -> key -> [events, bytes, event ids]
        self.open: dict[float, dict[str, list[Any]]] = {}
        self.cursor: float | None = None  # start of the next interval to close
        self.watermark: float | None = None  # latest event time seen
        self.evictions = 0
        self.late_events = 0
        self.alerts = 0
        self._persisted_at: datetime | None = None
        if store is not None:
            self.restore(store.load())

    # -- counting ------------------------------------------------------------------------------
    def _time(self, event: Event) -> float:
        when = event.timestamp
        if when is None or when > event.received_at + MAX_FUTURE:
            when = event.received_at
        return when.timestamp()

    def observe(self, event: Event, sigma_matches: Sequence[Match]) -> list[Match]:
        """Count the event; close the intervals its time shows to be over (returning their spikes)."""
        del sigma_matches
        t = self._time(event)
        width = self.params.interval_seconds
        start = t - t % width
        if self.cursor is None:
            self.cursor = start
        elif start < self.cursor:
            self.late_events += 1
            return []
        if self.watermark is None or t > self.watermark:
            self.watermark = t
        bucket = self.open.setdefault(start, {})
        size = bytes_of(event.fields)
        for dimension, key, entities in keys_of(event.fields):
            self._touch(dimension, key, entities, start)
            acc = bucket.get(key)
            if acc is None:
                bucket[key] = acc = [0, 0, []]
            acc[0] += 1
            acc[1] += size
            if len(acc[2]) < self.params.event_ids_per_key:
                acc[2].append(event.id)
        return self._close(t - self.params.grace_seconds)

    def _touch(self, dimension: str, key: str, entities: dict[str, str], start: float) -> None:
        table = self.keys[dimension]
        state = table.get(key)
        if state is None:
            if len(table) >= self.params.max_keys:
                table.popitem(last=False)
                self.evictions += 1
            table[key] = state = KeyState(dimension, entities)
        if state.last_active != start:
            state.last_active = start
            table.move_to_end(key)

    # -- closing intervals -----------------------------------------------------------------------
    def tick(self, now: datetime) -> list[Match]:
        """Close intervals the clock shows to be over (only while events are live); persist now and then."""
        matches: list[Match] = []
        clock = now.timestamp()
        if self.watermark is not None and clock - self.watermark <= self.params.live_lag_seconds:
            matches = self._close(clock - self.params.grace_seconds)
        if self.store is not None and (
            self._persisted_at is None
            or (now - self._persisted_at).total_seconds() >= self.params.persist_seconds
        ):
            self._persisted_at = now
            self.persist()
        return matches

    def _close(self, upto: float) -> list[Match]:
        width = self.params.interval_seconds
        matches: list[Match] = []
        filled = 0
        while self.cursor is not None and self.cursor + width <= upto:
            counts = self.open.pop(self.cursor, None)
            if counts is None:
                filled += 1
                if filled > self.params.max_fill_intervals:
                    # a long silence: skip to the next interval with events (or to the present)
                    pending = min(self.open) if self.open else upto - upto % width
                    self.cursor = max(self.cursor + width, pending - pending % width)
                    filled = 0
                    continue
            matches.extend(self._close_interval(self.cursor, counts or {}))
            self.cursor += width
        return matches

    def _close_interval(self, start: float, counts: dict[str, list[Any]]) -> list[Match]:
        p = self.params
        end = start + p.interval_seconds
        slot = slot_of(start)
        matches: list[Match] = []
        for table in self.keys.values():
            idle = [k for k, s in table.items() if end - s.last_active > p.idle_seconds]
            for key in idle:
                del table[key]
            for key, state in table.items():
                acc = counts.get(key)
                values = (float(acc[0]), float(acc[1])) if acc else (0.0, 0.0)
                for metric, x in enumerate(values):
                    found = self._judge(key, state, metric, x, slot, start)
                    if found is not None:
                        matches.append(replace(found, event_ids=tuple(acc[2]) if acc else ()))
                    self._learn(state, metric, x, slot)
        self.alerts += len(matches)
        return matches

    def _expected(self, state: KeyState, metric: int, slot: int) -> tuple[float, float, str] | None:
        p = self.params
        counts = METRICS[metric] == "events"
        m, d, n = state.recent.get(metric)
        if n < p.min_history:
            return None
        # the same hour on the same kind of day; else the same hour on the other kind of day
        for candidate in (slot, (slot + 24) % SLOTS):
            sm, sd, sn = state.seasonal[metric].get(candidate)
            if sn >= p.seasonal_min_samples:
                day = "weekend" if candidate >= 24 else "weekday"
                return sm, scale(sm, sd, counts=counts), f"{day} {candidate % 24:02d}:00 UTC"
        return m, scale(m, d, counts=counts), "recent"

    def _judge(
        self, key: str, state: KeyState, metric: int, x: float, slot: int, start: float
    ) -> Match | None:
        p = self.params
        minimum = p.min_events if METRICS[metric] == "events" else p.min_bytes
        if x < minimum or start < state.cooldown_until[metric]:
            return None
        expected = self._expected(state, metric, slot)
        if expected is None:
            return None
        mean, spread, baseline = expected
        score = (x - mean) / spread
        if score < p.threshold or x < p.min_ratio * mean:
            return None
        state.cooldown_until[metric] = start + p.interval_seconds + p.cooldown_seconds
        return self._match(key, state, METRICS[metric], x, mean, score, baseline, start)

    def _learn(self, state: KeyState, metric: int, x: float, slot: int) -> None:
        p = self.params
        counts = METRICS[metric] == "events"
        state.recent.update(metric, x, alpha=p.alpha, mature=p.min_history, clip=p.clip, counts=counts)
        state.seasonal[metric].update(
            slot, x, alpha=p.slot_alpha, mature=p.seasonal_min_samples, clip=p.clip, counts=counts
        )

    def _match(
        self,
        key: str,
        state: KeyState,
        metric: str,
        observed: float,
        expected: float,
        score: float,
        baseline: str,
        start: float,
    ) -> Match:
        p = self.params
        rule_id = f"anomaly:{state.dimension}:{metric}"
        ratio = observed / expected if expected > 0 else float("inf")
        begin = datetime.fromtimestamp(start, UTC)
        end = begin + timedelta(seconds=p.interval_seconds)
        minutes = p.interval_seconds // 60
        unit = "events" if metric == "events" else "bytes"
        return Match(
            rule_id=rule_id,
            title=(
                f"Traffic spike: {state.dimension} {key} had {observed:,.0f} {unit} in {minutes} min "
                f"(expected about {expected:,.0f})"
            ),
            level="high" if ratio >= 20 and score >= 2 * p.threshold else "medium",
            tags=("anomaly", f"anomaly.{metric}"),
            fields={"key": key, "metric": metric},
            entities=dict(state.entities),
            dedup_key=dedup_key(rule_id, state.entities),
            timestamp=end,
            kind="anomaly",
            details={
                "key": key,
                "dimension": state.dimension,
                "metric": metric,
                "observed": observed,
                "expected": round(expected, 2),
                "ratio": round(ratio, 2) if expected > 0 else None,
                "score": round(score, 2),
                "baseline": baseline,
                "interval_start": begin.isoformat(),
                "interval_end": end.isoformat(),
                "interval_seconds": p.interval_seconds,
            },
        )

    # -- surviving restarts ----------------------------------------------------------------------
    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Every baseline as JSON-ready state, keyed ``dimension:key``; plus the detector's cursor."""
        states = {f"{d}:{k}": s.dump() for d, table in self.keys.items() for k, s in table.items()}
        states[CURSOR_KEY] = {"cursor": self.cursor, "interval_seconds": self.params.interval_seconds}
        return states

    def restore(self, states: dict[str, dict[str, Any]]) -> None:
        """Take baselines back from ``snapshot`` (those of another interval width are dropped)."""
        own = states.get(CURSOR_KEY, {})
        if own.get("interval_seconds") not in (None, self.params.interval_seconds):
            log.warning("anomaly baselines were learnt with another interval; starting afresh")
            return
        loaded: list[tuple[str, str, KeyState]] = []
        for name, data in states.items():
            if name == CURSOR_KEY:
                continue
            dimension, _, key = name.partition(":")
            if dimension in self.keys:
                loaded.append((dimension, key, KeyState.load(data)))
        # oldest first, so the most recently active are the last evicted
        for dimension, key, state in sorted(loaded, key=lambda item: item[2].last_active):
            self.keys[dimension][key] = state
        if own.get("cursor") is not None:
            self.cursor = float(own["cursor"])

    def persist(self) -> None:
        """Save the baselines now (``tick`` does it every ``persist_seconds``; call at stop)."""
        if self.store is None:
            return
        try:
            self.store.save(self.snapshot())
        except Exception:
            log.exception("could not save the anomaly baselines; they are kept in memory and saved later")

    def close(self) -> None:
        """Save the baselines before the process stops."""
        self.persist()
