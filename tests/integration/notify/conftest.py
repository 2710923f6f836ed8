"""Fixtures for the notification tests: real SMTP and webhook receivers and the plan that points at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ironwatch.bootstrap import Runtime
from ironwatch.core.principal import local_principal
from ironwatch.incidents import schemas as incident_schemas
from ironwatch.incidents import service as incidents
from ironwatch.plan import service as plans
from tests.fixtures.notify import (
    SMTP_PASSWORD,
    WEBHOOK_KEY,
    SmtpSink,
    WebhookReceiver,
    comms_plan_text,
    smtp_sink,
)

OPERATOR = local_principal("tester")


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    yield from smtp_sink()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IRONWATCH_SECRET_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("IRONWATCH_SECRET_WEBHOOK_KEY", WEBHOOK_KEY)
    monkeypatch.delenv("IRONWATCH_SECRETS_FILE", raising=False)


@pytest.fixture
def comms(runtime: Runtime, smtp: SmtpSink, webhook: WebhookReceiver, secrets_env: None) -> Runtime:
    """The runtime with the notification test plan applied."""
    with runtime.uow(OPERATOR, write=True) as uow:
        plans.apply_plan(uow, comms_plan_text(smtp.port, webhook.url), source="comms_plan.yaml")
        uow.commit()
    return runtime


OpenIncident = Callable[..., str]


@pytest.fixture
def open_incident(comms: Runtime) -> OpenIncident:
    def open_(title: str = "Ransomware on the file server", **fields: Any) -> str:
        data = incident_schemas.IncidentCreate.model_validate({"title": title, **fields})
        with comms.uow(OPERATOR, write=True) as uow:
            ref = incidents.create_incident(uow, data).ref
            uow.commit()
        return ref

    return open_
