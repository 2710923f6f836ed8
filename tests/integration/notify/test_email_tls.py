"""E-mail over TLS for real: aiosmtpd with STARTTLS or implicit TLS and a throw-away CA.

The server's certificate is always verified: a private CA is trusted only through the channel's
``ca_file``, a certificate nobody vouches for is refused (and the delivery retried later), and a
server that does not offer STARTTLS is never spoken to in plain text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Literal

import pytest

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.notify import service as notify
from ironwatch.notify.dispatch import deliver_due
from ironwatch.plan import service as plans
from ironwatch.store.tables import NotificationRow
from tests.fixtures.notify import SmtpSink, WebhookReceiver, comms_plan_text, smtp_sink
from tests.fixtures.tls import TlsFiles, make_ca
from tests.integration.notify.conftest import OPERATOR, OpenIncident

Security = Literal["none", "starttls", "tls"]
UseChannel = Callable[[SmtpSink, Security, Path | None], None]


@pytest.fixture
def ca(tmp_path: Path) -> TlsFiles:
    return make_ca(tmp_path / "ca")


@pytest.fixture
def starttls_sink(ca: TlsFiles) -> Iterator[SmtpSink]:
    yield from smtp_sink("starttls", ca)


@pytest.fixture
def tls_sink(ca: TlsFiles) -> Iterator[SmtpSink]:
    yield from smtp_sink("tls", ca)


@pytest.fixture
def use_channel(runtime: Runtime, webhook: WebhookReceiver, secrets_env: None) -> UseChannel:
    """Apply the notification test plan with its mail channel pointing at ``sink`` as configured."""

    def use(sink: SmtpSink, security: Security, ca_file: Path | None) -> None:
        text = comms_plan_text(sink.port, webhook.url)
        settings = f"      security: {security}\n" + (f"      ca_file: {ca_file}\n" if ca_file else "")
        assert text.count("      security: none\n") == 1
        text = text.replace("      security: none\n", settings)
        with runtime.uow(OPERATOR, write=True) as uow:
            plans.apply_plan(uow, text, source="comms_plan.yaml")
            uow.commit()

    return use


@pytest.fixture
def p1_incident(runtime: Runtime) -> OpenIncident:
    from ironwatch.incidents import schemas as incident_schemas
    from ironwatch.incidents import service as incidents

    def open_(title: str = "Ransomware on the file server") -> str:
        data = incident_schemas.IncidentCreate.model_validate({"title": title, "priority": "P1"})
        with runtime.uow(OPERATOR, write=True) as uow:
            ref = incidents.create_incident(uow, data).ref
            uow.commit()
        return ref

    return open_


def _mails(runtime: Runtime, ref: str) -> list[NotificationRow]:
    with runtime.uow(OPERATOR) as uow:
        return [n for n in notify.notification_log(uow, ref) if n.channel == "mail"]


def test_mail_is_delivered_over_starttls_with_authentication(
    runtime: Runtime,
    use_channel: UseChannel,
    starttls_sink: SmtpSink,
    ca: TlsFiles,
    p1_incident: OpenIncident,
) -> None:
    use_channel(starttls_sink, "starttls", ca.ca_file)
    ref = p1_incident()
    deliver_due(runtime)
    mails = _mails(runtime, ref)
    assert mails and {m.status for m in mails} == {"sent"}
    assert {m["X-Envelope-To"] for m in starttls_sink.messages} == {"dan@tiny.example", "cara@tiny.example"}
    assert starttls_sink.logins and all(starttls_sink.logins), "logged in with the password"
    assert all(starttls_sink.collector.encrypted_logins), "the password only crossed an encrypted session"
    assert all(starttls_sink.collector.encrypted_messages)


def test_mail_is_delivered_over_implicit_tls(
    runtime: Runtime, use_channel: UseChannel, tls_sink: SmtpSink, ca: TlsFiles, p1_incident: OpenIncident
) -> None:
    use_channel(tls_sink, "tls", ca.ca_file)
    ref = p1_incident()
    deliver_due(runtime)
    assert {m.status for m in _mails(runtime, ref)} == {"sent"}
    assert len(tls_sink.messages) == 2 and all(tls_sink.collector.encrypted_messages)
    assert tls_sink.logins == [True, True] and all(tls_sink.collector.encrypted_logins)


@pytest.mark.parametrize("trust", ["system CAs", "another CA"])
def test_a_server_certificate_the_client_does_not_trust_is_refused_and_retried(
    runtime: Runtime,
    use_channel: UseChannel,
    starttls_sink: SmtpSink,
    tmp_path: Path,
    clock: FrozenClock,
    p1_incident: OpenIncident,
    trust: str,
) -> None:
    other = make_ca(tmp_path / "other", "Somebody Else's CA") if trust == "another CA" else None
    use_channel(starttls_sink, "starttls", other.ca_file if other else None)
    ref = p1_incident()
    deliver_due(runtime)
    mails = _mails(runtime, ref)
    assert len(mails) == 2
    for mail in mails:
        assert (mail.status, mail.attempts) == ("queued", 1), "recorded and kept for another try"
        assert "presented a certificate that" in (mail.last_error or "")
        assert "set ca_file" in (mail.last_error or "")
    assert starttls_sink.messages == [] and starttls_sink.logins == [], "no password, no message sent"

    clock.advance(timedelta(seconds=31))
    deliver_due(runtime)
    assert {(m.status, m.attempts) for m in _mails(runtime, ref)} == {("queued", 2)}
    clock.advance(timedelta(minutes=2))
    deliver_due(runtime)
    assert {m.status for m in _mails(runtime, ref)} == {"failed"}, "given up after max_attempts (3)"
    assert starttls_sink.messages == []


def test_a_server_without_starttls_is_refused_when_the_plan_requires_it(
    runtime: Runtime, use_channel: UseChannel, smtp: SmtpSink, ca: TlsFiles, p1_incident: OpenIncident
) -> None:
    use_channel(smtp, "starttls", ca.ca_file)  # the plain sink offers AUTH but no STARTTLS
    ref = p1_incident()
    deliver_due(runtime)
    mails = _mails(runtime, ref)
    assert len(mails) == 2 and {m.status for m in mails} == {"queued"}
    assert all("does not offer STARTTLS" in (m.last_error or "") for m in mails)
    assert all("not sent in plain text" in (m.last_error or "") for m in mails)
    assert smtp.messages == [] and smtp.logins == [], (
        "no downgrade: neither the password nor the mail went out"
    )


def test_an_unreadable_ca_file_fails_the_delivery_with_its_name(
    runtime: Runtime,
    use_channel: UseChannel,
    starttls_sink: SmtpSink,
    tmp_path: Path,
    p1_incident: OpenIncident,
) -> None:
    missing = tmp_path / "no-such-ca.pem"
    use_channel(starttls_sink, "starttls", missing)
    ref = p1_incident()
    deliver_due(runtime)
    mails = _mails(runtime, ref)
    assert {m.status for m in mails} == {"failed"}
    assert all(f"cannot load the CA file {missing}" in (m.last_error or "") for m in mails)


def test_plan_readiness_names_the_rules_whose_channel_secret_is_not_set(
    runtime: Runtime, use_channel: UseChannel, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_channel(smtp, "none", None)
    with runtime.uow(OPERATOR) as uow:
        assert [g for g in plans.readiness(uow)[1].gaps if g.check == "communication"] == []
    monkeypatch.delenv("IRONWATCH_SECRET_SMTP_PASSWORD")
    with runtime.uow(OPERATOR) as uow:
        [gap] = [g for g in plans.readiness(uow)[1].gaps if g.check == "communication"]
    assert gap.message == (
        "rules 'major-incident', 'personal-data' send over channel 'mail', "
        "but the secret SMTP_PASSWORD is not set"
    )
