"""distribute_report for real: the action queues the report through notify and the dispatcher mails it.

Actions are enabled in the plan (no dry run); the mail goes to a real SMTP server (aiosmtpd) on
localhost. The incident is TLP:AMBER, so the internal management audience (cleared for amber) reads the
details while the external regulators audience (cleared for green) is told with the content withheld.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ironwatch.bootstrap import Runtime
from ironwatch.core.principal import system_principal
from ironwatch.incidents import schemas as incident_schemas
from ironwatch.incidents import service as incidents
from ironwatch.notify import service as notify
from ironwatch.notify.dispatch import deliver_due
from ironwatch.plan import service as plans
from ironwatch.respond import actions
from ironwatch.respond.runner import run_pending
from ironwatch.respond.schemas import ActionRequestIn
from ironwatch.store.tables import ActionRequestRow
from tests.fixtures.notify import (
    SMTP_PASSWORD,
    WEBHOOK_KEY,
    SmtpSink,
    WebhookReceiver,
    comms_plan_text,
    smtp_sink,
    text_of,
)
from tests.support.people import add_user, principal

ACTIONS_ON = """
settings:
  actions_enabled: true
  actions:
    connectors:
      distribute_report: {enabled: true}
"""
TITLE = "Laptop with the customer list stolen from a car"


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    yield from smtp_sink()


@pytest.fixture
def reporting(runtime: Runtime, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    monkeypatch.setenv("IRONWATCH_SECRET_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("IRONWATCH_SECRET_WEBHOOK_KEY", WEBHOOK_KEY)
    monkeypatch.delenv("IRONWATCH_SECRETS_FILE", raising=False)
    add_user(runtime, "ann", "incident_manager")
    with WebhookReceiver() as webhook, runtime.uow(system_principal("test"), write=True) as uow:
        plans.apply_plan(uow, comms_plan_text(smtp.port, webhook.url, extra=ACTIONS_ON), source="test")
        uow.commit()
        yield runtime


def _incident(runtime: Runtime) -> str:
    data = incident_schemas.IncidentCreate.model_validate(
        {
            "title": TITLE,
            "summary": "4,000 customer records on an unencrypted disk.",
            "priority": "P3",
            "tlp": "amber",
        }
    )
    with runtime.uow(system_principal("test"), write=True) as uow:
        ref = incidents.create_incident(uow, data).ref
        uow.commit()
    return ref


def _distribute(runtime: Runtime, ref: str, audience: str) -> ActionRequestRow:
    with runtime.uow(principal(runtime, "ann"), write=True) as uow:
        row, _ = actions.request_action(
            uow,
            ref,
            ActionRequestIn(
                connector="distribute_report",
                inputs={"audience": audience, "message": "Containment done: the laptop account is locked."},
            ),
        )
        uow.commit()
    assert not row.dry_run and row.status == "approved", "enabled and not destructive: runs at once"
    run_pending(runtime)
    with runtime.uow(principal(runtime, "ann")) as uow:
        return actions.find_action(uow, row.id)[0]


def test_a_distributed_report_is_mailed_to_each_audience_within_its_tlp_clearance(
    reporting: Runtime, smtp: SmtpSink
) -> None:
    ref = _incident(reporting)
    deliver_due(reporting)  # the automatic P3 announcement (webhook only) is out of the way
    assert smtp.messages == []

    management = _distribute(reporting, ref, "management")
    regulators = _distribute(reporting, ref, "regulators")
    for row in (management, regulators):
        assert row.status == "succeeded", row.error
        assert row.result["recorded"]["notifications"], "the report was queued with notify"

    assert deliver_due(reporting) == 2
    (manager,) = smtp.to("cara@tiny.example")
    assert TITLE in text_of(manager) and "Containment done" in text_of(manager)
    (regulator,) = smtp.to("breach@dpa.example")
    assert TITLE not in str(regulator) and "customer records" not in str(regulator)
    assert "[withheld: TLP:AMBER" in text_of(regulator)

    with reporting.uow(principal(reporting, "ann")) as uow:
        log = notify.notification_log(uow, ref)
    sent = {(n.audience, n.recipient, n.status) for n in log if n.rule == "manual"}
    assert sent == {("management", "cara@tiny.example", "sent"), ("regulators", "breach@dpa.example", "sent")}
