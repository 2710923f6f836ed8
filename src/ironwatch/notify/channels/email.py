"""E-mail over SMTP with smtplib: STARTTLS or implicit TLS, authentication, text and HTML parts."""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from ironwatch.notify.channels.base import DeliveryError, OutgoingMessage
from ironwatch.plan.communication import EmailChannel

#: SMTP reply codes worth another try later (RFC 5321 4yz, plus connection trouble)
_TRANSIENT = range(400, 500)


class EmailSender:
    """Sends each message in its own SMTP session (notifications are few; no connection to keep)."""

    def __init__(self, config: EmailChannel, password: str | None) -> None:
        self.config = config
        self._password = password

    def build(self, message: OutgoingMessage, *, now: datetime) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.config.from_address
        mail["To"] = message.recipient
        if self.config.reply_to:
            mail["Reply-To"] = self.config.reply_to
        mail["Date"] = format_datetime(now)
        # the notification id makes the Message-ID stable, so a resend is recognisable as the same message
        domain = self.config.from_address.rpartition("@")[2]
        mail["Message-ID"] = f"<{message.notification_id}@{domain}>"
        for key, value in message.metadata.items():
            if value and key != "ack_url":
                mail[f"X-Ironwatch-{key.replace('_', '-').title()}"] = value
        mail.set_content(message.text)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
        return mail

    def send(self, message: OutgoingMessage, *, now: datetime) -> None:
        config = self.config
        timeout = config.timeout.total_seconds()
        context = ssl.create_default_context()
        try:
            if config.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    config.host, config.port, timeout=timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(config.host, config.port, timeout=timeout)
            with smtp:
                if config.security == "starttls":
                    smtp.starttls(context=context)
                if config.username:
                    smtp.login(config.username, self._password or "")
                smtp.send_message(self.build(message, now=now))
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"the SMTP server {config.host} refused the login of {config.username} ({exc.smtp_code})",
                retryable=False,
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = {code for code, _ in exc.recipients.values()}
            raise DeliveryError(
                f"the SMTP server refused the recipient {message.recipient} ({', '.join(map(str, codes))})",
                retryable=any(code in _TRANSIENT for code in codes),
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"the SMTP server {config.host} answered {exc.smtp_code}: {_text(exc.smtp_error)}",
                retryable=exc.smtp_code in _TRANSIENT,
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"cannot deliver through {config.host}:{config.port}: {exc}") from None


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
