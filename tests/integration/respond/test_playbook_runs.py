"""Starting playbooks: the starter library in dry run, tasks and sequential actions, deny-listed steps."""

from __future__ import annotations

import pytest

from ironwatch.bootstrap import Runtime
from ironwatch.core.errors import NotFoundError
from ironwatch.incidents import service as incidents
from ironwatch.respond import service
from ironwatch.respond.library import built_in_playbooks
from ironwatch.respond.runner import run_pending
from tests.support.people import add_user, principal
from tests.support.respond import apply_plan_with_actions, open_incident

OBSERVABLES = {
    "ipv4": ["203.0.113.7"],
    "domain": ["evil.example.com"],
    "hostname": ["web01.example.org"],
    "account": ["jdoe"],
}
CONFIG = {
    "capture_image": {
        "config": {"profiles": {n: {"argv": ["true", "{output}"]} for n in ("memory", "disk", "backup")}}
    },
    "collect_file": {"config": {"allowed_paths": ["/var/log"]}},
}


@pytest.fixture
def responders(runtime: Runtime) -> Runtime:
    add_user(runtime, "ann", "analyst")
    apply_plan_with_actions(runtime, enabled=False, management_addresses=["10.9.9.0/24"], connectors=CONFIG)
    return runtime


def test_every_starter_playbook_runs_in_dry_run_on_a_sample_incident(responders: Runtime) -> None:
    runtime = responders
    assert len(built_in_playbooks()) == 10
    for playbook_id, shipped in built_in_playbooks().items():
        ref = open_incident(runtime, category=shipped.playbook.categories[0], observables=OBSERVABLES)
        with runtime.uow(principal(runtime, "ann"), write=True) as uow:
            run = service.start_playbook(uow, ref)  # chosen by the incident's category
            uow.commit()
        assert run.playbook_id == playbook_id
        run_pending(runtime)
        with runtime.uow(principal(runtime, "ann")) as uow:
            detail = service.run_detail(uow, run)
            tasks = incidents.incident_detail(uow, ref).tasks
        manual = [s for s in detail.steps if s["kind"] == "task"]
        assert len(tasks) == len(manual) > 0, playbook_id
        assert detail.actions, playbook_id
        for action in detail.actions:
            assert action.dry_run, (playbook_id, action.title)
            assert action.status == "succeeded", (playbook_id, action.title, action.error)
            assert action.result["summary"].startswith("would "), action.result


def test_a_deny_listed_step_is_refused_visibly_and_the_run_goes_on(responders: Runtime) -> None:
    runtime = responders
    ref = open_incident(runtime, category="brute-force", observables={"ipv4": ["10.9.9.5", "203.0.113.9"]})
    with runtime.uow(principal(runtime, "ann"), write=True) as uow:
        run = service.start_playbook(uow, ref, playbook_id="brute-force")
        uow.commit()
    run_pending(runtime)
    with runtime.uow(principal(runtime, "ann")) as uow:
        by_input = {a.inputs["address"]: a for a in service.run_detail(uow, run).actions}
    assert by_input["10.9.9.5"].status == "refused"
    assert "management address" in by_input["10.9.9.5"].error
    assert by_input["203.0.113.9"].status == "succeeded"


def test_an_incident_without_a_matching_playbook_says_how_to_choose_one(responders: Runtime) -> None:
    ref = open_incident(responders, category="harmful-speech")
    with (
        responders.uow(principal(responders, "ann"), write=True) as uow,
        pytest.raises(NotFoundError) as missing,
    ):
        service.start_playbook(uow, ref)
    assert "--playbook" in (missing.value.hint or "")
