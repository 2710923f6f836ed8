"""The log server as people run it: rsyslog, logger and HTTP senders into `ironwatch serve`."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import Server, free_port, require_tool

APT = "install with: apt-get install -y rsyslog rsyslog-relp bsdutils"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    udp, tcp, relp = free_port(socket.SOCK_DGRAM), free_port(), free_port()
    srv = Server(
        home=tmp_path / "home",
        args=[
            "--syslog-udp",
            f"127.0.0.1:{udp}",
            "--syslog-tcp",
            f"127.0.0.1:{tcp}",
            "--relp",
            f"127.0.0.1:{relp}",
        ],
    )
    srv.home.mkdir()
    srv.prepare()
    srv.udp, srv.tcp, srv.relp = udp, tcp, relp  # type: ignore[attr-defined]
    srv.start()
    yield srv
    srv.stop()


def _events(srv: Server, **params: object) -> list[dict]:  # type: ignore[type-arg]
    with srv.api() as api:
        response = api.get("/api/v1/events", params={"limit": 1000, **params})
        assert response.status_code == 200, response.text
        return response.json()["items"]  # type: ignore[no-any-return]


def _rsyslog_conf(work: Path, sock: Path, tcp: int, relp: int) -> str:
    return f"""
global(workDirectory="{work}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{sock}" RateLimit.Interval="0" UseSysTimeStamp="on")
module(load="omrelp")
if $msg contains "via-tcp" then
    action(type="omfwd" target="127.0.0.1" port="{tcp}" protocol="tcp" TCP_Framing="octet-counted")
if $msg contains "via-relp" then action(type="omrelp" target="127.0.0.1" port="{relp}")
"""


def test_rsyslog_over_tcp_and_relp_and_logger_over_udp_become_searchable_events(
    server: Server, tmp_path: Path
) -> None:
    rsyslogd = require_tool("rsyslogd", APT)
    logger = require_tool("logger", APT)
    work = tmp_path / "rsyslog"
    work.mkdir()
    sock = work / "log.sock"
    conf = work / "rsyslog.conf"
    conf.write_text(_rsyslog_conf(work, sock, server.tcp, server.relp))  # type: ignore[attr-defined]
    daemon = subprocess.Popen(
        [rsyslogd, "-n", "-f", str(conf), "-i", str(work / "pid")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while not sock.exists():
            assert time.monotonic() < deadline, "rsyslogd did not open its socket"
            time.sleep(0.05)
        for via, address in (("via-tcp", "198.51.100.7"), ("via-relp", "198.51.100.8")):
            for n in range(3):
                message = f"Failed password for invalid user admin{n} from {address} port 4242{n} ssh2 {via}"
                subprocess.run(
                    [logger, "-u", str(sock), "-t", "sshd", "-p", "auth.info", message],
                    check=True,
                    timeout=10,
                )
        subprocess.run(
            [
                logger,
                "--server",
                "127.0.0.1",
                "--port",
                str(server.udp),
                "--udp",
                "-t",
                "sudo",  # type: ignore[attr-defined]
                "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id",
            ],
            check=True,
            timeout=10,
        )
        for address in ("198.51.100.7", "198.51.100.8"):
            found = server.wait_for(
                lambda a=address: len(_events(server, address=a)) == 3, what=f"events from {address}"
            )
            assert found
        tcp_events = _events(server, address="198.51.100.7")
        assert {e["dataset"] for e in tcp_events} == {"linux.auth"}
        assert {e["user_name"] for e in tcp_events} == {"admin0", "admin1", "admin2"}
        assert {e["outcome"] for e in tcp_events} == {"failure"}
        assert tcp_events[0]["fields"]["source.port"] in (42420, 42421, 42422)
        sudo = server.wait_for(lambda: _events(server, text="COMMAND=/usr/bin/id"), what="sudo over UDP")
        assert sudo[0]["user_name"] == "alice" and sudo[0]["fields"]["process.command_line"] == "/usr/bin/id"
        with server.api() as api:
            status = api.get("/api/v1/status").json()
            metrics = api.get("/metrics").text
        assert status["sources"]["relp"]["received"] >= 3 and status["sources"]["syslog-udp"]["received"] >= 1
        assert 'ironwatch_ingest_received_total{source="relp"}' in metrics
    finally:
        daemon.terminate()
        daemon.wait(20)


def test_http_intake_accepts_ndjson_and_keeps_bad_lines_as_failures(server: Server) -> None:
    body = (
        b'{"message": "login ok", "user": {"name": "bob"}, "source": {"ip": "192.0.2.44"}}\nnot json\n[1]\n'
    )
    with server.api() as api:
        response = api.post("/api/v1/events", content=body, headers={"content-type": "application/x-ndjson"})
        assert response.status_code == 202, response.text
        assert response.json()["accepted"] == 1 and response.json()["failed"] == 2
        assert "not valid JSON" in response.json()["errors"][0]["reason"]
    events = server.wait_for(lambda: _events(server, address="192.0.2.44"), what="the NDJSON event")
    assert events[0]["user_name"] == "bob"
    with server.api() as api:
        failures = server.wait_for(lambda: api.get("/api/v1/events/failures").json(), what="failures")
    assert {f["preview"] for f in failures} >= {"not json", "[1]"}
