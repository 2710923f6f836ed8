"""The issue's done-when against a running server: SSH brute force then a successful login over syslog.

Exactly one incident, classified (intrusion attempt -> intrusion), prioritised with reasons, assigned to
the on-call analyst, SLA deadlines set and the alerts grouped under it; replaying the same lines changes
nothing; a false positive with suppression stops the next ones from opening incidents while counting
them. (The unacknowledged P1 escalating on an injected clock is in
tests/integration/test_triage_scenario.py: a subprocess cannot share a test's clock.)
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ironwatch.plan.loader import parse_plan
from ironwatch.plan.oncall import on_call
from ironwatch.plan.starter import init_plan_text
from tests.support.server import Server, free_port

ATTACKER = "203.0.113.77"
SCANNER = "198.51.100.7"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    tcp = free_port()
    srv = Server(home=tmp_path / "home", args=["--syslog-tcp", f"127.0.0.1:{tcp}"])
    srv.home.mkdir()
    srv.prepare()
    srv.tcp = tcp  # type: ignore[attr-defined]
    srv.start()
    yield srv
    srv.stop()


def _attack(start: datetime, source: str, user: str = "root") -> list[bytes]:
    lines = []
    for n in range(12):
        at = (start + timedelta(seconds=2 * n)).isoformat(timespec="seconds").replace("+00:00", "Z")
        message = f"Failed password for {user} from {source} port {40000 + n} ssh2"
        lines.append(f"<38>1 {at} fileserver sshd 4242 - - {message}\n")
    at = (start + timedelta(seconds=30)).isoformat(timespec="seconds").replace("+00:00", "Z")
    lines.append(
        f"<38>1 {at} fileserver sshd 4242 - - Accepted password for {user} from {source} port 40100 ssh2\n"
    )
    return [line.encode() for line in lines]


def _send(server: Server, lines: list[bytes]) -> None:
    with socket.create_connection(("127.0.0.1", server.tcp)) as sock:  # type: ignore[attr-defined]
        for line in lines:
            sock.sendall(line)


def _incidents(server: Server) -> list[dict[str, Any]]:
    with server.api() as api:
        return list(api.get("/api/v1/incidents").json()["items"])


def _wait(check: Any, what: str, within: float = 20.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {within}s")
        time.sleep(0.1)


def test_brute_force_then_login_becomes_one_assigned_incident_and_a_suppressed_scan_opens_none(
    server: Server,
) -> None:
    start = datetime.now(UTC) - timedelta(minutes=2)
    attack = _attack(start, ATTACKER)
    _send(server, attack)
    [incident] = _wait(lambda: _incidents(server), "incident")
    ref = incident["ref"]
    with server.api() as api:
        view = _wait(
            lambda: (
                (v := api.get(f"/api/v1/incidents/{ref}/assessment").json()) and len(v["alerts"]) == 2 and v
            ),
            "both alerts under the incident",
        )
    assert incident["status"] == "triage"
    assert view["category"] == "unprivileged-account-compromise"  # a type of the class intrusions
    assert view["priority"] == "P1" and view["reasons"]["priority"].startswith("automatic: P1")
    assert "fileserver" in view["reasons"]["impact"]
    expected = on_call(
        parse_plan(init_plan_text("Example Organisation"), source="starter"), "analyst", datetime.now(UTC)
    )
    assert expected is not None and view["assignee"] == expected.id
    assert [c["target"] for c in view["sla"]] == ["acknowledge", "contain", "resolve"]
    assert {a["title"] for a in view["alerts"]} == {
        "SSH brute force from one source",
        "SSH brute force followed by a successful login",
    }
    assert view["playbook"] == "compromised-account" and view["special_handling"] == ["personal_data"]

    _send(server, attack)  # the same lines again
    time.sleep(2.0)
    assert [i["ref"] for i in _incidents(server)] == [ref]
    with server.api() as api:
        replayed = api.get(f"/api/v1/incidents/{ref}/assessment").json()
        everything = api.get("/api/v1/alerts", params={"status": "any"}).json()
    assert len(replayed["alerts"]) == 2 and everything["total"] == 2
    assert (replayed["priority"], replayed["assignee"]) == (view["priority"], view["assignee"])

    # an authorised scanner: its incident is dismissed with a suppression, its next run only counts
    _send(server, _attack(datetime.now(UTC) - timedelta(minutes=1), SCANNER, user="scan"))
    _wait(lambda: len(_incidents(server)) == 2, "the scanner's incident")
    with server.api() as api:
        result = api.post(
            "/api/v1/alerts/bulk",
            json={
                "decision": "dismiss",
                "reason": "authorised vulnerability scan",
                "filter": {"status": ["incident"], "entity": f"source_address={SCANNER}"},
                "suppress": {"scope": ["source_address"], "expires_in": "7d"},
            },
        ).json()
        assert len(result["alerts"]) == 2 and len(result["suppressions"]) == 2
        # the scanner's next run, past the correlation windows (event time 20 minutes on)
        _send(server, _attack(datetime.now(UTC) + timedelta(minutes=20), SCANNER, user="scan"))
        counted = _wait(
            lambda: sum(s["matches"] for s in api.get("/api/v1/suppressions").json()) or None,
            "counted matches",
        )
        statuses = sorted(i["status"] for i in api.get("/api/v1/incidents").json()["items"])
    assert counted >= 2
    assert statuses == ["false_positive", "triage"], "the suppressed scan opened nothing"
