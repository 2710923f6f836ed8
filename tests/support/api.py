"""An in-process API client on a real runtime."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ironwatch.api.app import create_app
from ironwatch.bootstrap import Runtime


def client(runtime: Runtime, token: str | None = None) -> TestClient:
    test_client = TestClient(create_app(runtime), raise_server_exceptions=False)
    if token:
        test_client.headers["Authorization"] = f"Bearer {token}"
    return test_client
