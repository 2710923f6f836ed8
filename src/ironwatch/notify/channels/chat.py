"""Chat and paging services through apprise: Slack, Microsoft Teams, Matrix, Mattermost, ntfy and more.

The apprise URLs carry the services' tokens, so they come from a secret (one URL per line), and
apprise's own log, which can show them, is kept quiet below warnings.
"""

from __future__ import annotations

import logging
import warnings
from datetime import datetime

import apprise

from ironwatch.notify.channels.base import DeliveryError, OutgoingMessage
from ironwatch.plan.communication import AppriseChannel

logging.getLogger("apprise").setLevel(logging.ERROR)


class AppriseSender:
    def __init__(self, config: AppriseChannel, urls: str) -> None:
        self.config = config
        self._urls = [line.strip() for line in urls.splitlines() if line.strip()]

    def send(self, message: OutgoingMessage, *, now: datetime) -> None:
        del now  # the services stamp their own time
        body = message.text
        if message.metadata.get("ack_url"):
            body += f"\n\nAcknowledge: {message.metadata['ack_url']}"
        with warnings.catch_warnings():
            # apprise's plugins import standard modules Python deprecates (imghdr); not our users' concern
            warnings.simplefilter("ignore", DeprecationWarning)
            notifier = apprise.Apprise()
            for url in self._urls:
                if not notifier.add(url):
                    raise DeliveryError(
                        f"the secret {self.config.secret} holds a URL apprise does not understand",
                        retryable=False,
                    )
            delivered = notifier.notify(title=message.subject, body=body)
        if not delivered:
            raise DeliveryError(f"apprise could not deliver to every service of channel {self.config.id}")
