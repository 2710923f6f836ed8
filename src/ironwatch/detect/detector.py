"""The seam every extra detector plugs into: correlation, anomalies, threat intelligence.

The detection sink (``detect.service``) runs the Sigma engine on each stored event, then hands the
event and its Sigma matches to every detector's ``observe``, and calls every detector's ``tick``
about once a second; whatever they return is recorded as alerts (``detect.alerts.record_alerts``).
Detectors are built per rule set by ``detect.detectors.build_detectors``.

Rules for implementers: ``observe`` is called per event and must be fast and do no I/O; times come
from event timestamps (``Event.timestamp``, else ``received_at``), never the wall clock, so a replay
gives the same matches; ``tick(now)`` gets the sink's event-time watermark (the newest event time
seen, moved on by the wall time since then); dedup keys are deterministic; state is bounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from ironwatch.detect.sigma.match import Match
from ironwatch.ingest.event import Event


@runtime_checkable
class Detector(Protocol):
    """Anything that turns events (and their Sigma matches) into more matches."""

    name: str

    def observe(self, event: Event, sigma_matches: Sequence[Match]) -> list[Match]:
        """Matches this event completes (per event, fast, no I/O)."""
        ...

    def tick(self, now: datetime) -> list[Match]:
        """Matches due at ``now`` (windows closing, intervals ending); called about once a second."""
        ...
