"""Action requests end to end on both databases: guard rails, approvals, the runner, retries, crashes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.core.errors import ConflictError, PermissionDeniedError, ValidationError
from ironwatch.incidents import service as incidents
from ironwatch.respond import actions
from ironwatch.respond.runner import ActionRunner, carry_out, claim_due, recover_interrupted, run_pending
from ironwatch.respond.schemas import ActionRequestIn
from ironwatch.store.tables import ActionRequestRow
from tests.support.api import client
from tests.support.people import add_user, principal, token_for
from tests.support.respond import apply_plan_with_actions, open_incident

COMMANDS = {
    "ok": {"argv": ["true"], "destructive": True},
    "broken": {"argv": ["false"], "destructive": False},
    "echo": {"argv": ["echo"], "max_args": 2, "destructive": False},
}


def _plan(runtime: Runtime, **extra: Any) -> None:
    apply_plan_with_actions(
        runtime,
        management_addresses=["10.9.9.0/24"],
        connectors={
            "run_command": {"enabled": True, "config": {"commands": COMMANDS}},
            "block_address": {"enabled": True},
        },
        **extra,
    )


def _request(runtime: Runtime, user: str, ref: str, connector: str, **inputs: object) -> ActionRequestRow:
    with runtime.uow(principal(runtime, user), write=True) as uow:
        row, _ = actions.request_action(uow, ref, ActionRequestIn(connector=connector, inputs=inputs))
        uow.commit()
    return row


def _action(runtime: Runtime, action_id: str) -> ActionRequestRow:
    with runtime.uow(principal(runtime, "ann")) as uow:
        return actions.find_action(uow, action_id)[0]


@pytest.fixture
def people(runtime: Runtime) -> Runtime:
    add_user(runtime, "ann", "analyst")
    add_user(runtime, "bob", "incident_manager")
    add_user(runtime, "cat", "incident_manager")
    _plan(runtime)
    return runtime


def test_a_destructive_action_waits_for_a_second_person_and_the_requester_cannot_approve(
    people: Runtime,
) -> None:
    runtime = people
    ref = open_incident(runtime)
    add_user(runtime, "max", "admin")
    row = _request(runtime, "max", ref, "run_command", command="ok")
    assert row.status == "awaiting_approval" and row.destructive and not row.dry_run
    assert run_pending(runtime) == 0  # nothing runs before approval

    with (
        runtime.uow(principal(runtime, "max"), write=True) as uow,
        pytest.raises(PermissionDeniedError) as refused,
    ):
        actions.approve_action(uow, row.id)
    assert "cannot also approve" in refused.value.message

    with runtime.uow(principal(runtime, "bob"), write=True) as uow:
        approved = actions.approve_action(uow, row.id, note="checked the host")
        uow.commit()
    assert approved.status == "approved" and approved.decided_by == "bob"
    assert run_pending(runtime) == 1
    done = _action(runtime, row.id)
    assert done.status == "succeeded"
    assert done.result["details"]["argv"] == ["true"]

    with runtime.uow(principal(runtime, "bob")) as uow:
        trail = [e.action for e in incidents.incident_audit(uow, ref) if e.object_type == "action"]
    assert trail == ["action.request", "action.approve", "action.start", "action.succeed"]


def test_a_non_destructive_action_runs_without_approval(people: Runtime) -> None:
    ref = open_incident(people)
    row = _request(people, "ann", ref, "run_command", command="echo", args=["hello", "world"])
    assert row.status == "approved"
    run_pending(people)
    done = _action(people, row.id)
    assert done.status == "succeeded"
    assert done.result["details"]["stdout"] == "hello world\n"


def test_a_deny_listed_target_is_refused_with_the_rule_that_refused_it(people: Runtime) -> None:
    ref = open_incident(people)
    with people.uow(principal(people, "ann"), write=True) as uow, pytest.raises(ValidationError) as refused:
        actions.request_action(
            uow, ref, ActionRequestIn(connector="block_address", inputs={"address": "10.9.9.20"})
        )
    assert "management address" in refused.value.message
    assert "10.9.9.20" in refused.value.message
    with people.uow(principal(people, "ann"), write=True) as uow, pytest.raises(ValidationError) as critical:
        actions.request_action(
            uow, ref, ActionRequestIn(connector="block_domain", inputs={"domain": "mail.example.org"})
        )
    assert "critical asset 'mail'" in critical.value.message


def test_the_api_refuses_the_requester_and_accepts_a_second_approver(people: Runtime) -> None:
    ref = open_incident(people)
    ann, bob = token_for(people, "ann"), token_for(people, "bob")
    created = client(people, ann).post(
        f"/api/v1/incidents/{ref}/actions",
        json={"connector": "run_command", "inputs": {"command": "ok"}, "idempotency_key": "ticket-4711"},
    )
    assert created.status_code == 201, created.text
    action = created.json()
    again = client(people, ann).post(
        f"/api/v1/incidents/{ref}/actions",
        json={"connector": "run_command", "inputs": {"command": "ok"}, "idempotency_key": "ticket-4711"},
    )
    assert again.status_code == 200 and again.json()["id"] == action["id"]
    assert client(people, ann).post(f"/api/v1/actions/{action['id']}/approve", json={}).status_code == 403
    denied = client(people, bob).post(
        f"/api/v1/incidents/{ref}/actions",
        json={"connector": "block_address", "inputs": {"address": "10.9.9.1"}},
    )
    assert denied.status_code == 422 and "management address" in denied.json()["detail"]
    approved = client(people, bob).post(f"/api/v1/actions/{action['id']}/approve", json={"note": "ok"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    waiting = client(people, bob).get("/api/v1/actions", params={"status": "approved"}).json()
    assert [a["id"] for a in waiting] == [action["id"]]


def test_actions_are_dry_runs_until_the_plan_enables_them(runtime: Runtime) -> None:
    add_user(runtime, "ann", "analyst")
    apply_plan_with_actions(
        runtime,
        enabled=False,
        connectors={"run_command": {"enabled": True, "config": {"commands": COMMANDS}}},
    )
    ref = open_incident(runtime)
    row = _request(runtime, "ann", ref, "run_command", command="broken")
    assert row.dry_run and row.status == "approved"  # a dry run harms nothing: no approval needed
    run_pending(runtime)
    done = _action(runtime, row.id)
    assert done.status == "succeeded"
    assert done.result["summary"].startswith("would run broken")


def test_failed_tries_are_retried_a_bounded_number_of_times_then_left_to_a_person(
    people: Runtime, clock: FrozenClock
) -> None:
    ref = open_incident(people)
    row = _request(people, "ann", ref, "run_command", command="broken")
    for attempt in (1, 2):
        run_pending(people)
        current = _action(people, row.id)
        assert current.status == "approved" and current.attempts == attempt
        assert "exit 1" in current.error
        clock.advance(timedelta(minutes=1))
    run_pending(people)
    failed = _action(people, row.id)
    assert failed.status == "failed" and failed.attempts == 3
    with people.uow(principal(people, "ann")) as uow:
        tasks = incidents.incident_detail(uow, ref).tasks
    assert any(t.title.startswith("Do by hand: run_command requested by ann") for t in tasks)


def test_a_runner_that_dies_mid_action_leaves_it_interrupted_and_retryable(
    people: Runtime, clock: FrozenClock
) -> None:
    ref = open_incident(people)
    row = _request(people, "ann", ref, "run_command", command="echo", args=["once"])
    [claim] = claim_due(people, owner="dead-runner", limit=5)  # the runner claims it, then dies
    assert _action(people, row.id).status == "running"
    assert recover_interrupted(people) == 0  # the lease still holds
    clock.advance(timedelta(minutes=7))
    assert recover_interrupted(people) == 1
    interrupted = _action(people, row.id)
    assert interrupted.status == "interrupted" and "dead-runner" in interrupted.error
    with people.uow(principal(people, "ann"), write=True) as uow:
        actions.retry_action(uow, row.id)
        uow.commit()
    run_pending(people)
    assert _action(people, row.id).status == "succeeded"
    assert carry_out(people.settings.home, claim).error == ""  # the dead runner's claim is stale, not lost


def test_only_failed_or_interrupted_actions_are_retried(people: Runtime) -> None:
    ref = open_incident(people)
    row = _request(people, "ann", ref, "run_command", command="echo")
    run_pending(people)
    with people.uow(principal(people, "ann"), write=True) as uow, pytest.raises(ConflictError):
        actions.retry_action(uow, row.id)


def test_the_serve_runner_carries_out_due_actions_in_its_pool(people: Runtime) -> None:
    runner = ActionRunner()
    runner.tick(people)  # idle: nothing queued
    ref = open_incident(people)
    rows = [_request(people, "ann", ref, "run_command", command="echo", args=[str(n)]) for n in range(3)]
    runner.tick(people)  # claims at most max_concurrent (2) and returns at once
    runner.tick(people)
    runner.close()
    states = sorted(_action(people, r.id).status for r in rows)
    assert states.count("succeeded") >= 2 and set(states) <= {"succeeded", "approved"}  # never over the limit


def test_the_incident_timeline_shows_each_action_step(people: Runtime) -> None:
    from ironwatch.review.timeline import incident_timeline

    runtime = people
    ref = open_incident(runtime)
    add_user(runtime, "max", "admin")
    clock = runtime.clock
    assert isinstance(clock, FrozenClock)
    row = _request(runtime, "max", ref, "run_command", command="ok")
    clock.advance(timedelta(minutes=3))
    with runtime.uow(principal(runtime, "bob"), write=True) as uow:
        actions.approve_action(uow, row.id, note="checked the host")
        uow.commit()
    clock.advance(timedelta(minutes=1))
    run_pending(runtime)
    with runtime.uow(principal(runtime, "bob")) as uow:
        entries = incident_timeline(uow, ref, kinds=["action"])
    texts = [(e.actor, e.text) for e in entries]
    assert [t.split(" ", 1)[0] for _, t in texts] == ["requested", "approved", "succeeded"]
    assert texts[0][0] == "max" and texts[1] == ("bob", texts[1][1])
    assert "checked the host" in texts[1][1]
