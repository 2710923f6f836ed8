"""HTTP intake -> spool -> pipeline -> event store -> search, on SQLite and PostgreSQL; imports; retention."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ironwatch.bootstrap import Runtime
from ironwatch.cli.context import state
from ironwatch.cli.main import app
from ironwatch.ingest.event import Event
from ironwatch.ingest.frames import RawFrame, Transport
from ironwatch.ingest.retention import RetentionPolicy, prune
from ironwatch.ingest.service import IngestService
from ironwatch.ingest.spool import SpoolFull
from ironwatch.ingest.store import store_results
from tests.support.api import client
from tests.support.people import token_for

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "logs"


def _wait(api: TestClient, params: dict[str, object], count: int) -> list[dict]:  # type: ignore[type-arg]
    deadline = time.monotonic() + 10
    while True:
        items = api.get("/api/v1/events", params=params).json()["items"]
        if len(items) >= count or time.monotonic() > deadline:
            return items  # type: ignore[no-any-return]
        time.sleep(0.05)


def test_events_sent_over_http_are_stored_and_searchable(runtime: Runtime) -> None:
    sensor = token_for(runtime, "fw-01", "sensor")
    reader = token_for(runtime, "ana", "analyst")
    events = [
        {
            "@timestamp": "2026-03-02T08:59:00Z",
            "event": {"action": "deny"},
            "source": {"ip": "203.0.113.9"},
            "destination": {"ip": "10.0.0.5", "port": 22},
            "host": {"name": "fw-01"},
            "message": "blocked ssh",
        },
        {"@timestamp": "2026-03-02T08:59:01Z", "source": {"ip": "203.0.113.9"}, "message": "blocked again"},
    ]
    with client(runtime, sensor) as send:
        response = send.post("/api/v1/events", json=events)
        assert response.status_code == 202 and response.json() == {"accepted": 2, "failed": 0, "errors": []}
        assert send.get("/api/v1/events").status_code == 403  # a sensor may send, not read
        send.headers["Authorization"] = f"Bearer {reader}"
        found = _wait(send, {"address": "203.0.113.9"}, 2)
        assert len(found) == 2
        first = next(e for e in found if e["message"] == "blocked ssh" or "blocked ssh" in e["message"])
        assert (
            first["host"] == "fw-01" and first["destination_ip"] == "10.0.0.5" and first["action"] == "deny"
        )
        assert first["event_time"].startswith("2026-03-02T08:59:00")
        assert _wait(send, {"host": "FW-01"}, 1)[0]["host"] == "fw-01"
        assert send.get("/api/v1/events", params={"text": "again"}).json()["total"] == 1
        assert send.get("/api/v1/events", params={"since": "2026-03-02T08:59:01Z"}).json()["total"] == 1
        one = send.get(f"/api/v1/events/{first['id']}").json()
        assert one["fields"]["destination.port"] == 22


def test_empty_body_is_a_clear_4xx(sqlite_runtime: Runtime) -> None:
    token = token_for(sqlite_runtime, "fw-01", "sensor")
    with client(sqlite_runtime, token) as send:
        empty = send.post("/api/v1/events", content=b"  ")
        assert empty.status_code == 422 and "NDJSON" in empty.json()["hint"]


def test_a_full_spool_refuses_more_at_once_instead_of_growing(sqlite_runtime: Runtime) -> None:
    """While the consumer cannot keep up, the intake says "retry later" (HTTP 429) and loses nothing."""
    settings = sqlite_runtime.settings.model_copy(update={"spool_max_bytes": 1 << 20})
    received = sqlite_runtime.clock.now()
    chunk = [RawFrame("http:test", Transport.HTTP, "127.0.0.1", received, b"x" * 1000) for _ in range(600)]

    async def scenario() -> None:
        service = IngestService(settings, sqlite_runtime.db, sqlite_runtime.clock)  # consumer not started
        await service.writer.start()
        try:
            assert len(await service.submit(chunk)) == 600
            with pytest.raises(SpoolFull):
                await service.submit(chunk)
            assert service.spool.depth() == 600
            assert service.counters.snapshot()["http"].dropped == 600
        finally:
            await service.writer.aclose()
            service.spool.close()

    asyncio.run(scenario())


def test_search_refuses_a_backwards_time_range(sqlite_runtime: Runtime) -> None:
    api = client(sqlite_runtime, token_for(sqlite_runtime, "ana", "analyst"))
    response = api.get(
        "/api/v1/events", params={"since": "2026-03-02T10:00:00Z", "until": "2026-03-02T09:00:00Z"}
    )
    assert response.status_code == 422 and "forward" in response.json()["hint"]


def test_ingest_imports_files_once_and_events_search_finds_them(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IRONWATCH_HOME", str(runtime.settings.home))
    if runtime.settings.database_url:
        monkeypatch.setenv("IRONWATCH_DATABASE_URL", runtime.settings.database_url)
    runner = CliRunner()

    def run(*args: str) -> str:
        state._runtime = None
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.stdout + result.stderr
        return result.stdout

    files = [str(FIXTURES / name) for name in ("auth.log", "eve.json", "conn.log", "malformed.jsonl")]
    first = json.loads(run("ingest", *files, "--json"))
    assert first["events"] > 10 and first["failures"] >= 1
    assert {"linux.auth", "suricata.eve", "zeek.conn"} <= set(first["datasets"])
    again = json.loads(run("ingest", *files, "--json"))
    assert again["events"] == first["events"]
    stored = json.loads(run("status", "--json"))["stored"]
    assert stored["events"] == first["events"] and stored["parse_failures"] == first["failures"]
    auth = json.loads(run("events", "search", "--dataset", "linux.auth", "--json"))
    assert auth["total"] == first["datasets"]["linux.auth"]
    assert any(e["outcome"] == "failure" and e["source_ip"] for e in auth["items"])
    assert "not valid JSON" in run("events", "failures") or "JSON" in run("events", "failures")
    state._runtime = None


def test_ingest_names_a_missing_file_and_an_unknown_format(
    sqlite_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IRONWATCH_HOME", str(sqlite_runtime.settings.home))
    runner = CliRunner()
    state._runtime = None
    missing = runner.invoke(app, ["ingest", "/nonexistent.log"])
    assert missing.exit_code == 3 and "no such file" in missing.stderr
    state._runtime = None
    bad = runner.invoke(app, ["ingest", str(FIXTURES / "auth.log"), "--format", "klingon"])
    assert bad.exit_code == 2 and "linux.auth" in bad.stderr
    state._runtime = None


def test_retention_prunes_by_age_and_by_count(sqlite_runtime: Runtime) -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)

    def event(n: int, age_days: int) -> tuple[Event, str]:
        at = now - timedelta(days=age_days)
        return Event(
            id="", timestamp=at, received_at=at, dataset="text", fields={}, original=f"e{n}"
        ), f"id-{n:04d}"

    with sqlite_runtime.db.engine.begin() as conn:
        store_results(conn, [event(n, 100 if n < 5 else 1) for n in range(2000)])
    result = prune(sqlite_runtime.db, RetentionPolicy(max_age=timedelta(days=90), max_events=1500), now=now)
    assert result.events == 500  # 5 too old, then 495 oldest beyond 1,500
    with sqlite_runtime.db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM events").scalar_one() == 1500
