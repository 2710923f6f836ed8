"""What every channel does: deliver one rendered message, or say why not and whether to retry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class OutgoingMessage:
    """One notification ready to go: the recipient, the rendered content and what it is about."""

    notification_id: str
    recipient: str
    subject: str
    text: str
    html: str | None = None
    #: incident, rule, audience, tlp, ack_url...: headers for mail, fields for webhooks
    metadata: Mapping[str, str | None] = field(default_factory=dict)


class DeliveryError(Exception):
    """A send that did not succeed; ``retryable`` says whether trying again later may help.

    The message must say what went wrong without repeating any secret.
    """

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Channel(Protocol):
    """A way to reach people: e-mail, a webhook, a chat or paging service."""

    def send(self, message: OutgoingMessage, *, now: datetime) -> None:
        """Deliver ``message`` or raise :class:`DeliveryError`."""
