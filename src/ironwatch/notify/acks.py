"""Acknowledgements: by the single-use link in a message, or by a signed-in user with ``notification:ack``.

The link's token is the credential: only its SHA-256 is stored, and it is cleared when used, so
a link works once. Whoever follows it is recorded in the audit trail as ``link:<recipient>``.
Acknowledging one message of a batch stops the batch's escalation.
"""

from __future__ import annotations

from sqlalchemy import select

from ironwatch.core.errors import ConflictError, NotFoundError, ValidationError
from ironwatch.core.permissions import Permission, Role
from ironwatch.core.principal import Principal
from ironwatch.incidents.service import find_incident
from ironwatch.notify.dispatch import ACK_TOKEN_PREFIX, ack_token_hash
from ironwatch.store.tables import NotificationRow
from ironwatch.store.uow import UnitOfWork

_USED = "this acknowledgement link is not valid or was already used"


def _mark(uow: UnitOfWork, row: NotificationRow, by: str) -> NotificationRow:
    if row.acknowledged_at is not None:
        raise ConflictError(
            f"notification {row.id} was already acknowledged by {row.acknowledged_by}",
            hint="nothing more to do",
        )
    if row.status == "withheld":
        raise ConflictError("this notification was withheld and never sent", hint="nothing to acknowledge")
    now = uow.clock.now()
    uow.set_action("notification.acknowledge")
    row.acknowledged_at = now
    row.acknowledged_by = by
    row.ack_token_hash = None
    row.status = "acknowledged"
    row.updated_at = now
    uow.flush()
    uow.set_action(None)
    return row


def find_by_token(uow: UnitOfWork, token: str) -> NotificationRow:
    """The notification an acknowledgement link belongs to (no permission: the token is the credential)."""
    token = token.strip()
    if not token.startswith(ACK_TOKEN_PREFIX) or len(token) > 200:
        raise NotFoundError(_USED, hint="open the link from the latest message, or acknowledge in ironwatch")
    row = uow.session.scalars(
        select(NotificationRow).where(NotificationRow.ack_token_hash == ack_token_hash(token))
    ).one_or_none()
    if row is None:
        raise NotFoundError(_USED, hint="open the link from the latest message, or acknowledge in ironwatch")
    return row


def acknowledge_by_token(uow: UnitOfWork, token: str) -> NotificationRow:
    """Acknowledge with the token from a message's link; the link is used up."""
    row = find_by_token(uow, token)
    actor = f"link:{row.recipient}"
    uow.act_as(
        Principal(
            name=actor,
            role=Role.REPORTER,
            scopes=frozenset({Permission.NOTIFICATION_ACK}),
            source_ip=uow.principal.source_ip,
            kind="anonymous",
        )
    )
    return _mark(uow, row, actor)


def acknowledge(uow: UnitOfWork, notification_id: str) -> NotificationRow:
    """Acknowledge a notification by its id as the signed-in principal (``notification:ack``)."""
    uow.principal.require(Permission.NOTIFICATION_ACK)
    row = uow.session.get(NotificationRow, notification_id.strip())
    if row is None:
        raise NotFoundError(
            f"no notification {notification_id!r}", hint="see the ids with `ironwatch notify log REF`"
        )
    if row.incident_id is not None:
        incident = find_incident(uow, row.incident_id)  # need-to-know: same visibility as the incident
        del incident
    return _mark(uow, row, uow.principal.name)


def acknowledge_any(uow: UnitOfWork, token_or_id: str) -> NotificationRow:
    """A link token (``iwa_...``) or a notification id, for the command line."""
    if token_or_id.strip().startswith(ACK_TOKEN_PREFIX):
        uow.principal.require(Permission.NOTIFICATION_ACK)
        return _mark(uow, find_by_token(uow, token_or_id), uow.principal.name)
    if not token_or_id.strip():
        raise ValidationError("give a link token or a notification id", hint="e.g. notify ack iwa_... ")
    return acknowledge(uow, token_or_id)
