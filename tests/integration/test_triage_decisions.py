"""Triage decisions: confirm, dismiss with suppression (counted, never opened), merge, escalate, bulk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.errors import PermissionDeniedError, ValidationError
from ironwatch.core.principal import Principal, system_principal
from ironwatch.store.tables import AuditEntryRow, IncidentRow, SuppressionRow
from ironwatch.triage import decisions, service
from ironwatch.triage import schemas as s
from tests.support.alerts import apply_plan, brute_force, login_after_brute_force, record
from tests.support.people import add_user, principal

SCANNER = "198.51.100.7"
READER = system_principal("test")


def _incidents(runtime: Runtime) -> list[IncidentRow]:
    with runtime.uow(READER) as uow:
        return list(uow.session.scalars(select(IncidentRow).order_by(IncidentRow.ref)).all())


def _as(runtime: Runtime, name: str, role: str = "analyst") -> Principal:
    add_user(runtime, name, role)
    return principal(runtime, name)


def test_a_false_positive_with_suppression_counts_later_matches_and_opens_nothing(
    runtime: Runtime, clock: FrozenClock
) -> None:
    apply_plan(runtime)
    ana = _as(runtime, "ana")
    now = clock.now()
    record(
        runtime, [brute_force(now, source=SCANNER), login_after_brute_force(now, source=SCANNER, user="scan")]
    )
    [incident] = _incidents(runtime)
    assert incident.status == "triage"

    request = s.BulkRequest(
        decision=s.Decision.DISMISS,
        reason="authorised vulnerability scanner",
        suppress=s.SuppressSpec(scope=["source_address"], expires_in="30d"),
        filter=s.AlertFilter(status=["incident"], entity=SCANNER),
    )
    with runtime.uow(ana, write=True) as uow:
        result = decisions.bulk_decide(uow, request)
        uow.commit()
    assert len(result.alerts) == 2 and result.incidents == [incident.ref] and len(result.suppressions) == 2
    [closed] = _incidents(runtime)
    assert closed.status == "false_positive"

    # a repeat within the dedup window raises the dismissed alert's count: counted, not reopened
    repeat = record(runtime, [brute_force(now + timedelta(minutes=5), source=SCANNER)])[0]
    assert (repeat.new, repeat.alert.status, repeat.alert.count) == (False, "false_positive", 24)

    # the same scan again, next day (past the dedup window): new alerts, suppressed and counted
    clock.advance(timedelta(days=1))
    later = clock.now()
    recorded = record(
        runtime,
        [brute_force(later, source=SCANNER), login_after_brute_force(later, source=SCANNER, user="scan")],
    )
    assert all(r.new for r in recorded)
    assert [r.alert.status for r in recorded] == ["suppressed", "suppressed"]
    assert len(_incidents(runtime)) == 1, "suppressed matches never open incidents"
    with runtime.uow(READER) as uow:
        counted = {row.rule_id: row.matches for row in uow.session.scalars(select(SuppressionRow)).all()}
        audit = uow.session.execute(select(AuditEntryRow.action, AuditEntryRow.object_type)).all()
    assert counted == {"iw-ssh-brute-force": 24, "iw-ssh-success-after-brute-force": 1}
    assert ("alert.dismiss", "suppression") in audit and ("alert.dismiss", "alert") in audit
    # an attack from elsewhere is not suppressed
    record(runtime, [login_after_brute_force(later, source="203.0.113.50")])
    assert len(_incidents(runtime)) == 2


def test_confirm_opens_a_confirmed_incident_and_merge_joins_another(
    runtime: Runtime, clock: FrozenClock
) -> None:
    apply_plan(runtime)
    ana = _as(runtime, "ana")
    now = clock.now()
    first = record(runtime, [brute_force(now, source="198.51.100.1", host="web1")])[0].alert
    second = record(runtime, [brute_force(now, source="198.51.100.2", host="web2")])[0].alert
    with runtime.uow(ana, write=True) as uow:
        confirmed = decisions.decide(
            uow, [first.id], s.DecisionRequest(decision=s.Decision.CONFIRM, reason="real")
        )
        merged = decisions.decide(
            uow, [second.id], s.DecisionRequest(decision=s.Decision.MERGE, incident=confirmed.incidents[0])
        )
        uow.commit()
    [incident] = _incidents(runtime)
    assert incident.status == "confirmed" and incident.category == "brute-force"
    assert merged.incidents == [incident.ref]
    with runtime.uow(READER) as uow:
        view = service.incident_assessment(uow, incident.ref)
    assert [(a.decision, a.decided_by) for a in view.alerts] == [("confirm", "ana"), ("merge", "ana")]
    assert view.sla[0].met_at is not None, "confirming acknowledges"


def test_escalate_raises_the_incident_to_the_next_level_with_whom_to_tell(
    runtime: Runtime, clock: FrozenClock
) -> None:
    apply_plan(runtime)
    ana = _as(runtime, "ana")
    events: list[DomainEvent] = []
    runtime.subscribers.subscribe("incident.escalated", lambda _uow, event: events.append(event))
    alert = record(runtime, [brute_force(clock.now())])[0].alert
    with runtime.uow(ana, write=True) as uow:
        decisions.decide(
            uow, [alert.id], s.DecisionRequest(decision=s.Decision.ESCALATE, reason="looks targeted")
        )
        uow.commit()
    [incident] = _incidents(runtime)
    assert incident.status == "triage"
    [event] = events
    # level 1 is the incident manager; alex is on call for it this week
    assert (event.data["level"], event.data["roles"], event.data["people"]) == (
        1,
        ["incident_manager"],
        ["alex"],
    )
    assert event.data["reason"] == "escalated by ana: looks targeted"


def test_decisions_need_a_reason_to_dismiss_and_the_triage_permission(
    runtime: Runtime, clock: FrozenClock
) -> None:
    apply_plan(runtime)
    alert = record(runtime, [brute_force(clock.now())])[0].alert
    ana = _as(runtime, "ana")
    rita = _as(runtime, "rita", "responder")
    with runtime.uow(ana, write=True) as uow, pytest.raises(ValidationError, match="reason"):
        decisions.decide(uow, [alert.id], s.DecisionRequest(decision=s.Decision.DISMISS))
    with runtime.uow(rita, write=True) as uow, pytest.raises(PermissionDeniedError):
        decisions.decide(uow, [alert.id], s.DecisionRequest(decision=s.Decision.CONFIRM))


def test_a_human_override_is_audited_and_kept_when_alerts_keep_coming(
    runtime: Runtime, clock: FrozenClock
) -> None:
    apply_plan(runtime)
    ana = _as(runtime, "ana")
    now = clock.now()
    record(runtime, [login_after_brute_force(now)])
    [incident] = _incidents(runtime)
    assert incident.priority == "P1"
    with runtime.uow(ana, write=True) as uow:
        view = service.override_assessment(
            uow, incident.ref, s.AssessmentOverride(impact="low", urgency="medium", reason="honeypot account")
        )
        uow.commit()
    assert view.priority == "P4" and view.reasons["priority"] == "set by ana: honeypot account"
    clock.advance(timedelta(minutes=1))
    record(runtime, [brute_force(now + timedelta(minutes=1))])
    [after] = _incidents(runtime)
    assert after.priority == "P4", "automatic reassessment leaves overridden values alone"
    with runtime.uow(READER) as uow:
        actions = uow.session.scalars(select(AuditEntryRow.action).where(AuditEntryRow.actor == "ana")).all()
        clocks = service.incident_assessment(uow, incident.ref).sla
    assert "incident_triage.override" in actions
    assert {c.priority for c in clocks} == {"P4"} and clocks[0].due_at - after.created_at == timedelta(days=1)
