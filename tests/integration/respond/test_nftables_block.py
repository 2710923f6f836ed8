"""A real nftables block inside network namespaces this test creates.

Two namespaces joined by a veth pair: a TCP listener in ``srv``, clients in ``cli`` at two addresses.
The block is applied in ``srv`` by the block_address connector (``ip netns exec srv nft -f -``), so a
connection from the blocked address fails, the other address still connects, and after undo (or the
block's expiry, with the injected clock) the blocked address connects again. Needs root, ``ip`` and
``nft`` (CI installs nftables).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from ironwatch.bootstrap import Runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.respond import actions
from ironwatch.respond.runner import run_pending
from ironwatch.respond.schemas import ActionRequestIn
from tests.support.people import add_user, principal
from tests.support.respond import apply_plan_with_actions, open_incident

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("nft") is None or shutil.which("ip") is None,
    reason="needs root, ip and nft (apt-get install nftables)",
)
SERVER, BLOCKED, OTHER, PORT = "10.231.7.1", "10.231.7.2", "10.231.7.3", 8080
LISTENER = f"""
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("{SERVER}", {PORT}))
s.listen(16)
while True:
    c, _ = s.accept()
    c.sendall(b"hi")
    c.close()
"""
CONNECT = f"""
import socket, sys
s = socket.create_connection(("{SERVER}", {PORT}), timeout=1.5, source_address=(sys.argv[1], 0))
sys.exit(0 if s.recv(2) == b"hi" else 1)
"""


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@dataclass(frozen=True)
class Namespaces:
    srv: str
    cli: str

    def connects_from(self, address: str) -> bool:
        done = subprocess.run(
            ["ip", "netns", "exec", self.cli, sys.executable, "-c", CONNECT, address],
            capture_output=True,
            timeout=10,
            check=False,
        )
        return done.returncode == 0


@pytest.fixture
def namespaces() -> Iterator[Namespaces]:
    tag = uuid.uuid4().hex[:6]
    ns = Namespaces(f"iw-srv-{tag}", f"iw-cli-{tag}")
    veth_srv, veth_cli = f"iws{tag}", f"iwc{tag}"
    _ip("netns", "add", ns.srv)
    _ip("netns", "add", ns.cli)
    listener = None
    try:
        _ip("link", "add", veth_srv, "type", "veth", "peer", "name", veth_cli)
        _ip("link", "set", veth_srv, "netns", ns.srv)
        _ip("link", "set", veth_cli, "netns", ns.cli)
        _ip("-n", ns.srv, "addr", "add", f"{SERVER}/24", "dev", veth_srv)
        _ip("-n", ns.cli, "addr", "add", f"{BLOCKED}/24", "dev", veth_cli)
        _ip("-n", ns.cli, "addr", "add", f"{OTHER}/24", "dev", veth_cli)
        for name, dev in ((ns.srv, veth_srv), (ns.cli, veth_cli)):
            _ip("-n", name, "link", "set", "lo", "up")
            _ip("-n", name, "link", "set", dev, "up")
        listener = subprocess.Popen(["ip", "netns", "exec", ns.srv, sys.executable, "-c", LISTENER])
        deadline = time.monotonic() + 10
        while not ns.connects_from(OTHER):
            assert time.monotonic() < deadline, "the listener in the namespace did not come up"
            time.sleep(0.1)
        yield ns
    finally:
        if listener is not None:
            listener.kill()
            listener.wait()
        subprocess.run(["ip", "netns", "del", ns.srv], check=False)
        subprocess.run(["ip", "netns", "del", ns.cli], check=False)


@pytest.fixture
def firewall(sqlite_runtime: Runtime, namespaces: Namespaces) -> Runtime:
    add_user(sqlite_runtime, "ann", "analyst")
    add_user(sqlite_runtime, "bob", "incident_manager")
    apply_plan_with_actions(
        sqlite_runtime,
        management_addresses=["10.231.8.0/24"],
        connectors={
            "block_address": {
                "enabled": True,
                "config": {"remote": {"mode": "local", "netns": namespaces.srv}},
            }
        },
    )
    return sqlite_runtime


def _block(runtime: Runtime, ref: str, **inputs: str) -> str:
    with runtime.uow(principal(runtime, "ann"), write=True) as uow:
        row, _ = actions.request_action(uow, ref, ActionRequestIn(connector="block_address", inputs=inputs))
        uow.commit()
    with runtime.uow(principal(runtime, "bob"), write=True) as uow:
        actions.approve_action(uow, row.id)
        uow.commit()
    assert run_pending(runtime) == 1
    return row.id


def _state(runtime: Runtime, action_id: str) -> str:
    with runtime.uow(principal(runtime, "ann")) as uow:
        return actions.find_action(uow, action_id)[0].status


def test_a_blocked_address_cannot_connect_until_the_block_is_undone(
    firewall: Runtime, namespaces: Namespaces
) -> None:
    ref = open_incident(firewall)
    assert namespaces.connects_from(BLOCKED)
    action_id = _block(firewall, ref, address=BLOCKED)
    with firewall.uow(principal(firewall, "ann")) as uow:
        row = actions.find_action(uow, action_id)[0]
    assert row.status == "succeeded" and row.result["verified"] is True
    assert "nft" in row.result["details"]["argv"] and BLOCKED in row.result["details"]["ruleset"]
    assert not namespaces.connects_from(BLOCKED)
    assert namespaces.connects_from(OTHER)

    with firewall.uow(principal(firewall, "ann"), write=True) as uow:
        actions.request_undo(uow, action_id)
        uow.commit()
    run_pending(firewall)
    assert _state(firewall, action_id) == "undone"
    assert namespaces.connects_from(BLOCKED)


def test_a_temporary_block_expires_and_is_lifted_by_the_runner(
    firewall: Runtime, namespaces: Namespaces, clock: FrozenClock
) -> None:
    ref = open_incident(firewall)
    action_id = _block(firewall, ref, address=BLOCKED, duration="1h")
    assert not namespaces.connects_from(BLOCKED)
    clock.advance(timedelta(minutes=59))
    run_pending(firewall)
    assert _state(firewall, action_id) == "succeeded"
    assert not namespaces.connects_from(BLOCKED)
    clock.advance(timedelta(minutes=2))
    run_pending(firewall)
    assert _state(firewall, action_id) == "expired"
    assert namespaces.connects_from(BLOCKED)
