"""`ironwatch serve` as a user runs it: a real process, a real port, HTTP from outside."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import pytest

ADMIN_PASSWORD = "first admin passphrase"
SRC = Path(__file__).resolve().parents[2] / "src"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serving(home: Path, org_name: str | None = None) -> Iterator[str]:
    """``ironwatch serve`` from this source tree on a free port with its data in ``home``."""
    port = _free_port()
    env = {
        **os.environ,
        "IRONWATCH_HOME": str(home),
        "IRONWATCH_ADMIN_PASSWORD": ADMIN_PASSWORD,
        # the code under test, not whatever copy of ironwatch the virtualenv has installed
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    }
    env.pop("IRONWATCH_DATABASE_URL", None)
    env.pop("IRONWATCH_ORG_NAME", None)
    if org_name is not None:
        env["IRONWATCH_ORG_NAME"] = org_name
    proc = subprocess.Popen(
        [sys.executable, "-m", "ironwatch", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            proc.kill()
            pytest.fail(f"server did not become ready: {proc.stdout.read().decode() if proc.stdout else ''}")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with _serving(tmp_path) as base:
        yield base


def _admin_token(base: str) -> str:
    """Sign in as the first admin and make an API token (the Secure cookie is not sent over HTTP)."""
    with httpx.Client(base_url=base) as anon:
        login = anon.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert login.status_code == 200
        token: str = anon.post(
            "/api/v1/tokens",
            json={"expires": "1d"},
            headers={
                "x-csrf-token": login.json()["csrf_token"],
                "cookie": f"iw_session={login.cookies['iw_session']}",
            },
        ).json()["token"]
    return token


def test_serve_creates_the_first_admin_and_answers_the_api(server: str) -> None:
    with httpx.Client(base_url=server) as anon:
        assert anon.get("/healthz").json()["status"] == "ok"
        assert anon.get("/api/v1/incidents").status_code == 401
        login = anon.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert login.status_code == 200
        csrf = login.json()["csrf_token"]
        # the cookie is Secure, so a plain-HTTP client would not send it back; use a token instead
        token = anon.post(
            "/api/v1/tokens",
            json={"expires": "1d"},
            headers={"x-csrf-token": csrf, "cookie": f"iw_session={login.cookies['iw_session']}"},
        ).json()["token"]
    with httpx.Client(base_url=server, headers={"authorization": f"Bearer {token}"}) as api:
        created = api.post("/api/v1/incidents", json={"title": "From a real server"})
        assert created.status_code == 201 and created.json()["ref"].startswith("IR-")
        assert api.get("/openapi.json").json()["info"]["title"] == "ironwatch"


def test_serve_applies_the_starter_plan_on_the_first_start_only(tmp_path: Path) -> None:
    with _serving(tmp_path, org_name="Northwind Traders") as base:
        token = _admin_token(base)
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"}) as api:
            first = api.get("/api/v1/plan").json()
            assert first["version"]["version"] == 1
            assert first["version"]["applied_by"] == "system:bootstrap"
            assert first["plan"]["organisation"]["name"] == "Northwind Traders"
    with (
        _serving(tmp_path) as base,
        httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"}) as api,
    ):
        assert [v["version"] for v in api.get("/api/v1/plan/versions").json()] == [1]
        assert api.get("/api/v1/plan/readiness").json()["score"] == 80
