"""Hand-written rules and events for the correlation unit tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from ironwatch.detect.correlation import Correlator
from ironwatch.detect.sigma import Engine, Match
from ironwatch.ingest.event import Event

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

FAILED = """title: SSH login failed
id: 10000000-0000-0000-0000-000000000001
name: failed
status: test
level: low
logsource: {product: linux, service: sshd}
detection:
    selection: {event.action: ssh_login, event.outcome: failure}
    condition: selection
"""
SUCCEEDED = """title: SSH login succeeded
id: 10000000-0000-0000-0000-000000000002
name: succeeded
status: test
level: informational
logsource: {product: linux, service: sshd}
detection:
    selection: {event.action: ssh_login, event.outcome: success}
    condition: selection
"""


def cid(name: str) -> str:
    """The id of the correlation rule called ``name`` (a UUID, as Sigma wants)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def correlation(body: str, *, title: str = "Correlation", rule_id: str = "c0", level: str = "medium") -> str:
    """A correlation rule document named ``rule_id`` around an indented ``correlation:`` body."""
    indented = "\n".join("    " + line for line in body.strip("\n").splitlines())
    head = f"title: {title}\nid: {cid(rule_id)}\nname: {rule_id}\nstatus: test\nlevel: {level}\n"
    return f"{head}correlation:\n{indented}\n"


def login(
    seconds: float,
    *,
    outcome: str = "failure",
    ip: str = "203.0.113.9",
    user: str = "root",
    received: float | None = None,
    number: int = 0,
) -> Event:
    """An sshd login event ``seconds`` after T0 (received then too, unless ``received`` says)."""
    fields: dict[str, object] = {
        "event.dataset": "linux.auth",
        "event.action": "ssh_login",
        "event.outcome": outcome,
        "source.ip": ip,
        "user.name": user,
    }
    return Event(
        id=f"e{number or int(seconds * 1000)}-{ip}-{user}-{outcome}",
        timestamp=T0 + timedelta(seconds=seconds),
        received_at=T0 + timedelta(seconds=seconds if received is None else received),
        dataset="linux.auth",
        fields=fields,
        original="",
    )


def run(engine: Engine, correlator: Correlator, events: list[Event]) -> list[Match]:
    """Feed ``events`` in the given order; every correlation match."""
    found: list[Match] = []
    for event in events:
        found.extend(correlator.observe(event, engine.evaluate(event.fields)))
    return found
