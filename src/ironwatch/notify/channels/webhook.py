"""Generic webhooks: a JSON POST signed with HMAC-SHA256 over ``timestamp.body``.

Receivers verify ``X-Ironwatch-Signature: sha256=<hex>`` with the shared key and refuse a
``X-Ironwatch-Timestamp`` too far from their clock, so a captured request cannot be replayed
later. ``X-Ironwatch-Delivery`` (the notification id) lets them drop a repeated delivery.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

import httpx2 as httpx
import orjson

from ironwatch.notify.channels.base import DeliveryError, OutgoingMessage
from ironwatch.plan.communication import WebhookChannel

SIGNATURE_HEADER = "X-Ironwatch-Signature"
TIMESTAMP_HEADER = "X-Ironwatch-Timestamp"
DELIVERY_HEADER = "X-Ironwatch-Delivery"


def signature(key: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``timestamp.body`` under ``key``."""
    mac = hmac.new(key.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookSender:
    def __init__(
        self, config: WebhookChannel, key: str, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.config = config
        self._key = key
        self._transport = transport

    def send(self, message: OutgoingMessage, *, now: datetime) -> None:
        body = orjson.dumps(
            {
                "id": message.notification_id,
                "subject": message.subject,
                "text": message.text,
                "sent_at": now.isoformat(),
                **message.metadata,
            }
        )
        timestamp = str(int(now.timestamp()))
        headers = {
            "content-type": "application/json",
            "user-agent": "ironwatch-notify",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(self._key, timestamp, body),
            DELIVERY_HEADER: message.notification_id,
        }
        try:
            with httpx.Client(
                timeout=self.config.timeout.total_seconds(), transport=self._transport, follow_redirects=False
            ) as client:
                response = client.post(self.config.url, content=body, headers=headers)
        except httpx.TransportError as exc:
            raise DeliveryError(f"cannot reach the webhook {self.config.url}: {type(exc).__name__}") from None
        status = response.status_code
        if 200 <= status < 300:
            return
        raise DeliveryError(
            f"the webhook {self.config.url} answered {status}",
            retryable=status >= 500 or status in (408, 425, 429),
        )
