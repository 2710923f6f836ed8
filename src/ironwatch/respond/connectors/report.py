"""Distribute an incident report to an audience of the plan, through the notification channels.

The connector only decides what to send; the runner queues it with the notification service in the
transaction that records the action, and notification delivery sends it (with retries and escalation).
"""

from __future__ import annotations

from pydantic import Field

from ironwatch.plan.fieldtypes import Identifier
from ironwatch.respond.connectors.base import (
    ActionConnector,
    ActionContext,
    ActionOutcome,
    ConnectorModel,
    NoConfig,
    ReportRequest,
    Target,
)


class ReportInputs(ConnectorModel):
    audience: Identifier = Field(description="an audience id of the plan's communication section")
    template: Identifier | None = Field(default=None, description="technical, executive, external...")
    message: str = Field(default="", max_length=5000, description="a note added to the report")


class DistributeReport(ActionConnector[ReportInputs, NoConfig]):
    """Send the incident's report to people (management, staff, a partner) through notify's channels."""

    name = "distribute_report"
    title = "Distribute an incident report"
    inputs_model = ReportInputs

    def targets(self, inputs: ReportInputs) -> list[Target]:
        del inputs
        return []

    def dry_run(self, inputs: ReportInputs, context: ActionContext) -> ActionOutcome:
        del context
        template = inputs.template or "the audience's template"
        return ActionOutcome(f"would send {template} report to audience {inputs.audience}", {})

    def execute(self, inputs: ReportInputs, context: ActionContext) -> ActionOutcome:
        del context
        return ActionOutcome(
            f"report queued for audience {inputs.audience}",
            {"audience": inputs.audience, "template": inputs.template},
            reports=[ReportRequest(inputs.audience, inputs.template, inputs.message)],
        )
