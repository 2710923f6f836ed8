"""SLA clocks run from creation per priority; the scheduler records breaches and escalates the ladder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.principal import system_principal
from ironwatch.incidents import schemas as inc
from ironwatch.incidents import service as incidents
from ironwatch.jobs import background_jobs
from ironwatch.store.tables import EscalationRow, IncidentRow
from ironwatch.triage import service
from ironwatch.triage.jobs import sla_tick
from tests.support.alerts import apply_plan, login_after_brute_force, record, starter_text_with

OPERATOR = system_principal("test")


def _escalations(runtime: Runtime) -> list[EscalationRow]:
    with runtime.uow(OPERATOR) as uow:
        return list(uow.session.scalars(select(EscalationRow).order_by(EscalationRow.level)).all())


def test_an_unacknowledged_p1_breaches_and_escalates_level_by_level(
    runtime: Runtime, clock: FrozenClock
) -> None:
    apply_plan(runtime)
    seen: list[DomainEvent] = []
    runtime.subscribers.subscribe("incident.sla_breached", lambda _uow, e: seen.append(e))
    runtime.subscribers.subscribe("incident.escalated", lambda _uow, e: seen.append(e))
    record(runtime, [login_after_brute_force(clock.now())])
    with runtime.uow(OPERATOR) as uow:
        [incident] = uow.session.scalars(select(IncidentRow)).all()
    assert incident.priority == "P1"

    clock.advance(timedelta(minutes=14))
    assert sla_tick(runtime) == [] and seen == []
    clock.advance(timedelta(minutes=2))
    [breach] = sla_tick(runtime)
    assert (breach.ref, breach.target, breach.priority) == (incident.ref, "acknowledge", "P1")
    assert breach.due == incident.created_at + timedelta(minutes=15)
    assert [e.kind for e in seen] == ["incident.sla_breached", "incident.escalated"]
    assert seen[0].data == {
        "ref": incident.ref,
        "target": "acknowledge",
        "priority": "P1",
        "due": breach.due.isoformat(),
    }
    assert (seen[1].data["level"], seen[1].data["people"]) == (1, ["alex"])
    assert sla_tick(runtime) == [], "a breach is recorded once"

    clock.advance(timedelta(hours=1))  # still unacknowledged an hour after the deadline: level 2
    sla_tick(runtime)
    levels = [(e.level, e.roles) for e in _escalations(runtime)]
    assert levels == [(1, ["incident_manager"]), (2, ["incident_manager", "management_sponsor"])]
    assert _escalations(runtime)[1].people == ["alex", "morgan"]
    with runtime.uow(OPERATOR) as uow:
        view = service.incident_assessment(uow, incident.ref)
    assert view.escalation_level == 2 and view.sla[0].breached_at is not None and view.sla[0].met_at is None


def test_acknowledging_in_time_stops_the_clock(runtime: Runtime, clock: FrozenClock) -> None:
    apply_plan(runtime)
    record(runtime, [login_after_brute_force(clock.now())])
    with runtime.uow(OPERATOR) as uow:
        [incident] = uow.session.scalars(select(IncidentRow)).all()
    clock.advance(timedelta(minutes=5))
    with runtime.uow(OPERATOR, write=True) as uow:
        service.acknowledge(uow, incident.ref)
        uow.commit()
    clock.advance(timedelta(hours=1))
    assert sla_tick(runtime) == []
    with runtime.uow(OPERATOR) as uow:
        clocks = service.incident_assessment(uow, incident.ref).sla
    assert clocks[0].met_at == incident.created_at + timedelta(minutes=5)


def test_incidents_opened_by_hand_get_clocks_that_follow_priority_and_lifecycle(
    runtime: Runtime, clock: FrozenClock
) -> None:
    apply_plan(runtime)
    with runtime.uow(OPERATOR, write=True) as uow:
        row = incidents.create_incident(uow, inc.IncidentCreate(title="Lost laptop"))
        assert service.incident_assessment(uow, row.ref).sla == [], "no priority, no targets yet"
        incidents.update_incident(uow, row.ref, inc.IncidentUpdate(priority=inc.Priority.P3))
        incidents.update_incident(uow, row.ref, inc.IncidentUpdate(priority=inc.Priority.P2))
        incidents.transition_incident(uow, row.ref, "triage")
        view = service.incident_assessment(uow, row.ref)
        uow.commit()
    due = {c.target: (c.priority, c.due_at - row.created_at, c.met_at) for c in view.sla}
    assert due["acknowledge"] == ("P2", timedelta(hours=1), clock.now())
    assert due["contain"][:2] == ("P2", timedelta(hours=8)) and due["contain"][2] is None
    with runtime.uow(OPERATOR, write=True) as uow:
        incidents.transition_incident(uow, row.ref, "false_positive")
        uow.commit()
    clock.advance(timedelta(days=10))
    assert sla_tick(runtime) == [], "a false positive's clocks are cancelled"


def test_business_hours_clocks_skip_nights_weekends_and_holidays(
    runtime: Runtime, clock: FrozenClock
) -> None:
    apply_plan(
        runtime,
        starter_text_with("    business_hours_for: [] #", "    business_hours_for: [P4] #").replace(
            "    holidays: [] #", "    holidays: [2026-03-09] #"
        ),
    )
    clock.set(datetime(2026, 3, 6, 16, 0, tzinfo=UTC))  # a Friday, one hour before close (London = UTC now)
    with runtime.uow(OPERATOR, write=True) as uow:
        row = incidents.create_incident(uow, inc.IncidentCreate(title="Spam wave", priority=inc.Priority.P4))
        clocks = service.incident_assessment(uow, row.ref).sla
        uow.commit()
    acknowledge = clocks[0]
    # P4 acknowledge is 1d = 24 business hours: 1 h on Friday, Monday 9th is a holiday, 8 h each on
    # Tuesday and Wednesday, 7 h on Thursday: due Thursday 16:00
    assert acknowledge.business_hours and acknowledge.due_at == datetime(2026, 3, 12, 16, 0, tzinfo=UTC)


def test_serve_runs_the_sla_scheduler() -> None:
    assert "sla-clocks" in [job.name for job in background_jobs()]
