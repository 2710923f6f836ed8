"""Notification services: the incident's notification log, sending by hand, testing a channel.

The automatic part (rules, outbox, dispatcher, escalation) lives in ``comms_plan``, ``outbox``,
``dispatch`` and ``escalation``; acknowledgements in ``acks``.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from sqlalchemy import select

from ironwatch.core.errors import NotFoundError, ValidationError
from ironwatch.core.ids import new_id
from ironwatch.core.permissions import Permission
from ironwatch.incidents.service import find_incident
from ironwatch.notify import schemas as s
from ironwatch.notify.channels import DeliveryError, OutgoingMessage, open_channel
from ironwatch.notify.comms_plan import plan_in_force
from ironwatch.notify.outbox import Occasion, queue_for_audience
from ironwatch.notify.secrets import Secrets
from ironwatch.plan.models import Plan
from ironwatch.store.audit import append_event
from ironwatch.store.tables import NotificationRow
from ironwatch.store.uow import UnitOfWork

_NO_PLAN_HINT = "apply a plan with a communication section: `ironwatch plan apply plan.yaml`"


def _plan(uow: UnitOfWork) -> Plan:
    plan = plan_in_force(uow)
    if plan is None:
        raise NotFoundError("no plan has been applied yet", hint=_NO_PLAN_HINT)
    return plan


def notification_log(uow: UnitOfWork, key: str) -> list[NotificationRow]:
    """Every notification about incident ``key``, oldest first (``incident:read``, need-to-know applies)."""
    incident = find_incident(uow, key)
    return list(
        uow.session.scalars(
            select(NotificationRow)
            .where(NotificationRow.incident_id == incident.id)
            .order_by(NotificationRow.created_at, NotificationRow.id)
        ).all()
    )


def log_as_csv(rows: list[NotificationRow]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=s.CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        record = s.NotificationOut.model_validate(row).model_dump(mode="json")
        writer.writerow({k: record.get(k, "") for k in s.CSV_COLUMNS})
    return out.getvalue()


def send_notification(uow: UnitOfWork, key: str, data: s.NotificationSend) -> list[NotificationRow]:
    """Queue a message about incident ``key`` to one audience of the plan, by hand (``notify:send``)."""
    uow.principal.require(Permission.NOTIFY_SEND)
    incident = find_incident(uow, key)
    plan = _plan(uow)
    audience = plan.communication.audience(data.audience)
    if audience is None:
        known = ", ".join(a.id for a in plan.communication.audiences) or "none defined"
        raise ValidationError(
            f"the plan has no audience {data.audience!r}",
            hint=f"use one of: {known} (communication.audiences in the plan)",
        )
    template = data.template or audience.template
    known_templates = {"technical", "executive", "external", *plan.communication.templates}
    if template not in known_templates:
        raise ValidationError(
            f"there is no template {template!r}", hint=f"use one of: {', '.join(sorted(known_templates))}"
        )
    occasion = Occasion(
        trigger="manual",
        headline="update",
        rule="manual",
        message=data.message,
        sender=uow.principal.name,
    )
    uow.set_action("notification.send")
    rows = queue_for_audience(
        uow,
        plan,
        audience,
        incident=incident,
        occasion=occasion,
        batch=new_id(),
        template=template,
        acknowledge_within=data.acknowledge_within,
    )
    uow.set_action(None)
    if not rows:
        raise ValidationError(
            f"the audience {audience.id!r} has nobody to tell", hint="name people, roles or addresses for it"
        )
    return rows


def test_channel(
    uow: UnitOfWork, channel_id: str, *, to: str | None = None, secrets_source: Secrets | None = None
) -> s.ChannelTestResult:
    """Send a test message over a channel of the plan now and record the outcome in the audit trail.

    ``to`` is the address for an e-mail channel (default: the channel's reply-to or from address).
    """
    uow.principal.require(Permission.NOTIFY_SEND)
    plan = _plan(uow)
    config = plan.communication.channel(channel_id)
    if config is None:
        known = ", ".join(c.id for c in plan.communication.channels) or "none defined"
        raise NotFoundError(f"the plan has no channel {channel_id!r}", hint=f"use one of: {known}")
    if config.kind == "email":
        recipient = to or config.reply_to or config.from_address
    elif to:
        raise ValidationError("--to only applies to e-mail channels", hint="leave it out for this channel")
    else:
        recipient = config.id
    now: datetime = uow.clock.now()
    message = OutgoingMessage(
        notification_id=new_id(),
        recipient=recipient,
        subject=f"ironwatch test message for channel {config.id}",
        text=f"This is a test of the {config.kind} channel {config.id} of {plan.organisation.name}, "
        f"sent by {uow.principal.name} at {now:%Y-%m-%d %H:%M UTC}. No action is needed.\n",
        metadata={"test": "true"},
    )
    error: str | None = None
    try:
        open_channel(config, secrets_source or Secrets()).send(message, now=now)
    except DeliveryError as exc:
        error = str(exc)
    append_event(
        uow.session,
        uow.session.info["audit"],
        action="notification.test",
        object_type="channel",
        object_id=config.id,
        details={"recipient": recipient, "delivered": error is None, "error": error},
    )
    return s.ChannelTestResult(
        channel=config.id, kind=config.kind, recipient=recipient, delivered=error is None, error=error
    )
