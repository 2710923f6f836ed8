"""Webhooks (generic SOAR integration) and a generic firewall REST call."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AnyHttpUrl, Field

from ironwatch.plan.fieldtypes import Duration, Identifier
from ironwatch.respond.connectors.base import (
    ActionConnector,
    ActionContext,
    ActionOutcome,
    ConnectorModel,
    Target,
)
from ironwatch.respond.connectors.http import Endpoint, post_json
from ironwatch.respond.connectors.targets import Network

Scalar = str | int | float | bool | None


class WebhookInputs(ConnectorModel):
    event: Identifier = Field(description="what happened or what the far side should do, e.g. contain-host")
    data: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict, description="values to send")


class Webhook(ActionConnector[WebhookInputs, Endpoint]):
    """POST a signed JSON document to a SOAR or automation endpoint configured in the plan."""

    name = "webhook"
    title = "Call a webhook (HMAC-signed JSON)"
    inputs_model = WebhookInputs
    config_model = Endpoint

    def targets(self, inputs: WebhookInputs) -> list[Target]:
        del inputs
        return [Target("url", str(self.config.url))]

    def _payload(self, inputs: WebhookInputs, context: ActionContext) -> dict[str, Any]:
        return {
            "event": inputs.event,
            "incident": context.incident_ref,
            "action_id": context.action_id,
            "data": inputs.data,
        }

    def dry_run(self, inputs: WebhookInputs, context: ActionContext) -> ActionOutcome:
        payload = self._payload(inputs, context)
        return ActionOutcome(f"would POST {inputs.event} to {self.config.url}", {"payload": payload})

    def execute(self, inputs: WebhookInputs, context: ActionContext) -> ActionOutcome:
        payload = self._payload(inputs, context)
        answer = post_json(
            self.config,
            payload,
            idempotency_key=context.idempotency_key,
            timeout=context.timeout,
        )
        return ActionOutcome(
            f"POST {inputs.event} to {self.config.url}: {answer.status}",
            {"payload": payload, "status": answer.status, "response": answer.body},
        )


class FirewallRestConfig(Endpoint):
    undo_url: AnyHttpUrl | None = Field(default=None, description="where an unblock goes (default: url)")
    undo_method: Literal["POST", "DELETE"] = "DELETE"


class FirewallRestInputs(ConnectorModel):
    address: Network = Field(description="the IP address or network to block")
    duration: Duration | None = Field(default=None, description="undo automatically after this long")


class FirewallRest(ActionConnector[FirewallRestInputs, FirewallRestConfig]):
    """Ask a firewall's REST API to block an address: ``{"action": "block", "address": ...}``."""

    name = "firewall_rest"
    title = "Block an address through a firewall's REST API"
    destructive = True
    undoable = True
    inputs_model = FirewallRestInputs
    config_model = FirewallRestConfig

    def targets(self, inputs: FirewallRestInputs) -> list[Target]:
        return [Target("address", inputs.address)]

    def _payload(self, inputs: FirewallRestInputs, context: ActionContext, action: str) -> dict[str, Any]:
        return {
            "action": action,
            "address": inputs.address,
            "incident": context.incident_ref,
            "action_id": context.action_id,
        }

    def dry_run(self, inputs: FirewallRestInputs, context: ActionContext) -> ActionOutcome:
        payload = self._payload(inputs, context, "block")
        return ActionOutcome(f"would ask {self.config.url} to block {inputs.address}", {"payload": payload})

    def execute(self, inputs: FirewallRestInputs, context: ActionContext) -> ActionOutcome:
        payload = self._payload(inputs, context, "block")
        answer = post_json(
            self.config,
            payload,
            idempotency_key=context.idempotency_key,
            timeout=context.timeout,
        )
        return ActionOutcome(
            f"{self.config.url} blocked {inputs.address} ({answer.status})",
            {"payload": payload, "status": answer.status, "response": answer.body},
        )

    def undo(self, inputs: FirewallRestInputs, context: ActionContext) -> ActionOutcome:
        payload = self._payload(inputs, context, "unblock")
        url = str(self.config.undo_url or self.config.url)
        answer = post_json(
            self.config,
            payload,
            idempotency_key=context.idempotency_key + ":undo",
            timeout=context.timeout,
            method=self.config.undo_method,
            url=url,
        )
        return ActionOutcome(
            f"{url} unblocked {inputs.address} ({answer.status})",
            {"payload": payload, "status": answer.status},
        )
