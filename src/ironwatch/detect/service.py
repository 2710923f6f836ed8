"""Detection in ``serve``: a sink on the log server's pipeline that turns stored events into alerts.

For every stored batch the sink runs the Sigma engine over each event's fields, hands the event
and its Sigma matches to every registered detector (``detect.detectors``), and records all matches
with ``record_alerts`` as ``system:detection``, in one unit of work per batch. The events are
already stored when the sink runs, so a failed alert write loses no event: it is retried once, then
logged and counted (``alert_write_failures``). A background job calls :meth:`DetectionService.tick`
about once a second: detectors' ``tick`` (windows closing) and, every couple of seconds, a check
whether the rule set in force changed (then the engine and the detectors are rebuilt).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ironwatch.core.principal import system_principal
from ironwatch.detect import speedups
from ironwatch.detect.alerts import record_alerts
from ironwatch.detect.detector import Detector
from ironwatch.detect.detectors import rule_detectors, standing_detectors
from ironwatch.detect.rule_set import ActiveRules, active_rules, rule_set_state
from ironwatch.detect.sigma.engine import Engine
from ironwatch.detect.sigma.loader import RuleSet
from ironwatch.detect.sigma.match import Match
from ironwatch.ingest.event import Event
from ironwatch.jobs import Job, periodic

if TYPE_CHECKING:
    from ironwatch.bootstrap import Runtime

log = logging.getLogger("ironwatch.detect")
DETECTION = system_principal("detection")
#: how often the sink asks whether the rule set changed
REFRESH_SECONDS = 2.0


@dataclass
class DetectionCounters:
    """Totals since start, for ``/api/v1/status`` and ``/metrics``."""

    events: int = 0
    sigma_matches: int = 0
    detector_matches: int = 0
    suppressed_matches: int = 0  # matches of rules that only feed correlations
    alerts_opened: int = 0
    alerts_repeated: int = 0
    alert_write_retries: int = 0
    alert_write_failures: int = 0
    matches_lost: int = 0
    detector_errors: dict[str, int] = field(default_factory=dict)
    rule_reloads: int = 0


class DetectionService:
    """The detection sink and its once-a-second tick, for one ``serve`` process."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        budget_seconds: float = 0.05,
        detectors: Callable[[Runtime, RuleSet], list[Detector]] = rule_detectors,
        standing: Callable[[Runtime], list[Detector]] = standing_detectors,
        freeze_gc: bool = False,
    ) -> None:
        """``detectors`` builds the detectors that follow the rule set, ``standing`` the others.

        Defaults: ``detect.detectors.rule_detectors`` and ``standing_detectors``. ``freeze_gc``
        calls ``gc.freeze()`` after each engine build: the compiled rules are a few hundred
        thousand long-lived objects, and without it the collector walks them again and again
        while events are evaluated (a quarter of detection time in the benchmark). Only for a
        process that owns its collector (``serve``): frozen objects in cycles are never freed.
        """
        self._freeze_gc = freeze_gc
        self.runtime = runtime
        self._build_detectors = detectors
        self._standing = standing(runtime)
        self.counters = DetectionCounters()
        self._budget = budget_seconds
        self._lock = threading.RLock()
        self._watermark: tuple[datetime, datetime] | None = None  # newest event time, clock when seen
        self._checked = 0.0
        self._active, self._engine, self._detectors = self._build()

    # -- rule set -------------------------------------------------------------------------------
    def _build(self) -> tuple[ActiveRules, Engine, list[Detector]]:
        with self.runtime.uow(DETECTION) as uow:
            active = active_rules(uow)
        engine = Engine(
            active.ruleset,
            budget_seconds=self._budget,
            database_cache=self.runtime.rule_cache / "hyperscan",
        )
        detectors = [*self._standing, *self._build_detectors(self.runtime, active.ruleset)]
        if self._freeze_gc:
            gc.collect()
            gc.freeze()
        log.info(
            "detection runs %d rules (%d correlations, %d detectors) of rule set version %d",
            len(active.ruleset.rules),
            len(active.ruleset.correlations),
            len(detectors),
            active.version,
        )
        return active, engine, detectors

    def refresh(self) -> bool:
        """Rebuild the engine and detectors if the rule set in force changed; True if it did."""
        with self.runtime.uow(DETECTION) as uow:
            _, digest = rule_set_state(uow)
        if digest == self._active.digest:
            return False
        active, engine, detectors = self._build()  # outside the lock: the pipeline keeps running
        with self._lock:
            old = self._engine.stats
            engine.stats.budget_overruns += old.budget_overruns
            self._active, self._engine, self._detectors = active, engine, detectors
            self.counters.rule_reloads += 1
        return True

    # -- the sink -------------------------------------------------------------------------------
    def __call__(self, events: Sequence[Event]) -> None:
        """The pipeline sink: evaluate a stored batch and record its matches as alerts."""
        matches: list[Match] = []
        with self._lock:
            engine, detectors, quiet = self._engine, self._detectors, self._active.correlation_only
            for event in events:
                matches.extend(self._evaluate(event, engine, detectors, quiet))
        self._record(matches)

    def _evaluate(
        self, event: Event, engine: Engine, detectors: list[Detector], quiet: frozenset[str]
    ) -> list[Match]:
        fields = event.fields
        if "event.dataset" not in fields:
            fields = {**fields, "event.dataset": event.dataset}
        seen = event.timestamp or event.received_at
        self._advance(seen)
        sigma = [replace(m, event_ids=(event.id,), timestamp=seen) for m in engine.evaluate(fields)]
        self.counters.events += 1
        self.counters.sigma_matches += len(sigma)
        out: list[Match] = []
        for match in sigma:
            if quiet and (match.rule_id in quiet or self._name_of(match.rule_id) in quiet):
                self.counters.suppressed_matches += 1
            else:
                out.append(match)
        for detector in detectors:
            try:
                found = detector.observe(event, sigma)
            except Exception:
                self._detector_failed(detector)
                continue
            self.counters.detector_matches += len(found)
            out.extend(found)
        return out

    def _name_of(self, rule_id: str) -> str | None:
        rule = self._active.ruleset.by_id.get(rule_id)
        return rule.name if rule is not None else None

    def _detector_failed(self, detector: Detector) -> None:
        name = getattr(detector, "name", type(detector).__name__)
        self.counters.detector_errors[name] = self.counters.detector_errors.get(name, 0) + 1
        log.exception("detector %s failed; its matches for this call are lost", name)

    def _advance(self, seen: datetime) -> None:
        now = self.runtime.clock.now()
        seen = min(seen, now)  # a clock skewed into the future must not close every window
        if self._watermark is None or seen > self._watermark[0]:
            self._watermark = (seen, now)

    def watermark(self) -> datetime:
        """Event time now: the newest event time seen, moved on by the clock time since it was seen.

        Live, this is the wall clock; in a replay of old logs it follows the replayed events, so
        windows close as they would have when the events happened.
        """
        now = self.runtime.clock.now()
        if self._watermark is None:
            return now
        seen, at = self._watermark
        return seen + (now - at)

    # -- the tick -------------------------------------------------------------------------------
    def tick(self) -> None:
        """Once a second: let detectors close windows; every couple of seconds, look for rule changes."""
        now = time.monotonic()
        if now - self._checked >= REFRESH_SECONDS:
            self._checked = now
            try:
                self.refresh()
            except Exception:
                log.exception("could not reload the rule set; detection keeps the rules it has")
        matches: list[Match] = []
        with self._lock:
            at = self.watermark()
            for detector in self._detectors:
                try:
                    found = detector.tick(at)
                except Exception:
                    self._detector_failed(detector)
                    continue
                self.counters.detector_matches += len(found)
                matches.extend(found)
        self._record(matches)

    def _record(self, matches: list[Match]) -> None:
        if not matches:
            return
        for attempt in (1, 2):
            try:
                with self.runtime.uow(DETECTION, write=True) as uow:
                    recorded = record_alerts(uow, matches)
                    uow.commit()
            except Exception:
                if attempt == 1:
                    self.counters.alert_write_retries += 1
                    log.warning("recording %d matches as alerts failed; retrying once", len(matches))
                    continue
                self.counters.alert_write_failures += 1
                self.counters.matches_lost += len(matches)
                log.exception(
                    "recording %d matches as alerts failed twice; they are lost (their events are stored)",
                    len(matches),
                )
                return
            opened = len({r.alert.id for r in recorded if r.new})
            self.counters.alerts_opened += opened
            self.counters.alerts_repeated += len({r.alert.id for r in recorded}) - opened
            return

    def close(self) -> None:
        """At stop: let detectors that keep state save it (``close()``, e.g. anomaly baselines)."""
        with self._lock:
            for detector in self._detectors:
                close = getattr(detector, "close", None)
                if callable(close):
                    try:
                        close()
                    except Exception:
                        log.exception("detector %s failed to close", getattr(detector, "name", detector))

    # -- status ---------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Counters for ``/api/v1/status`` (``detection``) and ``/metrics``."""
        with self._lock:
            active, stats, detectors = self._active, self._engine.stats, self._detectors
            counters = self.counters
            return {
                "rule_set_version": active.version,
                "rules": {
                    "stored": active.counts.get("rules", 0),
                    "enabled": active.counts.get("enabled", 0),
                    "failed": active.counts.get("failed", 0),
                    "disabled": active.counts.get("disabled", 0),
                    "set_aside": active.counts.get("set_aside", 0),
                    "correlations": len(active.ruleset.correlations),
                },
                "detectors": [getattr(d, "name", type(d).__name__) for d in detectors],
                "engine": speedups.implementation,  # C accelerator or Python, and why
                "accelerated": speedups.native is not None,
                "literal_scanner": self._engine.literal_scanner,  # native, hyperscan or aho-corasick
                "events_evaluated": counters.events,
                "rules_evaluated": stats.candidates,
                "sigma_matches": counters.sigma_matches,
                "detector_matches": counters.detector_matches,
                "suppressed_matches": counters.suppressed_matches,
                "alerts_opened": counters.alerts_opened,
                "alerts_repeated": counters.alerts_repeated,
                "alert_write_retries": counters.alert_write_retries,
                "alert_write_failures": counters.alert_write_failures,
                "matches_lost": counters.matches_lost,
                "budget_overruns": stats.budget_overruns,
                "detector_errors": dict(counters.detector_errors),
                "rule_reloads": counters.rule_reloads,
            }


def detection_job(service: DetectionService) -> Job:
    """The background job calling ``service.tick()`` once a second."""
    return periodic("detection", 1.0, lambda _runtime: service.tick())
