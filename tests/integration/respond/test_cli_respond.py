"""``ironwatch playbook`` and ``ironwatch action`` on the test database."""

from __future__ import annotations

import json
from pathlib import Path

from ironwatch.bootstrap import Runtime
from tests.integration.conftest import Run
from tests.support.people import add_user
from tests.support.respond import apply_plan_with_actions, open_incident


def test_list_show_and_validate_playbooks(cli: Run, runtime: Runtime, tmp_path: Path) -> None:
    listed = json.loads(cli("playbook", "list", "--json").stdout)
    assert {p["id"] for p in listed} >= {"ransomware", "phishing", "lost-device"}
    text = cli("playbook", "show", "ransomware", "--yaml").stdout
    assert text.startswith("# Ransomware")
    good = tmp_path / "ransomware.yaml"
    good.write_text(text.replace("name: Ransomware", "name: Ransomware (ours)"))
    assert "is valid" in cli("playbook", "validate", str(good)).stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("action: isolate_host", "action: isolate_hots"))
    failed = cli("playbook", "validate", str(bad), expect=2)
    assert f"{bad}:" in failed.stderr and "unknown action 'isolate_hots'" in failed.stderr
    loaded = json.loads(cli("playbook", "load", str(good), "--json").stdout)
    assert loaded == {"id": "ransomware", "version": 1, "sha256": loaded["sha256"]}
    assert "Ransomware (ours)" in cli("playbook", "show", "ransomware").stdout


def test_run_a_playbook_and_follow_its_actions(cli: Run, runtime: Runtime) -> None:
    add_user(runtime, "ann", "analyst")
    add_user(runtime, "bob", "incident_manager")
    apply_plan_with_actions(
        runtime,
        connectors={"run_command": {"enabled": True, "config": {"commands": {"ok": {"argv": ["true"]}}}}},
    )
    ref = open_incident(runtime, category="brute-force", observables={"ipv4": ["203.0.113.7"]})
    started = cli("--as", "ann", "playbook", "run", ref, "--dry-run")
    assert "started playbook brute-force" in started.stdout
    assert "carried out 1 action" in cli("action", "run-pending").stdout
    [action] = json.loads(cli("action", "list", ref, "--json").stdout)
    assert action["status"] == "succeeded" and action["dry_run"] is True

    requested = json.loads(
        cli("--as", "ann", "action", "request", ref, "run_command", "-i", "command=ok", "--json").stdout
    )
    assert requested["status"] == "awaiting_approval"
    short = requested["id"][-12:]
    refused = cli("--as", "ann", "action", "approve", short, expect=6)
    assert "two-person rule" in refused.stderr
    assert "is now approved" in cli("--as", "bob", "action", "approve", short, "--note", "seen").stdout
    assert "carried out 1 action" in cli("action", "run-pending").stdout
    shown = cli("action", "show", short).stdout
    assert "succeeded" in shown and "seen" in shown
