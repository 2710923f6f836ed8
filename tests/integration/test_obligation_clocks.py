"""Reminders before each deadline and escalation after it, once each, at the right times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.principal import system_principal
from ironwatch.incidents.service import find_incident
from ironwatch.jobs import background_jobs
from ironwatch.obligations import clocks
from ironwatch.obligations import service as obligations
from tests.support.breach import ADMIN, apply_plan, by_duty, open_incident, set_facts

AWARE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _record(runtime: Runtime) -> list[DomainEvent]:
    seen: list[DomainEvent] = []
    for kind in ("obligation.due_soon", "obligation.overdue", "obligation.opened"):
        runtime.subscribers.subscribe(kind, lambda _uow, event: seen.append(event))
    return seen


def _at(runtime: Runtime, when: datetime) -> list[tuple[str, str | None]]:
    clock = runtime.clock
    assert isinstance(clock, FrozenClock)
    clock.set(when)
    with runtime.uow(system_principal("test"), write=True) as uow:
        events = clocks.remind(uow)
        uow.commit()
    return [(e.kind, e.data.get("due_in")) for e in events if e.data["duty_id"] == "gdpr-art33"]


def test_reminders_at_each_offset_then_overdue_once(runtime: Runtime) -> None:
    apply_plan(runtime)
    seen = _record(runtime)
    ref = open_incident(runtime)
    set_facts(runtime, ref, personal_data="yes", subject_jurisdictions="EU", awareness_at=AWARE.isoformat())
    opened = [e for e in seen if e.kind == "obligation.opened" and e.data["duty_id"] == "gdpr-art33"]
    assert opened[0].data["ref"] == ref
    assert opened[0].data["deadline"] == (AWARE + timedelta(hours=72)).isoformat()
    assert opened[0].data["recipient"] == "Competent (lead) data protection supervisory authority"
    deadline = AWARE + timedelta(hours=72)
    assert _at(runtime, deadline - timedelta(hours=25)) == []
    assert _at(runtime, deadline - timedelta(hours=24)) == [("obligation.due_soon", "24h")]
    assert _at(runtime, deadline - timedelta(hours=23)) == []
    assert _at(runtime, deadline - timedelta(hours=3)) == [("obligation.due_soon", "4h")]
    assert _at(runtime, deadline - timedelta(minutes=30)) == [("obligation.due_soon", "1h")]
    assert _at(runtime, deadline - timedelta(seconds=1)) == []
    assert _at(runtime, deadline) == [("obligation.overdue", None)]
    assert _at(runtime, deadline + timedelta(hours=5)) == []
    overdue = next(e for e in seen if e.kind == "obligation.overdue" and e.data["duty_id"] == "gdpr-art33")
    assert overdue.subject_id and overdue.data["obligation_id"] == by_duty(runtime, ref)["gdpr-art33"].id


def test_a_moved_deadline_rearms_its_reminders(runtime: Runtime) -> None:
    apply_plan(runtime)
    ref = open_incident(runtime)
    set_facts(runtime, ref, personal_data="yes", subject_jurisdictions="EU", awareness_at=AWARE.isoformat())
    assert _at(runtime, AWARE + timedelta(hours=70)) == [("obligation.due_soon", "4h")]
    # the team learns it knew a day later than recorded: the deadline moves, reminders start again
    set_facts(runtime, ref, awareness_at=(AWARE + timedelta(hours=24)).isoformat())
    assert _at(runtime, AWARE + timedelta(hours=72)) == [("obligation.due_soon", "24h")]


def test_the_clock_job_runs_in_serve_and_its_tick_commits(runtime: Runtime) -> None:
    assert "obligation-clocks" in [job.name for job in background_jobs()]
    apply_plan(runtime)
    ref = open_incident(runtime)
    set_facts(runtime, ref, personal_data="yes", subject_jurisdictions="EU", awareness_at=AWARE.isoformat())
    assert isinstance(runtime.clock, FrozenClock)
    runtime.clock.set(AWARE + timedelta(hours=73))
    assert clocks.tick(runtime) >= 1
    assert clocks.tick(runtime) == 0
    assert "notification:overdue" in by_duty(runtime, ref)["gdpr-art33"].reminders_sent


def test_special_handling_flag_asks_for_facts_and_dates_awareness(runtime: Runtime) -> None:
    apply_plan(runtime)
    ref = open_incident(runtime)
    with runtime.uow(ADMIN, write=True) as uow:
        incident = find_incident(uow, ref)
        uow.publish(
            DomainEvent("incident.special_handling", incident.id, {"ref": ref, "flags": ["personal_data"]})
        )
        uow.commit()
    with runtime.uow(ADMIN) as uow:
        facts = obligations.incident_facts(uow, ref)
        asked = [q.fact for q in obligations.incident_questions(uow, ref)]
    assert facts.flags == ["personal_data"] and facts.flagged_at == runtime.clock.now()
    assert "personal_data" in asked
    assert isinstance(runtime.clock, FrozenClock)
    runtime.clock.advance(timedelta(hours=5))
    set_facts(runtime, ref, personal_data="yes", subject_jurisdictions="EU")
    art33 = by_duty(runtime, ref)["gdpr-art33"]
    assert art33.clock_assumed and art33.clock_started_at == AWARE  # the flag's time, not the answer's
