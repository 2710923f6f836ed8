"""The issue's done-when, through the log server's pipeline: SSH brute force then a successful login.

In process, so the clock can be injected (the running-server version is tests/e2e/test_triage.py): the
real ``EventPipeline`` with real syslog lines into a sink running the real Sigma engine and Correlator
over ironwatch's rule pack (``tests/support/detection_sink.py``); triage, assessment, assignment and SLA
are the real ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.principal import system_principal
from ironwatch.ingest.frames import RawFrame, Transport
from ironwatch.ingest.pipeline import EventPipeline
from ironwatch.ingest.spool import Spool
from ironwatch.plan import service as plans
from ironwatch.store.tables import AlertGroupRow, AlertRow, IncidentRow, SuppressionRow
from ironwatch.triage import decisions, service
from ironwatch.triage import schemas as s
from ironwatch.triage.jobs import sla_tick
from tests.support.alerts import apply_plan
from tests.support.detection_sink import PackDetectionSink

SYSTEM = system_principal("test")
ATTACKER = "203.0.113.9"
SCANNER = "198.51.100.7"


def _lines(start: datetime, source: str, *, user: str = "root", failures: int = 12) -> list[bytes]:
    lines = []
    for i in range(failures + 1):
        at = start + timedelta(seconds=5 * i)
        stamp = at.strftime("%b %e %H:%M:%S")
        verdict = "Failed" if i < failures else "Accepted"
        lines.append(
            f"<38>{stamp} fileserver sshd[{1200 + i}]: {verdict} password for {user} "
            f"from {source} port {40000 + i} ssh2".encode()
        )
    return lines


class Harness:
    def __init__(self, runtime: Runtime, clock: FrozenClock, tmp: Path) -> None:
        self.spool = Spool(tmp / "spool.db")
        self.clock = clock
        self.pipeline = EventPipeline(
            spool=self.spool, db=runtime.db, tz=UTC, clock=clock, sinks=[PackDetectionSink(runtime)]
        )

    def send(self, lines: list[bytes]) -> None:
        now = self.clock.now()
        self.spool.append_batch(
            [RawFrame("syslog-udp", Transport.UDP, "192.0.2.10:514", now, line) for line in lines]
        )
        self.pipeline.drain()


@pytest.fixture
def harness(runtime: Runtime, clock: FrozenClock, tmp_path: Path) -> Iterator[Harness]:
    apply_plan(runtime)
    h = Harness(runtime, clock, tmp_path)
    yield h
    h.spool.close()


def _count(runtime: Runtime, table: type) -> int:
    with runtime.uow(SYSTEM) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def test_brute_force_then_login_is_one_incident_replays_change_nothing_and_p1_escalates(
    runtime: Runtime, clock: FrozenClock, harness: Harness
) -> None:
    escalated: list[DomainEvent] = []
    runtime.subscribers.subscribe("incident.escalated", lambda _uow, e: escalated.append(e))
    attack = _lines(clock.now() - timedelta(minutes=2), ATTACKER)
    harness.send(attack)

    with runtime.uow(SYSTEM) as uow:
        [incident] = uow.session.scalars(select(IncidentRow)).all()
        view = service.incident_assessment(uow, incident.ref)
        category = plans.current_plan(uow).classification.category(str(view.category))
    # intrusion attempt (brute force) -> intrusion: the login after it makes it an account compromise
    assert category is not None and category.parent == "intrusions"
    assert (view.category, view.priority, view.assignee) == ("unprivileged-account-compromise", "P1", "sam")
    assert view.playbook == "compromised-account"
    assert {"category", "severity", "impact", "urgency", "priority", "assignee"} <= set(view.reasons)
    assert [c.target for c in view.sla] == ["acknowledge", "contain", "resolve"]
    titles = {a.title for a in view.alerts}
    assert titles == {"SSH brute force from one source", "SSH brute force followed by a successful login"}
    state = (_count(runtime, IncidentRow), _count(runtime, AlertGroupRow), _count(runtime, AlertRow))

    harness.send(attack)  # the same lines again
    assert (_count(runtime, IncidentRow), _count(runtime, AlertGroupRow), _count(runtime, AlertRow)) == state
    with runtime.uow(SYSTEM) as uow:
        again = service.incident_assessment(uow, incident.ref)
    assert (again.priority, again.assignee, again.category) == (view.priority, view.assignee, view.category)

    clock.advance(timedelta(minutes=16))  # nobody acknowledged the P1
    [breach] = sla_tick(runtime)
    assert (breach.ref, breach.target) == (incident.ref, "acknowledge")
    assert [(e.data["ref"], e.data["level"]) for e in escalated] == [(incident.ref, 1)]


def test_a_false_positive_with_suppression_stops_the_next_ones_while_counting_them(
    runtime: Runtime, clock: FrozenClock, harness: Harness
) -> None:
    harness.send(_lines(clock.now(), SCANNER, user="scanner"))
    with runtime.uow(SYSTEM) as uow:
        [incident] = uow.session.scalars(select(IncidentRow)).all()
    request = s.BulkRequest(
        decision=s.Decision.DISMISS,
        reason="weekly authorised vulnerability scan",
        filter=s.AlertFilter(status=["incident"], entity=f"source_address={SCANNER}"),
        suppress=s.SuppressSpec(scope=["source_address"], expires_in="30d"),
    )
    with runtime.uow(SYSTEM, write=True) as uow:
        result = decisions.bulk_decide(uow, request)
        uow.commit()
    assert result.incidents == [incident.ref]

    clock.advance(timedelta(days=7))
    harness.send(_lines(clock.now(), SCANNER, user="scanner"))
    with runtime.uow(SYSTEM) as uow:
        incidents = uow.session.scalars(select(IncidentRow)).all()
        matches = sum(r.matches for r in uow.session.scalars(select(SuppressionRow)).all())
        suppressed = uow.session.scalar(
            select(func.count()).select_from(AlertRow).where(AlertRow.status == "suppressed")
        )
    assert [i.status for i in incidents] == ["false_positive"], "the scan opens nothing new"
    # both correlations fired again: kept as suppressed alerts, their matches counted on the suppressions
    assert suppressed == 2 and matches >= 2, "suppressed matches are kept and counted"
