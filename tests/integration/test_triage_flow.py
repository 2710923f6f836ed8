"""Detections become one classified, prioritised, assigned incident with SLA clocks; replays add nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.principal import system_principal
from ironwatch.store.tables import AlertGroupRow, AlertRow, AuditEntryRow, IncidentRow, SlaClockRow
from ironwatch.triage import queue, service
from ironwatch.triage import schemas as s
from tests.support.alerts import (
    ATTACKER,
    apply_plan,
    brute_force,
    login_after_brute_force,
    record,
    sigma_match,
)

READER = system_principal("test")


def _count(runtime: Runtime, table: type) -> int:
    with runtime.uow(READER) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def _incidents(runtime: Runtime) -> list[IncidentRow]:
    with runtime.uow(READER) as uow:
        return list(uow.session.scalars(select(IncidentRow)).all())


def test_brute_force_then_login_is_one_classified_prioritised_assigned_incident(
    runtime: Runtime, clock: FrozenClock
) -> None:
    apply_plan(runtime)
    events: list[DomainEvent] = []
    runtime.subscribers.subscribe("*", lambda _uow, event: events.append(event))
    now = clock.now()
    attempt = record(runtime, [brute_force(now - timedelta(minutes=3))])[0].alert
    assert (attempt.status, attempt.incident_id) == ("new", None), "a medium alert waits for a person"
    assert attempt.priority == "P2"
    clock.advance(timedelta(minutes=1))
    record(runtime, [login_after_brute_force(now - timedelta(minutes=1))])

    [incident] = _incidents(runtime)
    assert (incident.status, incident.category, incident.severity) == (
        "triage",
        "unprivileged-account-compromise",
        "high",
    )
    assert (incident.priority, incident.assignee) == ("P1", "sam")  # sam is the analyst on call this week
    assert incident.affected_assets == ["fileserver"]
    with runtime.uow(READER) as uow:
        view = service.incident_assessment(uow, incident.ref)
    assert {a.rule_id for a in view.alerts} == {"iw-ssh-brute-force", "iw-ssh-success-after-brute-force"}
    assert all(a.status == "incident" for a in view.alerts)
    assert "attack.t1078" in view.reasons["category"]
    assert "impact high x urgency high" in view.reasons["priority"]
    assert "personal" in view.reasons["impact"] and "fileserver" in view.reasons["impact"]
    assert "on call for analyst" in view.reasons["assignee"]
    assert view.playbook == "compromised-account"
    assert view.special_handling == ["personal_data"]
    due = {c.target: c.due_at - incident.created_at for c in view.sla}
    assert due == {
        "acknowledge": timedelta(minutes=15),
        "contain": timedelta(hours=4),
        "resolve": timedelta(days=1),
    }
    kinds = [e.kind for e in events]
    assert kinds.count("incident.created") == 1 and "incident.special_handling" in kinds
    assignee_changes = [e for e in events if e.kind == "incident.updated" and "assignee" in e.data["changes"]]
    assert [e.data["changes"]["assignee"] for e in assignee_changes] == [[None, "sam"]]
    with runtime.uow(READER) as uow:
        actions = set(uow.session.scalars(select(AuditEntryRow.action)).all())
    assert {"incident.create", "alert_group.create", "sla_clock.create", "incident_triage.create"} <= actions

    # the same detections again (a replay of the same log lines): counts grow, nothing new is opened
    groups, alerts, clocks = (
        _count(runtime, AlertGroupRow),
        _count(runtime, AlertRow),
        _count(runtime, SlaClockRow),
    )
    record(runtime, [brute_force(now - timedelta(minutes=3))])
    record(runtime, [login_after_brute_force(now - timedelta(minutes=1))])
    [again] = _incidents(runtime)
    assert (again.id, again.priority, again.assignee, again.category) == (
        incident.id,
        "P1",
        "sam",
        "unprivileged-account-compromise",
    )
    assert (_count(runtime, AlertGroupRow), _count(runtime, AlertRow), _count(runtime, SlaClockRow)) == (
        groups,
        alerts,
        clocks,
    )
    assert [e.kind for e in events].count("incident.created") == 1


def test_alerts_below_the_auto_open_level_wait_in_the_queue_by_priority(
    runtime: Runtime, clock: FrozenClock
) -> None:
    apply_plan(runtime)
    now = clock.now()
    quiet = sigma_match(
        "iw-port-scan", "low", now - timedelta(hours=2), {"source.ip": "198.51.100.20"}, ("attack.t1046",)
    )
    record(runtime, [quiet])
    record(runtime, [brute_force(now - timedelta(minutes=1), source="198.51.100.30")])
    assert _incidents(runtime) == []
    with runtime.uow(READER) as uow:
        total, rows = queue.list_alerts(uow, s.AlertFilter())
        by_entity = queue.list_alerts(uow, s.AlertFilter(entity="source_address=198.51.100.20"))[1]
        by_value = queue.list_alerts(uow, s.AlertFilter(entity="198.51.100.30"))[1]
    assert total == 2
    assert [r.rule_id for r in rows] == ["iw-ssh-brute-force", "iw-port-scan"], (
        "higher priority first, older later"
    )
    assert (rows[0].priority, rows[1].priority) == ("P2", "P4")
    assert [r.rule_id for r in by_entity] == ["iw-port-scan"]
    assert [r.rule_id for r in by_value] == ["iw-ssh-brute-force"]


def test_a_spreading_attack_joins_the_incident_and_raises_its_urgency(
    runtime: Runtime, clock: FrozenClock
) -> None:
    apply_plan(runtime)
    now = clock.now()
    record(runtime, [login_after_brute_force(now, host="web1", user="deploy")])
    [incident] = _incidents(runtime)
    assert incident.priority == "P2"  # an unknown host: impact from severity only
    clock.advance(timedelta(minutes=2))
    record(runtime, [login_after_brute_force(now + timedelta(minutes=2), host="web2", user="deploy")])
    [same] = _incidents(runtime)
    with runtime.uow(READER) as uow:
        view = service.incident_assessment(uow, same.ref)
    assert same.id == incident.id and len(view.alerts) == 2
    assert view.urgency == "high" and "spreading (2 host(s)" in view.reasons["urgency"]


def test_without_a_plan_alerts_wait_unassessed(runtime: Runtime, clock: FrozenClock) -> None:
    alert = record(runtime, [login_after_brute_force(clock.now())])[0].alert
    assert (alert.status, alert.priority, alert.group_id) == ("new", None, None)
    assert _incidents(runtime) == []
    assert ATTACKER in alert.entities.values()
