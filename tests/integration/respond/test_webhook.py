"""A webhook action reaches a real HTTP receiver, HMAC-signed, with its idempotency key."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ironwatch.bootstrap import Runtime
from ironwatch.respond import actions
from ironwatch.respond.runner import run_pending
from ironwatch.respond.schemas import ActionRequestIn
from tests.support.people import add_user, principal
from tests.support.respond import apply_plan_with_actions, open_incident

KEY = "s3cret-signing-key"


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(202)
            self.end_headers()
            self.wfile.write(b"queued")

        def log_message(self, *args: object) -> None:
            del args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/soar", received
    server.shutdown()
    server.server_close()


def test_a_webhook_is_signed_and_carries_the_idempotency_key(
    sqlite_runtime: Runtime,
    receiver: tuple[str, list[tuple[dict[str, str], bytes]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, received = receiver
    monkeypatch.setenv("IW_TEST_SOAR_KEY", KEY)
    runtime = sqlite_runtime
    add_user(runtime, "ann", "analyst")
    apply_plan_with_actions(
        runtime,
        connectors={
            "webhook": {"enabled": True, "config": {"url": url, "signing_key": {"env": "IW_TEST_SOAR_KEY"}}}
        },
    )
    ref = open_incident(runtime)
    with runtime.uow(principal(runtime, "ann"), write=True) as uow:
        row, _ = actions.request_action(
            uow,
            ref,
            ActionRequestIn(connector="webhook", inputs={"event": "contain-host", "data": {"host": "web01"}}),
        )
        uow.commit()
    run_pending(runtime)
    [(headers, body)] = received
    expected = hmac.new(KEY.encode(), headers["x-ironwatch-timestamp"].encode() + b"." + body, hashlib.sha256)
    assert headers["x-ironwatch-signature"] == "sha256=" + expected.hexdigest()
    assert headers["idempotency-key"] == row.idempotency_key
    assert json.loads(body) == {
        "event": "contain-host",
        "incident": ref,
        "action_id": row.id,
        "data": {"host": "web01"},
    }
    with runtime.uow(principal(runtime, "ann")) as uow:
        done = actions.find_action(uow, row.id)[0]
    assert done.status == "succeeded" and done.result["details"]["status"] == 202
