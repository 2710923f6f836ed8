"""A small detection sink for an in-process pipeline with an injected clock.

It does what detection in ``serve`` does for the SSH rules: the real Sigma engine and the real
``Correlator`` over ironwatch's own rule pack, then the real alert recorder, so triage sees what
detection hands it, without a server process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ironwatch.bootstrap import Runtime
from ironwatch.detect.alerts import record_alerts
from ironwatch.detect.correlation import Correlator
from ironwatch.detect.rule_pack import PACK_DIR
from ironwatch.detect.sigma.engine import Engine
from ironwatch.detect.sigma.loader import load_rules
from ironwatch.detect.sigma.match import Match
from ironwatch.ingest.event import Event
from tests.support.alerts import DETECTION


class PackDetectionSink:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        rules = load_rules(paths=[PACK_DIR])
        self.engine = Engine(rules)
        self.correlator = Correlator.from_ruleset(rules)

    def __call__(self, events: Sequence[Event]) -> None:
        matches: list[Match] = []
        for event in events:
            found = [
                replace(m, event_ids=(event.id,), timestamp=event.effective_time)
                for m in self.engine.evaluate({**event.fields, "event.dataset": event.dataset})
            ]
            matches.extend(self.correlator.alertable(found))
            matches.extend(self.correlator.observe(event, found))
        if matches:
            with self.runtime.uow(DETECTION, write=True) as uow:
                record_alerts(uow, matches)
                uow.commit()
