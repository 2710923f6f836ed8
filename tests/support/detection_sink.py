"""A detection sink for the log server's pipeline, standing in for detection in ``serve``.

It runs the real Sigma engine on each stored event and a minimal correlation of its own (until the
correlation engine is wired into ``serve``): >= ``threshold`` SSH failures from one source within
``window`` is a brute force (medium); a success from such a source is a login after brute force (high).
Everything goes to the real alert recorder, so triage sees what detection will hand it.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from ironwatch.bootstrap import Runtime
from ironwatch.detect.alerts import record_alerts
from ironwatch.detect.sigma.engine import Engine
from ironwatch.detect.sigma.loader import load_rules
from ironwatch.detect.sigma.match import Match, dedup_key
from ironwatch.ingest.event import Event
from tests.support.alerts import DETECTION

RULES = Path(__file__).resolve().parents[1] / "fixtures" / "rules" / "ssh"
FAILURE = "6f0d2a52-3c1e-4c55-9d0e-1b7f1c2a0001"
SUCCESS = "6f0d2a52-3c1e-4c55-9d0e-1b7f1c2a0002"


class SshDetectionSink:
    def __init__(
        self, runtime: Runtime, *, threshold: int = 10, window: timedelta = timedelta(minutes=5)
    ) -> None:
        self.runtime = runtime
        self.engine = Engine(load_rules(paths=[RULES]))
        self.threshold = threshold
        self.window = window
        self.failures: dict[str, deque[tuple[datetime, str]]] = defaultdict(deque)
        self.forced: dict[str, datetime] = {}

    def __call__(self, events: Sequence[Event]) -> None:
        matches: list[Match] = []
        for event in events:
            at = event.timestamp or event.received_at
            for match in self.engine.evaluate(event.fields):
                match = replace(match, event_ids=(event.id,), timestamp=at)
                matches.append(match)
                matches.extend(self._correlate(match, at, event.id))
        if matches:
            with self.runtime.uow(DETECTION, write=True) as uow:
                record_alerts(uow, matches)
                uow.commit()

    def _correlate(self, match: Match, at: datetime, event_id: str) -> list[Match]:
        source = match.entities.get("source_address")
        if source is None:
            return []
        seen = self.failures[source]
        while seen and seen[0][0] < at - self.window:
            seen.popleft()
        if match.rule_id == FAILURE:
            seen.append((at, event_id))
            if len(seen) >= self.threshold:
                self.forced[source] = at
                entities = {"source_address": source, "host": match.entities.get("host", "")}
                return [
                    Match(
                        rule_id="iw-ssh-brute-force",
                        title="SSH brute force",
                        level="medium",
                        tags=("attack.credential_access", "attack.t1110.001"),
                        fields={},
                        entities=entities,
                        dedup_key=dedup_key("iw-ssh-brute-force", entities),
                        timestamp=at,
                        kind="correlation",
                        event_ids=tuple(i for _, i in seen),
                        count=1,
                        details={"rules": [FAILURE], "threshold": self.threshold},
                    )
                ]
        if match.rule_id == SUCCESS and source in self.forced and at - self.forced[source] <= self.window:
            entities = dict(match.entities)
            return [
                Match(
                    rule_id="iw-ssh-success-after-brute-force",
                    title="SSH login succeeded after brute force",
                    level="high",
                    tags=("attack.initial_access", "attack.t1078", "attack.t1110"),
                    fields={},
                    entities=entities,
                    dedup_key=dedup_key("iw-ssh-success-after-brute-force", entities),
                    timestamp=at,
                    kind="correlation",
                    event_ids=(event_id,),
                    details={"rules": ["iw-ssh-brute-force", SUCCESS]},
                )
            ]
        return []
