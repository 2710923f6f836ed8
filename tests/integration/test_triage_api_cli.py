"""The alert queue and triage through the API and the command line."""

from __future__ import annotations

import json
from datetime import timedelta

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from tests.integration.conftest import Run
from tests.support.alerts import apply_plan, brute_force, login_after_brute_force, record
from tests.support.api import client
from tests.support.people import token_for


def test_queue_decision_and_assessment_over_the_api(runtime: Runtime, clock: FrozenClock) -> None:
    apply_plan(runtime)
    now = clock.now()
    waiting = record(runtime, [brute_force(now, source="198.51.100.5", host="web1")])[0].alert
    record(runtime, [login_after_brute_force(now)])
    api = client(runtime, token_for(runtime, "ana", "analyst"))

    queue = api.get("/api/v1/alerts").json()
    assert [a["id"] for a in queue["items"]] == [waiting.id], "the queue holds what waits for a decision"
    everything = api.get(
        "/api/v1/alerts", params={"status": "any", "entity": "host=files.example.org"}
    ).json()
    assert everything["total"] == 1 and everything["items"][0]["status"] == "incident"
    detail = api.get(f"/api/v1/alerts/{everything['items'][0]['id']}").json()
    assert detail["incident_ref"] and detail["assessment"]["priority"] == "P1"

    decided = api.post(
        f"/api/v1/alerts/{waiting.id}/decision",
        json={"decision": "dismiss", "reason": "load test", "suppress": {}},
    )
    assert decided.status_code == 200 and len(decided.json()["suppressions"]) == 1
    suppressions = api.get("/api/v1/suppressions").json()
    assert suppressions[0]["entities"] == {"host": "web1", "source_address": "198.51.100.5"}
    dry = api.post(
        "/api/v1/alerts/bulk", json={"decision": "confirm", "filter": {"status": ["any"]}, "dry_run": True}
    )
    assert dry.json()["dry_run"] and len(dry.json()["alerts"]) == 2

    ref = detail["incident_ref"]
    view = api.get(f"/api/v1/incidents/{ref}/assessment").json()
    assert view["priority"] == "P1" and view["reasons"]["priority"].startswith("automatic: P1")
    assert api.post(f"/api/v1/incidents/{ref}/acknowledge").json()["sla"][0]["met_at"]
    moved = api.post(
        f"/api/v1/incidents/{ref}/assign", json={"assignee": "jordan", "reason": "sam is away"}
    ).json()
    assert moved["assignee"] == "jordan" and moved["reasons"]["assignee"] == "set by ana: sam is away"
    bad = api.post(f"/api/v1/incidents/{ref}/assessment", json={"priority": "P9", "reason": "x"})
    assert bad.status_code == 422 and "P9" in bad.json()["detail"]
    responder = client(runtime, token_for(runtime, "rita", "responder"))
    assert (
        responder.post(f"/api/v1/alerts/{waiting.id}/decision", json={"decision": "confirm"}).status_code
        == 403
    )


def test_alerts_and_triage_commands(runtime: Runtime, clock: FrozenClock, cli: Run) -> None:
    apply_plan(runtime)
    record(runtime, [brute_force(clock.now() - timedelta(minutes=1), source="198.51.100.5", host="web1")])
    listed = json.loads(cli("alerts", "list", "--json").stdout)
    alert_id = listed["items"][0]["id"]
    assert "SSH brute force" in cli("alerts", "show", alert_id).stdout
    out = cli("alerts", "decide", alert_id, "--decision", "confirm", "--reason", "real attack").stdout
    assert "applied confirm to 1 alert(s)" in out and "IR-2026-0001" in out
    shown = cli("triage", "show", "IR-2026-0001").stdout
    assert "brute-force" in shown and "automatic:" in shown
    cli("triage", "override", "IR-2026-0001", "--impact", "low", "--urgency", "low", "--reason", "lab host")
    assert json.loads(cli("triage", "show", "IR-2026-0001", "--json").stdout)["priority"] == "P4"
    made = cli(
        "alerts",
        "suppress",
        "--rule",
        "iw-ssh-brute-force",
        "--entity",
        "source_address=198.51.100.5",
        "--reason",
        "lab",
        "--expires",
        "7d",
    )
    assert "suppression" in made.stdout
    [listed_suppression] = json.loads(cli("alerts", "suppressions", "--json").stdout)
    assert listed_suppression["entities"] == {"source_address": "198.51.100.5"}
    failed = cli("alerts", "decide", alert_id, "--decision", "dismiss", expect=2)
    assert "needs a reason" in failed.stderr
