"""Real senders: rsyslogd (omfwd over TCP, omrelp over RELP) and util-linux logger (UDP, TCP).

CI must have them (Debian: rsyslog rsyslog-relp bsdutils); with CI=true a missing tool fails
the test instead of skipping it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from listener_harness import Running, eventually, running

LOCAL = "127.0.0.1:0"
APT_HINT = "install with: apt-get install -y rsyslog rsyslog-relp bsdutils"


def require(tool: str, *extra: Path) -> str:
    found = shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")
    missing = [str(p) for p in extra if not p.exists()]
    if found is None or missing:
        what = " and ".join([tool] * (found is None) + missing)
        reason = f"{what} not found; {APT_HINT}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def omrelp_module() -> Path:
    for base in (Path("/usr/lib/x86_64-linux-gnu/rsyslog"), Path("/usr/lib/aarch64-linux-gnu/rsyslog")):
        if base.exists():
            return base / "omrelp.so"
    return Path("/usr/lib/rsyslog/omrelp.so")


def rsyslog_config(work: Path, socket_path: Path, tcp_port: int, relp_port: int) -> str:
    return f"""
global(workDirectory="{work}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{socket_path}" RateLimit.Interval="0")
module(load="omrelp")
action(type="omfwd" target="127.0.0.1" port="{tcp_port}" protocol="tcp" TCP_Framing="octet-counted")
action(type="omfwd" target="127.0.0.1" port="{tcp_port}" protocol="tcp" TCP_Framing="traditional")
action(type="omrelp" target="127.0.0.1" port="{relp_port}")
"""


def markers(srv: Running, source: str) -> list[str]:
    found = []
    for payload in srv.payloads(source):
        text = payload.decode("utf-8", "replace")
        if "ironwatch-marker-" in text:
            found.append(text.rsplit("ironwatch-marker-", 1)[1].strip())
    return sorted(found, key=int)


def test_rsyslogd_forwards_over_tcp_both_framings_and_relp(tmp_path: Path) -> None:
    rsyslogd = require("rsyslogd", omrelp_module())
    logger = require("logger")
    count = 25

    async def scenario() -> None:
        async with running(tmp_path, syslog_tcp=LOCAL, relp=LOCAL) as srv:
            work = tmp_path / "rsyslog"
            work.mkdir()
            sock = work / "log.sock"
            conf = work / "rsyslog.conf"
            conf.write_text(rsyslog_config(work, sock, srv.address("syslog-tcp")[1], srv.address("relp")[1]))
            daemon = await asyncio.create_subprocess_exec(
                rsyslogd,
                "-n",
                "-f",
                str(conf),
                "-i",
                str(work / "rsyslogd.pid"),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            try:
                await eventually(lambda: sock.exists(), within=15, what="rsyslogd socket")
                for i in range(count):
                    await asyncio.to_thread(
                        subprocess.run,
                        [logger, "-u", str(sock), "-t", "interop", f"ironwatch-marker-{i}"],
                        check=True,
                        timeout=10,
                    )
                expected = [str(i) for i in range(count)]
                await eventually(lambda: markers(srv, "relp") == expected, within=30, what="RELP messages")
                # Two omfwd actions (octet-counted and traditional) each deliver every message.
                twice = sorted(expected * 2, key=int)
                await eventually(lambda: markers(srv, "syslog-tcp") == twice, within=30, what="TCP messages")
            finally:
                daemon.send_signal(signal.SIGTERM)
                output, _ = await asyncio.wait_for(daemon.communicate(), 20)
            counts = srv.group.counters.snapshot()
            assert counts["relp"].failed == 0 and counts["syslog-tcp"].failed == 0, output
            assert counts["syslog-tcp"].connections >= 2

    asyncio.run(scenario())


@pytest.mark.parametrize("mode", [["--udp"], ["--tcp"], ["--tcp", "--octet-count"]])
def test_logger_sends_to_udp_and_tcp(tmp_path: Path, mode: list[str]) -> None:
    logger = require("logger")

    async def scenario() -> None:
        async with running(tmp_path, syslog_udp=LOCAL, syslog_tcp=LOCAL) as srv:
            name = "syslog-udp" if mode == ["--udp"] else "syslog-tcp"
            port = srv.address(name)[1]
            for i in range(5):
                command = [logger, "--server", "127.0.0.1", "--port", str(port), *mode, "-t", "t"]
                await asyncio.to_thread(
                    subprocess.run, [*command, f"ironwatch-marker-{i}"], check=True, timeout=10
                )
            await eventually(lambda: markers(srv, name) == ["0", "1", "2", "3", "4"], what=f"logger {mode}")
            assert all(p.startswith(b"<13>1 ") for p in srv.payloads(name))  # RFC 5424 from logger

    asyncio.run(scenario())
