"""The notification log, sending by hand, acknowledging and testing channels through the API and the CLI."""

from __future__ import annotations

import csv
import io

import orjson
import pytest

from ironwatch.bootstrap import Runtime
from ironwatch.notify.dispatch import deliver_due
from ironwatch.plan import service as plans
from tests.fixtures.notify import SmtpSink, WebhookReceiver, comms_plan_text, text_of
from tests.integration.conftest import Run
from tests.integration.notify.conftest import OPERATOR, OpenIncident
from tests.support.api import client
from tests.support.people import token_for


def test_the_api_shows_the_incident_notification_log_and_exports_it(
    comms: Runtime, open_incident: OpenIncident
) -> None:
    ref = open_incident(priority="P1")
    deliver_due(comms)
    api = client(comms, token_for(comms, "ria", "responder"))
    log = api.get(f"/api/v1/incidents/{ref}/notifications").json()
    assert [(n["audience"], n["status"]) for n in log] == [
        ("on-call-analyst", "sent"),
        ("management", "sent"),
        ("soc", "sent"),
    ]
    assert all(len(n["content_sha256"]) == 64 and n["attempts"] == 1 for n in log)
    exported = api.get(f"/api/v1/incidents/{ref}/notifications", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["recipient"] for r in rows] == ["dan@tiny.example", "cara@tiny.example", "soc-hook"]


def test_a_user_acknowledges_by_api_and_a_manager_notifies_by_hand(
    comms: Runtime, open_incident: OpenIncident, smtp: SmtpSink
) -> None:
    ref = open_incident(priority="P1")
    analyst = client(comms, token_for(comms, "dan", "analyst"))
    first = analyst.get(f"/api/v1/incidents/{ref}/notifications").json()[0]
    acked = analyst.post(f"/api/v1/notifications/{first['id']}/ack")
    assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "dan"
    assert analyst.post(f"/api/v1/notifications/{first['id']}/ack").status_code == 409

    manager = client(comms, token_for(comms, "ann", "incident_manager"))
    body = {"audience": "management", "message": "Board call at 10:00", "acknowledge_within": "30m"}
    sent = manager.post(f"/api/v1/incidents/{ref}/notifications", json=body)
    assert sent.status_code == 201, sent.text
    assert [(n["rule"], n["recipient"], n["ack_due_at"]) for n in sent.json()] == [
        ("manual", "cara@tiny.example", "2026-03-02T09:30:00Z")
    ]
    unknown = manager.post(f"/api/v1/incidents/{ref}/notifications", json={"audience": "board"})
    assert unknown.status_code == 422 and "management" in unknown.json()["hint"]
    deliver_due(comms)
    notes = [m for m in smtp.to("cara@tiny.example") if "Board call at 10:00" in text_of(m)]
    assert len(notes) == 1 and "Note from ann" in text_of(notes[0])


def test_the_cli_sends_logs_acknowledges_and_tests_channels(
    comms: Runtime, open_incident: OpenIncident, smtp: SmtpSink, webhook: WebhookReceiver, cli: Run
) -> None:
    ref = open_incident(priority="P2")
    sent = cli(
        "notify", "send", ref, "--audience", "management", "--message", "Press enquiry", "--deliver", "--json"
    )
    (item,) = orjson.loads(sent.stdout)
    assert len(smtp.to("cara@tiny.example")) == 1

    logged = cli("notify", "log", ref, "--csv").stdout
    rows = list(csv.DictReader(io.StringIO(logged)))
    assert [(r["id"], r["status"], r["rule"]) for r in rows if r["audience"] == "management"] == [
        (item["id"], "sent", "manual")
    ]
    assert "Notifications for" in cli("notify", "log", ref).stdout
    logged_json = orjson.loads(cli("notify", "log", ref, "--json").stdout)
    assert {n["audience"] for n in logged_json} == {"soc", "management"}

    assert "acknowledged" in cli("notify", "ack", item["id"]).stdout
    cli("notify", "ack", item["id"], expect=4)  # a second time: a conflict, with a message
    cli("notify", "ack", "iwa_not-a-real-token", expect=3)

    cli("notify", "test", "mail", "--to", "ops@tiny.example")
    (test_mail,) = smtp.to("ops@tiny.example")
    assert test_mail["Subject"] == "ironwatch test message for channel mail"
    cli("notify", "test", "soc-hook")
    assert webhook.received[-1].signature_ok and webhook.received[-1].json["test"] == "true"
    missing = cli("notify", "test", "pager", expect=3)
    assert "mail, soc-hook" in missing.stderr


def test_chat_and_paging_go_through_apprise_with_the_url_from_a_secret(
    runtime: Runtime,
    smtp: SmtpSink,
    webhook: WebhookReceiver,
    secrets_env: None,
    cli: Run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chat = "    - {id: chat, kind: apprise, secret: CHAT_URL}\n"
    text = comms_plan_text(smtp.port, webhook.url).replace("  audiences:\n", chat + "  audiences:\n", 1)
    with runtime.uow(OPERATOR, write=True) as uow:
        plans.apply_plan(uow, text, source="comms_plan.yaml")
        uow.commit()
    port = webhook.url.split(":")[2].split("/")[0]
    monkeypatch.setenv("IRONWATCH_SECRET_CHAT_URL", f"json://127.0.0.1:{port}/chat-hook")
    cli("notify", "test", "chat")
    (posted,) = webhook.received
    assert posted.json["title"] == "ironwatch test message for channel chat"
    assert "test of the apprise channel chat" in posted.json["message"]
