"""Facts, questions, obligations and evidence through the REST API and the command line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson

from ironwatch.bootstrap import Runtime
from ironwatch.cli.obligations import _due_cell
from ironwatch.core.principal import system_principal
from ironwatch.obligations import schemas as s
from ironwatch.store.audit import verify_audit
from tests.integration.conftest import Run
from tests.support.api import client
from tests.support.breach import apply_plan, by_duty, open_incident, set_facts
from tests.support.people import token_for

AWARE = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


def test_api_records_facts_lists_due_obligations_and_closes_with_evidence(runtime: Runtime) -> None:
    apply_plan(runtime)
    ref = open_incident(runtime)
    manager = client(runtime, token_for(runtime, "maria", "incident_manager"))
    analyst = client(runtime, token_for(runtime, "ana", "analyst"))

    asked = analyst.get(f"/api/v1/incidents/{ref}/questions").json()
    assert "personal_data" in [q["fact"] for q in asked]
    denied = analyst.patch(f"/api/v1/incidents/{ref}/facts", json={"facts": {"personal_data": True}})
    assert denied.status_code == 403
    body = {"facts": {"personal_data": True, "records": 10000, "subject_jurisdictions": ["EU"],
                      "awareness_at": AWARE.isoformat()}}  # fmt: skip
    result = manager.patch(f"/api/v1/incidents/{ref}/facts", json=body)
    assert result.status_code == 200, result.text
    assert {"gdpr-art33", "contract-insurer-notice"} <= {
        o["duty_id"] for o in result.json()["obligations_changed"]
    }
    bad = manager.patch(f"/api/v1/incidents/{ref}/facts", json={"facts": {"records": "lots"}})
    assert bad.status_code == 422 and "records=10000" in bad.json()["hint"]

    # now 2026-03-02 09:00: the insurer's 2 d and GDPR's 72 h are not due within 24 h, but within 3 d
    assert analyst.get("/api/v1/obligations", params={"due_within": "24h"}).json() == []
    due = analyst.get("/api/v1/obligations", params={"due_within": "3d"}).json()
    assert [o["duty_id"] for o in due] == ["contract-insurer-notice", "gdpr-art33"]
    assert due[1]["ref"] == ref and due[1]["next_deadline"] == "2026-03-05T08:30:00Z"
    assert analyst.get("/api/v1/obligations", params={"due_within": "soon"}).status_code == 422

    art33 = due[1]["id"]
    evidence = {"submitted_at": "2026-03-02T08:55:00Z", "to": "ICO breach portal", "reference": "ICO-77",
                "summary": "initial notification"}  # fmt: skip
    closed = manager.post(f"/api/v1/obligations/{art33}/submissions", json=evidence)
    assert closed.status_code == 201, closed.text
    assert closed.json()["status"] == "closed"
    assert closed.json()["submissions"][0]["reference"] == "ICO-77"
    detail = analyst.get(f"/api/v1/obligations/{art33}").json()
    assert detail["submissions"][0]["submitted_to"] == "ICO breach portal"
    assert manager.post(f"/api/v1/obligations/{art33}/submissions", json=evidence).status_code == 409
    assert analyst.get(f"/api/v1/obligations/{art33}/report").status_code == 200

    audit = manager.get(f"/api/v1/incidents/{ref}/audit").json()
    actions = {e["action"] for e in audit}
    assert {"incident_facts.set", "obligation.evaluate", "obligation.submit"} <= actions
    with runtime.uow(system_principal("test")) as uow:
        report = verify_audit(uow.session)
    assert report.ok, report.problems


def test_api_sets_a_duty_aside_with_a_reason(runtime: Runtime) -> None:
    apply_plan(runtime)
    ref = open_incident(runtime)
    set_facts(runtime, ref, personal_data="yes", subject_jurisdictions="DE", awareness_at=AWARE.isoformat())
    manager = client(runtime, token_for(runtime, "maria", "incident_manager"))
    art33 = by_duty(runtime, ref)["gdpr-art33"].id
    assert (
        manager.post(f"/api/v1/obligations/{art33}/not-applicable", json={"reason": " "}).status_code == 422
    )
    out = manager.post(
        f"/api/v1/obligations/{art33}/not-applicable", json={"reason": "encrypted laptop; key not exposed"}
    ).json()
    assert out["status"] == "not_applicable" and "encrypted laptop" in out["status_reason"]
    # a manual decision stands when the facts are recorded again
    set_facts(runtime, ref, records=10)
    assert by_duty(runtime, ref)["gdpr-art33"].status == "not_applicable"
    listed = manager.get("/api/v1/obligations", params={"incident": ref, "all": True}).json()
    assert "gdpr-art33" in [o["duty_id"] for o in listed]


def test_cli_facts_questions_list_and_close(runtime: Runtime, cli: Run, tmp_path: Path) -> None:
    apply_plan(runtime)
    ref = open_incident(runtime)
    questions = cli("obligations", "questions", ref).stdout
    assert "personal_data" in questions and "Were personal" in questions
    out = cli(
        "obligations", "facts", ref, "--set", "personal_data=yes", "--set", "records=10000",
        "--set", "subject_jurisdictions=EU", "--set", f"awareness_at={AWARE.isoformat()}",
    ).stdout  # fmt: skip
    assert "gdpr-art33" in out
    bad = cli("obligations", "facts", ref, "--set", "high_risk=perhaps", expect=2)
    assert "high_risk=yes" in bad.stderr
    # the CLI runs on the real clock: March 2026 deadlines are long overdue, so "due within 24h"
    rows = orjson.loads(cli("obligations", "list", "--due-within", "24h", "--json").stdout)
    assert {"gdpr-art33", "contract-insurer-notice"} <= {o["duty_id"] for o in rows}
    assert all(o["ref"] == ref for o in rows)
    art33 = next(o["id"] for o in rows if o["duty_id"] == "gdpr-art33")
    assert art33 in cli("obligations", "list", "--incident", ref).stdout
    cell = _due_cell(s.ObligationOut.model_validate(rows[0]), datetime(2026, 3, 10, tzinfo=UTC))
    assert cell.plain.startswith("overdue") and cell.style == "bold red"
    copy = tmp_path / "notification.pdf"
    copy.write_bytes(b"%PDF-1.4 what we sent")
    closed = cli(
        "obligations", "close", art33, "--reference", "ICO-1", "--submitted-at", "2026-03-03T10:00:00Z",
        "--to", "ICO", "--file", str(copy),
    ).stdout  # fmt: skip
    assert "closed" in closed
    detail = client(runtime, token_for(runtime, "aud", "auditor")).get(f"/api/v1/obligations/{art33}").json()
    assert detail["submissions"][0]["attachment_id"]
    shown = orjson.loads(cli("obligations", "facts", ref, "--json").stdout)
    assert shown["facts"]["effective"]["records"] == 10000
    assert shown["facts"]["sources"]["org_jurisdictions"] == "plan"


def test_cli_close_refuses_a_time_without_zone(runtime: Runtime, cli: Run) -> None:
    apply_plan(runtime)
    ref = open_incident(runtime)
    set_facts(runtime, ref, personal_data="yes", subject_jurisdictions="EU", awareness_at=AWARE.isoformat())
    art33 = by_duty(runtime, ref)["gdpr-art33"].id
    result = cli("obligations", "close", art33, "--reference", "x", "--submitted-at", "2026-03-03 10:00",
                 "--to", "ICO", expect=2)  # fmt: skip
    assert "time zone" in result.stderr
    assert by_duty(runtime, ref)["gdpr-art33"].status == "open"
