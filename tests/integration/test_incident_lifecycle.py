"""The incident record through its whole life, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.core.errors import ConflictError, NotFoundError, ValidationError
from ironwatch.core.principal import system_principal
from ironwatch.incidents import schemas as s
from ironwatch.incidents import service
from ironwatch.store.audit import verify_audit
from tests.support.people import add_user, principal

STEPS = ["triage", "confirmed", "containment", "eradication", "recovery", "closed", "reviewed"]


@pytest.fixture
def analyst(runtime: Runtime):  # type: ignore[no-untyped-def]
    add_user(runtime, "ana", "analyst")
    return principal(runtime, "ana")


def test_an_incident_moves_through_every_phase_with_timestamps(
    runtime: Runtime, clock: FrozenClock, analyst
) -> None:  # type: ignore[no-untyped-def]
    with runtime.uow(analyst, write=True) as uow:
        row = service.create_incident(
            uow, s.IncidentCreate(title="Ransom note on file server", severity="critical")
        )
        uow.commit()
    assert row.ref == "IR-2026-0001"
    assert row.status == "reported"
    for step in STEPS:
        clock.advance(timedelta(hours=1))
        with runtime.uow(analyst, write=True) as uow:
            service.transition_incident(uow, row.ref, step, note=f"to {step}")
            uow.commit()
    with runtime.uow(analyst) as uow:
        detail = service.incident_detail(uow, row.ref)
    assert detail.status == "reviewed"
    assert [t.to_state for t in detail.transitions] == STEPS
    assert all(t.actor == "ana" for t in detail.transitions)
    start = detail.created_at
    assert detail.acknowledged_at == start + timedelta(hours=1)
    assert detail.confirmed_at == start + timedelta(hours=2)
    assert detail.contained_at == start + timedelta(hours=4)
    assert detail.recovered_at == start + timedelta(hours=6)
    assert detail.closed_at == start + timedelta(hours=6)
    assert detail.reviewed_at == start + timedelta(hours=7)
    with runtime.db.session(write=False) as session:
        assert verify_audit(session).ok


def test_references_count_up_per_year(runtime: Runtime, clock: FrozenClock, analyst) -> None:  # type: ignore[no-untyped-def]
    refs = []
    for title in ("one", "two"):
        with runtime.uow(analyst, write=True) as uow:
            refs.append(service.create_incident(uow, s.IncidentCreate(title=title)).ref)
            uow.commit()
    clock.advance(timedelta(days=365))
    with runtime.uow(analyst, write=True) as uow:
        refs.append(service.create_incident(uow, s.IncidentCreate(title="next year")).ref)
        uow.commit()
    assert refs == ["IR-2026-0001", "IR-2026-0002", "IR-2027-0001"]


def test_forbidden_transition_is_refused_and_nothing_changes(runtime: Runtime, analyst) -> None:  # type: ignore[no-untyped-def]
    with runtime.uow(analyst, write=True) as uow:
        ref = service.create_incident(uow, s.IncidentCreate(title="x")).ref
        uow.commit()
    with (
        runtime.uow(analyst, write=True) as uow,
        pytest.raises(ConflictError, match="allowed from 'reported'"),
    ):
        service.transition_incident(uow, ref, "closed")
    with runtime.uow(analyst) as uow:
        assert service.find_incident(uow, ref).status == "reported"


def test_comments_tasks_and_observables_hang_off_the_incident(runtime: Runtime, analyst) -> None:  # type: ignore[no-untyped-def]
    with runtime.uow(analyst, write=True) as uow:
        ref = service.create_incident(uow, s.IncidentCreate(title="Phishing")).ref
        service.add_comment(uow, ref, s.CommentCreate(body="User clicked the link"))
        task = service.add_task(uow, ref, s.TaskCreate(title="Reset password", owner="bob"))
        _, first = service.add_observable(uow, ref, s.ObservableCreate(type="domain", value="Evil.EXAMPLE."))
        _, again = service.add_observable(uow, ref, s.ObservableCreate(type="domain", value="evil.example"))
        service.update_task(uow, ref, task.id, s.TaskUpdate(status=s.TaskStatus.DONE))
        uow.commit()
    assert (first, again) == (True, False)
    with runtime.uow(analyst) as uow:
        detail = service.incident_detail(uow, ref)
    assert [o.value for o in detail.observables] == ["evil.example"]
    assert detail.tasks[0].status == "done"
    assert detail.comments[0].author == "ana"


def test_invalid_observable_is_rejected_with_a_hint(runtime: Runtime, analyst) -> None:  # type: ignore[no-untyped-def]
    with runtime.uow(analyst, write=True) as uow:
        ref = service.create_incident(uow, s.IncidentCreate(title="x")).ref
        with pytest.raises(ValidationError, match="not a valid IPv4"):
            service.add_observable(uow, ref, s.ObservableCreate(type="ipv4", value="999.1.1.1"))


def test_filters_find_what_they_name(runtime: Runtime, clock: FrozenClock, analyst) -> None:  # type: ignore[no-untyped-def]
    with runtime.uow(analyst, write=True) as uow:
        service.create_incident(
            uow,
            s.IncidentCreate(title="VPN brute force", severity="high", priority="P2", tags=["bruteforce"]),
        )
        clock.advance(timedelta(days=2))
        service.create_incident(
            uow, s.IncidentCreate(title="Lost laptop", severity="low", priority="P4", assignee="ana")
        )
        uow.commit()

    def refs(**kw: object) -> list[str]:
        with runtime.uow(analyst) as uow:
            return [r.title for r in service.list_incidents(uow, s.IncidentFilter.model_validate(kw))[1]]

    assert refs(severity=["high"]) == ["VPN brute force"]
    assert refs(priority=["P4"]) == ["Lost laptop"]
    assert refs(assignee="ana") == ["Lost laptop"]
    assert refs(tag="bruteforce") == ["VPN brute force"]
    assert refs(text="laptop") == ["Lost laptop"]
    assert refs(text="100%") == []
    assert refs(since=clock.now() - timedelta(days=1)) == ["Lost laptop"]
    assert refs(status=["reported"], limit=1) == ["Lost laptop"]
    assert refs(status=["reported"], limit=1, offset=1) == ["VPN brute force"]


def test_unknown_incident_is_not_found(runtime: Runtime, analyst) -> None:  # type: ignore[no-untyped-def]
    with runtime.uow(analyst) as uow, pytest.raises(NotFoundError):
        service.find_incident(uow, "IR-2026-9999")


def test_detected_before_occurred_is_refused(runtime: Runtime, clock: FrozenClock, analyst) -> None:  # type: ignore[no-untyped-def]
    data = s.IncidentCreate(title="x", occurred_at=clock.now(), detected_at=clock.now() - timedelta(hours=1))
    with (
        runtime.uow(analyst, write=True) as uow,
        pytest.raises(ValidationError, match="earlier than occurred_at"),
    ):
        service.create_incident(uow, data)


def test_system_principal_can_write_and_is_named_in_the_audit(runtime: Runtime) -> None:
    with runtime.uow(system_principal("detector"), write=True) as uow:
        row = service.create_incident(uow, s.IncidentCreate(title="auto"))
        uow.commit()
        assert row.created_by == "system:detector"
