"""The done-when of the communication plan: real SMTP and webhook receivers, a frozen clock."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import text

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.errors import ConflictError
from ironwatch.core.principal import system_principal
from ironwatch.incidents import service as incidents
from ironwatch.incidents.schemas import IncidentUpdate
from ironwatch.notify import service as notify
from ironwatch.notify.acks import acknowledge
from ironwatch.notify.dispatch import claim_due, deliver_due
from ironwatch.notify.escalation import escalate_due
from ironwatch.store.tables import NotificationRow
from tests.fixtures.notify import SMTP_PASSWORD, WEBHOOK_KEY, SmtpSink, WebhookReceiver, html_of, text_of
from tests.integration.notify.conftest import OPERATOR, OpenIncident
from tests.support.api import client

LINK = re.compile(r"http://127\.0\.0\.1:8400/api/v1/notifications/ack\?token=(iwa_[A-Za-z0-9_-]+)")


def _log(runtime: Runtime, ref: str) -> list[NotificationRow]:
    with runtime.uow(OPERATOR) as uow:
        return notify.notification_log(uow, ref)


def test_a_p1_creation_notifies_the_on_call_analyst_and_management_with_their_templates(
    comms: Runtime, open_incident: OpenIncident, smtp: SmtpSink, webhook: WebhookReceiver
) -> None:
    ref = open_incident(
        summary="Files on \\\\fs01 encrypted; ransom note found.", priority="P1", severity="high"
    )

    queued = _log(comms, ref)
    assert {(n.audience, n.recipient, n.status) for n in queued} == {
        ("on-call-analyst", "dan@tiny.example", "queued"),  # dan has the analyst rota this week
        ("management", "cara@tiny.example", "queued"),
        ("soc", "soc-hook", "queued"),
    }
    assert deliver_due(comms) == 3

    (analyst,) = smtp.to("dan@tiny.example")
    assert analyst["Subject"] == f"[P1] {ref} opened: Ransomware on the file server"
    assert analyst["From"] == "ironwatch@tiny.example"
    assert analyst["Reply-To"] == "security@tiny.example"
    body = text_of(analyst)
    assert "Severity:  high" in body and "ransom note found" in body
    assert LINK.search(body), "the technical message carries the acknowledgement link"
    assert "Acknowledge by 2026-03-02 09:15 UTC" in body
    html = html_of(analyst)
    assert html is not None and "<h2>" in html and LINK.search(html)

    (manager,) = smtp.to("cara@tiny.example")
    assert manager["Subject"] == f"Security incident {ref} (P1) opened"
    assert "Business priority: P1" in text_of(manager)
    assert "Severity:" not in text_of(manager), "management gets the executive variant"

    (hook,) = webhook.received
    assert hook.signature_ok and hook.json["incident"] == ref and hook.json["subject"].startswith("[P1]")

    log = _log(comms, ref)
    assert {n.status for n in log} == {"sent"}
    assert all(n.attempts == 1 and len(n.content_sha256) == 64 for n in log)


def test_a_p3_incident_is_not_announced_to_management(
    comms: Runtime, open_incident: OpenIncident, smtp: SmtpSink
) -> None:
    ref = open_incident(priority="P3")
    assert [n.audience for n in _log(comms, ref)] == ["soc"]


def test_an_unacknowledged_notification_escalates_to_the_next_level_after_its_deadline(
    comms: Runtime, open_incident: OpenIncident, smtp: SmtpSink, clock: FrozenClock
) -> None:
    ref = open_incident(priority="P1")
    deliver_due(comms)
    clock.advance(timedelta(minutes=14))
    assert escalate_due(comms) == 0, "not before the deadline"
    assert smtp.to("ann@tiny.example") == []

    clock.advance(timedelta(minutes=2))
    assert escalate_due(comms) == 1
    deliver_due(comms)

    (call,) = smtp.to("ann@tiny.example")  # level 1: the incident manager
    assert call["Subject"].startswith("[ESCALATION L1] [P1]")
    assert "not acknowledged since 2026-03-02 09:00 UTC by cara@tiny.example, dan@tiny.example" in text_of(
        call
    )
    log = _log(comms, ref)
    originals = [n for n in log if n.rule == "major-incident"]
    assert {n.status for n in originals} == {"escalated"}
    (level_one,) = [n for n in log if n.rule == "escalation"]
    assert (level_one.escalation_level, level_one.status) == (1, "sent")
    # level 1 has until level 2 is due (1h - 15m) before management's sponsor is called
    assert level_one.ack_due_at == clock.now() + timedelta(minutes=45)

    clock.advance(timedelta(minutes=46))
    assert escalate_due(comms) == 1
    deliver_due(comms)
    assert len(smtp.to("cara@tiny.example")) == 2, "level 2: the management sponsor, again"
    assert escalate_due(comms) == 0


def test_acknowledgement_by_link_stops_the_escalation_and_works_once(
    comms: Runtime, open_incident: OpenIncident, smtp: SmtpSink, clock: FrozenClock
) -> None:
    ref = open_incident(priority="P1")
    deliver_due(comms)
    (message,) = smtp.to("dan@tiny.example")
    found = LINK.search(text_of(message))
    assert found is not None
    token = found.group(1)

    with client(comms) as api:
        page = api.get(f"/api/v1/notifications/ack?token={token}")
        assert page.status_code == 200 and "Acknowledge" in page.text
        answer = api.post(f"/api/v1/notifications/ack?token={token}")
        assert answer.status_code == 200, answer.text
        assert answer.json()["acknowledged_by"] == "link:dan@tiny.example"
        assert api.post(f"/api/v1/notifications/ack?token={token}").status_code == 404, "single use"

    clock.advance(timedelta(hours=2))
    assert escalate_due(comms) == 0
    deliver_due(comms)
    assert smtp.to("ann@tiny.example") == []
    statuses = {n.recipient: n.status for n in _log(comms, ref)}
    assert statuses["dan@tiny.example"] == "acknowledged"
    assert statuses["cara@tiny.example"] == "sent"
    with comms.uow(OPERATOR) as uow:
        hashes = uow.session.scalars(text("SELECT ack_token_hash FROM notifications")).all()
    assert token not in str(hashes)


def test_tlp_red_content_never_reaches_an_external_audience(
    comms: Runtime, open_incident: OpenIncident, smtp: SmtpSink
) -> None:
    secret_title = "Breach of the payroll database by insider J. Doe"
    ref = open_incident(secret_title, summary="J. Doe copied 10,000 payslips.", priority="P2", tlp="red")
    with comms.uow(OPERATOR, write=True) as uow:
        incident = incidents.find_incident(uow, ref)
        uow.publish(
            DomainEvent("incident.special_handling", incident.id, {"ref": ref, "flags": ["personal_data"]})
        )
        uow.commit()
    deliver_due(comms)

    log = _log(comms, ref)
    (regulator,) = [n for n in log if n.audience == "regulators"]
    assert regulator.recipient == "breach@dpa.example"
    assert regulator.status == "withheld" and "TLP:RED" in (regulator.last_error or "")
    assert smtp.to("breach@dpa.example") == [], "nothing is sent to the regulator"
    assert secret_title not in regulator.body_text and secret_title not in regulator.subject

    (manager,) = smtp.to("cara@tiny.example")  # internal, cleared for amber: told, content withheld
    assert secret_title not in str(manager) and "payslips" not in str(manager)
    assert "[withheld: TLP:RED content" in text_of(manager)
    with pytest.raises(ConflictError, match="withheld"), comms.uow(OPERATOR, write=True) as uow:
        acknowledge(uow, regulator.id)


def test_a_webhook_is_retried_after_a_500_and_then_delivered(
    comms: Runtime, open_incident: OpenIncident, webhook: WebhookReceiver, clock: FrozenClock
) -> None:
    webhook.statuses = [500]
    ref = open_incident(priority="P4")
    deliver_due(comms)
    (hook,) = _log(comms, ref)
    assert (hook.status, hook.attempts) == ("queued", 1)
    assert "answered 500" in (hook.last_error or "")

    assert deliver_due(comms) == 0, "not again before the backoff has passed"
    clock.advance(timedelta(seconds=31))
    assert deliver_due(comms) == 1
    (hook,) = _log(comms, ref)
    assert (hook.status, hook.attempts, hook.last_error) == ("sent", 2, None)
    assert len(webhook.received) == 2 and all(r.signature_ok for r in webhook.received)
    assert (
        webhook.received[0].headers["X-Ironwatch-Delivery"]
        == webhook.received[1].headers["X-Ironwatch-Delivery"]
    )


def test_a_webhook_that_keeps_failing_ends_failed_after_max_attempts(
    comms: Runtime, open_incident: OpenIncident, webhook: WebhookReceiver, clock: FrozenClock
) -> None:
    webhook.statuses = [503, 503, 503]
    ref = open_incident(priority="P4")
    for _ in range(3):
        deliver_due(comms)
        clock.advance(timedelta(minutes=5))
    (hook,) = _log(comms, ref)
    assert (hook.status, hook.attempts) == ("failed", 3)


def test_secrets_never_appear_in_the_database_or_the_logs(
    comms: Runtime, open_incident: OpenIncident, smtp: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    open_incident(priority="P1")
    deliver_due(comms)
    assert smtp.messages and smtp.logins and all(smtp.logins), "mail went out, logged in with the password"
    dump = []
    with comms.uow(OPERATOR) as uow:
        for table in ("notifications", "audit_entries", "plan_versions"):
            dump += [str(tuple(row)) for row in uow.session.execute(text(f"SELECT * FROM {table}")).all()]  # noqa: S608
    everything = "\n".join(dump) + caplog.text
    assert "SMTP_PASSWORD" in everything, "the plan names the secret..."
    assert SMTP_PASSWORD not in everything and WEBHOOK_KEY not in everything, "...but never holds it"


def test_a_missing_secret_fails_the_delivery_with_a_hint(
    comms: Runtime, open_incident: OpenIncident, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IRONWATCH_SECRET_WEBHOOK_KEY")
    ref = open_incident(priority="P4")
    deliver_due(comms)
    (hook,) = _log(comms, ref)
    assert hook.status == "failed"
    assert "the secret WEBHOOK_KEY is not set" in (hook.last_error or "")


def test_a_dispatcher_that_stopped_mid_send_does_not_send_twice(
    comms: Runtime, open_incident: OpenIncident, webhook: WebhookReceiver, clock: FrozenClock
) -> None:
    ref = open_incident(priority="P4")
    with comms.uow(system_principal("crashed"), write=True) as uow:
        assert len(claim_due(uow, public_url="http://x")) == 1  # claimed, then the process died
        uow.commit()
    assert deliver_due(comms) == 0, "a claimed row is not taken by another dispatcher"
    clock.advance(timedelta(minutes=6))
    deliver_due(comms)
    (hook,) = _log(comms, ref)
    assert hook.status == "failed" and "interrupted" in (hook.last_error or "")
    assert webhook.received == []


def test_obligation_events_and_a_raised_priority_reach_the_audiences_of_their_rules(
    comms: Runtime, open_incident: OpenIncident, smtp: SmtpSink
) -> None:
    ref = open_incident("Laptop with customer data stolen", priority="P3")
    with comms.uow(OPERATOR, write=True) as uow:
        incident = incidents.find_incident(uow, ref)
        data = {
            "ref": ref,
            "obligation_id": "gdpr-art33",
            "title": "GDPR Art. 33: notify the supervisory authority",
            "recipient": "data-protection-authority",
            "deadline": "2026-03-05T09:00:00+00:00",
        }
        uow.publish(DomainEvent("obligation.opened", incident.id, data))
        incidents.update_incident(uow, ref, IncidentUpdate(priority="P1"))
        uow.commit()
    deliver_due(comms)

    told = {(n.rule, n.recipient) for n in _log(comms, ref) if n.rule != "soc-feed"}
    assert told == {
        ("personal-data", "cara@tiny.example"),
        ("personal-data", "breach@dpa.example"),
        ("major-incident", "dan@tiny.example"),
        ("major-incident", "cara@tiny.example"),
    }
    (obligation,) = [m for m in smtp.to("cara@tiny.example") if "obligation opened" in m["Subject"]]
    assert "Title: GDPR Art. 33: notify the supervisory authority" in text_of(obligation)
    assert "Deadline: 2026-03-05T09:00:00+00:00" in text_of(obligation)
    (raised,) = smtp.to("dan@tiny.example")
    assert raised["Subject"] == f"[P1] {ref} priority changed from P3 to P1: Laptop with customer data stolen"
    (regulator,) = smtp.to("breach@dpa.example")  # external, cleared for green: the amber content is withheld
    assert "Laptop" not in str(regulator) and "[withheld: TLP:AMBER" in text_of(regulator)
