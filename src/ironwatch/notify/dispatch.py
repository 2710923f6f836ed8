"""The dispatcher: claims queued notifications with a lease, delivers them, records the outcome.

A claim marks rows ``sending`` with ``lease_until`` in one short transaction (on PostgreSQL with
``FOR UPDATE SKIP LOCKED``; SQLite writers are serialised anyway), so two dispatchers never take
the same row. Delivery happens outside any transaction; the outcome is written after it. A row
still ``sending`` when its lease has run out belonged to a dispatcher that stopped mid-send: it
may or may not have gone out, so it is not sent again (no double sends) but marked ``failed``
with that explanation, visible in the log, and escalation still applies to it.

Failures that may pass (a timeout, a 5xx, SMTP 4xx) are retried after doubling waits from the
plan's ``communication.delivery.backoff`` (at most one hour) up to ``max_attempts``.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from ironwatch.core.principal import system_principal
from ironwatch.notify.channels import DeliveryError, OutgoingMessage, open_channel
from ironwatch.notify.comms_plan import plan_in_force
from ironwatch.notify.rendering import ACK_URL_MARK, with_ack_url
from ironwatch.notify.secrets import Secrets
from ironwatch.plan.models import Plan
from ironwatch.store.tables import IncidentRow, NotificationRow
from ironwatch.store.uow import UnitOfWork

if TYPE_CHECKING:
    from ironwatch.bootstrap import Runtime

log = logging.getLogger("ironwatch.notify")

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)
BATCH = 20
ACK_TOKEN_PREFIX = "iwa_"  # noqa: S105 (a marker, not a secret)
ACK_PATH = "/api/v1/notifications/ack"


def ack_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class Claimed:
    """A claimed row, ready to send: the message with its fresh acknowledgement link in place."""

    id: str
    channel: str
    message: OutgoingMessage


def _backoff(plan: Plan | None, attempts: int) -> timedelta:
    base: timedelta = plan.communication.delivery.backoff if plan else timedelta(seconds=30)
    wait: timedelta = base * (2 ** max(attempts - 1, 0))
    return min(wait, MAX_BACKOFF)


def _max_attempts(plan: Plan | None) -> int:
    return plan.communication.delivery.max_attempts if plan else 5


def _interrupted(uow: UnitOfWork) -> None:
    now = uow.clock.now()
    stale = uow.session.scalars(
        select(NotificationRow).where(NotificationRow.status == "sending", NotificationRow.lease_until < now)
    ).all()
    for row in stale:
        row.status = "failed"
        row.lease_until = None
        row.last_error = (
            "delivery was interrupted (the dispatcher stopped while sending); it may or may not have "
            "arrived, so it is not sent again: check with the recipient or send it again with `notify send`"
        )
        row.updated_at = now


def claim_due(uow: UnitOfWork, *, public_url: str, limit: int = BATCH) -> list[Claimed]:
    """Claim up to ``limit`` queued notifications that are due, for this dispatcher only."""
    now = uow.clock.now()
    uow.set_action("notification.claim")
    _interrupted(uow)
    query = (
        select(NotificationRow)
        .where(
            NotificationRow.status == "queued",
            or_(NotificationRow.next_attempt_at.is_(None), NotificationRow.next_attempt_at <= now),
        )
        .order_by(NotificationRow.next_attempt_at, NotificationRow.id)
        .limit(limit)
    )
    if uow.db.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed: list[Claimed] = []
    for row in uow.session.scalars(query).all():
        row.status = "sending"
        row.lease_until = now + LEASE
        row.attempts += 1
        row.updated_at = now
        ack_url = None
        if row.ack_due_at is not None and ACK_URL_MARK in row.body_text + (row.body_html or ""):
            token = ACK_TOKEN_PREFIX + secrets.token_urlsafe(24)
            row.ack_token_hash = ack_token_hash(token)
            ack_url = f"{public_url.rstrip('/')}{ACK_PATH}?token={token}"
        incident = uow.session.get(IncidentRow, row.incident_id) if row.incident_id else None
        message = OutgoingMessage(
            notification_id=row.id,
            recipient=row.recipient,
            subject=row.subject,
            text=with_ack_url(row.body_text, ack_url),
            html=with_ack_url(row.body_html, ack_url) if row.body_html else None,
            metadata={
                "incident": incident.ref if incident else None,
                "rule": row.rule,
                "trigger": row.trigger,
                "audience": row.audience,
                "tlp": row.tlp,
                "ack_url": ack_url,
            },
        )
        claimed.append(Claimed(row.id, row.channel, message))
    uow.flush()
    uow.set_action(None)
    return claimed


def record_outcome(
    uow: UnitOfWork, notification_id: str, error: DeliveryError | None
) -> NotificationRow | None:
    """Write what happened to one claimed notification: sent, queued again later, or failed."""
    row = uow.session.get(NotificationRow, notification_id)
    if row is None or row.status != "sending":
        return row
    plan = plan_in_force(uow)
    now = uow.clock.now()
    row.lease_until = None
    row.updated_at = now
    if error is None:
        uow.set_action("notification.sent")
        row.status = "sent"
        row.sent_at = now
        row.last_error = None
    elif error.retryable and row.attempts < _max_attempts(plan):
        uow.set_action("notification.retry")
        row.status = "queued"
        row.next_attempt_at = now + _backoff(plan, row.attempts)
        row.last_error = str(error)
    else:
        uow.set_action("notification.failed")
        row.status = "failed"
        row.next_attempt_at = None
        row.last_error = str(error)
    uow.flush()
    uow.set_action(None)
    return row


def anything_due(uow: UnitOfWork) -> bool:
    """Whether a round has work: a due queued row or an expired lease (one cheap read, no write lock)."""
    now = uow.clock.now()
    found = uow.session.scalar(
        select(NotificationRow.id)
        .where(
            or_(
                (NotificationRow.status == "queued") & (NotificationRow.next_attempt_at <= now),
                (NotificationRow.status == "sending") & (NotificationRow.lease_until < now),
            )
        )
        .limit(1)
    )
    return found is not None


def deliver_due(runtime: Runtime, *, secrets_source: Secrets | None = None) -> int:
    """One round of the dispatcher: claim, send, record; the number of notifications handled."""
    principal = system_principal("notify")
    public_url = runtime.settings.effective_public_url
    with runtime.uow(principal) as uow:
        if not anything_due(uow):
            return 0
    with runtime.uow(principal, write=True) as uow:
        plan = plan_in_force(uow)
        claimed = claim_due(uow, public_url=public_url)
        uow.commit()
    if not claimed:
        return 0
    source = secrets_source or Secrets()
    for item in claimed:
        error: DeliveryError | None = None
        config = plan.communication.channel(item.channel) if plan else None
        try:
            if config is None:
                raise DeliveryError(
                    f"the plan has no channel {item.channel!r} any more; add it back or send again",
                    retryable=False,
                )
            open_channel(config, source).send(item.message, now=runtime.clock.now())
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # a configuration error (missing secret) or a channel bug
            error = DeliveryError(str(exc), retryable=False)
        if error is not None:
            log.warning("notification %s over %s not delivered: %s", item.id, item.channel, error)
        with runtime.uow(principal, write=True) as uow:
            record_outcome(uow, item.id, error)
            uow.commit()
    return len(claimed)
