"""Letting a requested action through the guard rails: refused, awaiting approval, or approved."""

from __future__ import annotations

from datetime import datetime

from ironwatch.core.errors import ValidationError
from ironwatch.plan.models import Plan
from ironwatch.respond import guards
from ironwatch.respond.connectors.registry import AnyConnector, connector_class
from ironwatch.respond.states import ActionState
from ironwatch.store.tables import ActionRequestRow

S = ActionState


def build_connector(plan: Plan, name: str) -> AnyConnector:
    """The connector ``name`` configured from the plan (a bad configuration is a ConfigurationError)."""
    return connector_class(name)(guards.connector_settings(plan, name).config)


def check_guard_rails(plan: Plan, row: ActionRequestRow) -> None:
    """Raise ``ValidationError`` when a destructive action's targets are denied or not allowed."""
    if row.destructive:
        instance = build_connector(plan, row.connector)
        guards.check_targets(plan, row.connector, instance.targets(instance.parse_inputs(row.inputs)))


def admit(plan: Plan, row: ActionRequestRow, now: datetime) -> None:
    """Move a ``requested`` row on: refused by the guard rails, awaiting approval, or approved."""
    try:
        check_guard_rails(plan, row)
    except ValidationError as exc:
        row.status = S.REFUSED.value
        row.error = exc.message
        row.finished_at = now
        return
    if guards.needs_approval(plan, destructive=row.destructive, dry_run=row.dry_run):
        row.status = S.AWAITING_APPROVAL.value
    else:
        row.status = S.APPROVED.value
        row.next_attempt_at = now
