"""Notification channels: one module each, all behind ``channels.base.Channel``."""

from __future__ import annotations

from ironwatch.notify.channels.base import Channel, DeliveryError, OutgoingMessage
from ironwatch.notify.channels.chat import AppriseSender
from ironwatch.notify.channels.email import EmailSender
from ironwatch.notify.channels.webhook import WebhookSender
from ironwatch.notify.secrets import Secrets
from ironwatch.plan.communication import AppriseChannel, EmailChannel, WebhookChannel

__all__ = ["Channel", "DeliveryError", "OutgoingMessage", "open_channel"]


def open_channel(config: EmailChannel | WebhookChannel | AppriseChannel, secrets: Secrets) -> Channel:
    """The sender for a channel of the plan, with its secret read now (never stored)."""
    if isinstance(config, EmailChannel):
        return EmailSender(config, secrets.get(config.secret) if config.secret else None)
    if isinstance(config, WebhookChannel):
        return WebhookSender(config, secrets.get(config.secret))
    return AppriseSender(config, secrets.get(config.secret))
