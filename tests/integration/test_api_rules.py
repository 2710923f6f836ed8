"""``/api/v1/rules``: upload, list, show, switch, lint, test; detection counters in status and metrics."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy import select

from ironwatch.bootstrap import Runtime
from ironwatch.core.principal import system_principal
from ironwatch.store.tables import AlertRow
from tests.support.api import client
from tests.support.people import token_for

RULES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
ROOT_LOGIN = "7c0f2a9d-6b1e-4f3a-8d52-91e4b7a0c3d2"
YAML = {"content-type": "application/yaml"}


def test_upload_list_show_switch_and_lint(runtime: Runtime) -> None:
    api = client(runtime, token_for(runtime, "ana", "analyst"))
    text = (RULES / "sshd_root_accepted.yml").read_text()
    loaded = api.post("/api/v1/rules?name=root.yml", content=text, headers=YAML)
    assert loaded.status_code == 200, loaded.text
    assert (loaded.json()["compiled"], loaded.json()["added"]) == (1, 1)
    listed = api.get("/api/v1/rules", params={"state": "compiled", "origin": "upload"}).json()
    assert [item["rule_id"] for item in listed["items"]] == [ROOT_LOGIN]
    assert listed["items"][0]["source_path"] == "upload:root.yml"
    shown = api.get(f"/api/v1/rules/{ROOT_LOGIN}").json()
    assert shown["text"] == text and shown["enabled"]
    refused = api.post(f"/api/v1/rules/{ROOT_LOGIN}/disable", json={"reason": ""})
    assert refused.status_code == 422 and "hint" in refused.json()
    off = api.post(f"/api/v1/rules/{ROOT_LOGIN}/disable", json={"reason": "maintenance window"})
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert off.json()["changed_by"] == "ana"
    assert api.post(f"/api/v1/rules/{ROOT_LOGIN}/enable").json()["enabled"] is True
    lint = api.post(
        "/api/v1/rules/lint",
        json={"yaml": (RULES / "broken" / "backreference.yml").read_text(), "name": "x.yml"},
    ).json()
    assert lint["failed"] == 1 and "RE2" in lint["problems"][0]["reason"]
    assert api.get("/api/v1/rules", params={"origin": "upload"}).json()["total"] == 1, "lint stores nothing"
    wrong = api.post("/api/v1/rules", content=b"title: x", headers={"content-type": "text/csv"})
    assert wrong.status_code == 415
    assert api.get("/api/v1/rules/nope").status_code == 404


def test_test_explains_ndjson_events(runtime: Runtime) -> None:
    api = client(runtime, token_for(runtime, "ana", "analyst"))
    api.post(
        "/api/v1/rules?name=root.yml", content=(RULES / "sshd_root_accepted.yml").read_text(), headers=YAML
    )
    body = "\n".join(
        json.dumps(
            {
                "event.dataset": "linux.auth",
                "event.action": "ssh_login",
                "event.outcome": "success",
                "user.name": user,
            }
        )
        for user in ("root", "alice")
    )
    out = api.post(
        f"/api/v1/rules/{ROOT_LOGIN}/test", content=body, headers={"content-type": "application/x-ndjson"}
    )
    assert out.status_code == 200, out.text
    assert [v["matched"] for v in out.json()["verdicts"]] == [True, False]
    assert out.json()["verdicts"][1]["explanation"]["reason"] == "condition false"


def test_events_sent_to_a_serving_app_become_alerts_and_counters(sqlite_runtime: Runtime) -> None:
    runtime = sqlite_runtime
    token = token_for(runtime, "root", "admin")
    client(runtime, token).post(
        "/api/v1/rules?name=root.yml", content=(RULES / "sshd_root_accepted.yml").read_text(), headers=YAML
    )
    event = {
        "event.dataset": "linux.auth",
        "event.action": "ssh_login",
        "event.outcome": "success",
        "user.name": "root",
    }
    with client(runtime, token) as api:
        assert api.post("/api/v1/events", json=[event, {**event, "user.name": "bob"}]).status_code == 202
        deadline = time.monotonic() + 10
        while True:
            with runtime.uow(system_principal("test")) as uow:
                alerts = uow.session.scalars(select(AlertRow)).all()
            if alerts or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert [a.rule_id for a in alerts] == [ROOT_LOGIN]
        status = api.get("/api/v1/status").json()
        assert status["detection"]["events_evaluated"] == 2
        engine = status["detection"]["engine"]
        assert engine.startswith("C accelerator" if status["detection"]["accelerated"] else "Python")
        expected_scanner = "native" if status["detection"]["accelerated"] else "hyperscan"
        assert status["detection"]["literal_scanner"] == expected_scanner
        reader = status["evtx_reader"]
        assert reader["implementation"].startswith(
            "ironwatch C reader" if reader["native"] else "evtx package"
        )
        assert status["detection"]["alerts_opened"] == 1
        assert status["detection"]["rules"]["enabled"] == 1
        metrics = api.get("/metrics").text
        assert "ironwatch_detection_events_evaluated 2.0" in metrics
        assert 'ironwatch_detection_rules{name="enabled"} 1.0' in metrics
