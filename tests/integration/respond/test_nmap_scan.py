"""An nmap scan of a service on loopback, parsed into the incident's observables and a comment."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator

import pytest

from ironwatch.bootstrap import Runtime
from ironwatch.incidents import service as incidents
from ironwatch.respond import actions
from ironwatch.respond.runner import run_pending
from ironwatch.respond.schemas import ActionRequestIn
from tests.support.people import add_user, principal
from tests.support.respond import apply_plan_with_actions, open_incident

pytestmark = pytest.mark.skipif(shutil.which("nmap") is None, reason="needs nmap (apt-get install nmap)")


@pytest.fixture
def listening_port() -> Iterator[int]:
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def test_an_nmap_scan_of_a_loopback_service_becomes_observables_and_a_comment(
    sqlite_runtime: Runtime, listening_port: int
) -> None:
    runtime = sqlite_runtime
    add_user(runtime, "ann", "analyst")
    apply_plan_with_actions(runtime, connectors={"nmap_scan": {"enabled": True}})
    ref = open_incident(runtime)
    with runtime.uow(principal(runtime, "ann"), write=True) as uow:
        row, _ = actions.request_action(
            uow,
            ref,
            ActionRequestIn(
                connector="nmap_scan", inputs={"target": "127.0.0.1", "ports": str(listening_port)}
            ),
        )
        uow.commit()
    assert row.status == "approved"  # a scan changes nothing: no second person needed
    assert run_pending(runtime) == 1
    with runtime.uow(principal(runtime, "ann")) as uow:
        done = actions.find_action(uow, row.id)[0]
        detail = incidents.incident_detail(uow, ref)
    assert done.status == "succeeded", done.error
    assert done.result["details"]["hosts"][0]["ports"][0]["port"] == str(listening_port)
    assert done.result["recorded"]["observables_added"] >= 1  # the address, and its name if nmap found one
    [observable] = [o for o in detail.observables if o.type == "ipv4"]
    assert observable.value == "127.0.0.1"
    assert f"{listening_port}/tcp" in observable.note
    assert any(
        f"{listening_port}/tcp" in c.body and "nmap scan of 127.0.0.1" in c.body for c in detail.comments
    )
