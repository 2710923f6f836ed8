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
        where = f"{config.host}:{config.port}"
        context = _tls_context(config) if config.security != "none" else None
        try:
            if config.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    config.host, config.port, timeout=timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(config.host, config.port, timeout=timeout)
            with smtp:
                if config.security == "starttls":
                    smtp.ehlo()
                    if not smtp.has_extn("starttls"):
                        # never fall back to plain text: stripping STARTTLS is what an attacker does
                        raise DeliveryError(
                            f"the SMTP server {where} does not offer STARTTLS, which the plan requires; "
                            "the message was not sent in plain text (check the server, or the port: "
                            "587 for STARTTLS, 465 with security: tls)"
                        )
                    smtp.starttls(context=context)
                if config.username:
                    smtp.ehlo()
                    if not smtp.has_extn("auth"):
                        raise DeliveryError(
                            f"the SMTP server {where} does not offer AUTH to log in {config.username}",
                            retryable=False,
                        )
                    smtp.login(config.username, self._password or "")
                smtp.send_message(self.build(message, now=now))
        except ssl.SSLCertVerificationError as exc:
            trusted = f"the CA file {config.ca_file}" if config.ca_file else "the system's CAs"
            raise DeliveryError(
                f"the SMTP server {where} presented a certificate that {trusted} do not vouch for "
                f"({exc.verify_message}); nothing was sent. If the server uses a private CA, set ca_file "
                "on the channel to that CA's certificate"
            ) from None
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
            raise DeliveryError(f"cannot deliver through {where}: {exc}") from None


def _tls_context(config: EmailChannel) -> ssl.SSLContext:
    """A verifying client context (hostname, chain); ``ca_file`` replaces the system CAs."""
    try:
        return ssl.create_default_context(cafile=config.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(
            f"cannot load the CA file {config.ca_file} of channel {config.id}: {exc}",
            retryable=False,
        ) from None


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
