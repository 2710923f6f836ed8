"""``import_files`` stores the same rows however its batches fall across files, and reports progress."""

from __future__ import annotations

import shutil
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from ironwatch.bootstrap import build_runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.ingest import importer
from ironwatch.ingest.importer import ImportResult, import_files
from ironwatch.settings import Settings

REPO = Path(__file__).resolve().parents[3]
LOGS = REPO / "tests" / "fixtures" / "logs"
CORPUS = REPO.parent / "shared" / "corpus" / "evtx"


def _import(
    home: Path, template: Path, files: list[Path], clock: FrozenClock, progress: list[int]
) -> tuple[ImportResult, list[Any], list[Any]]:
    home.mkdir()
    shutil.copy(template, home / "ironwatch.db")
    runtime = build_runtime(Settings(home=home), clock=clock)
    try:
        result = import_files(runtime.db, files, tz=UTC, clock=clock, progress=progress.append)
        with runtime.db.engine.connect() as conn:
            events = list(conn.execute(text("SELECT * FROM events ORDER BY id")).all())
            failures = list(conn.execute(text("SELECT * FROM parse_failures ORDER BY id")).all())
    finally:
        runtime.close()
    return result, events, failures


def test_small_batches_spanning_files_store_the_same_rows_and_report_every_byte(
    tmp_path: Path, sqlite_template: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [LOGS / "auth.log", LOGS / "malformed.jsonl", LOGS / "syslog5424.log"]
    if CORPUS.is_dir():
        files += sorted(CORPUS.rglob("*.evtx"))[:40]
    whole_progress: list[int] = []
    whole = _import(tmp_path / "whole", sqlite_template, files, clock, whole_progress)
    monkeypatch.setattr(importer, "BATCH", 7)
    small_progress: list[int] = []
    small = _import(tmp_path / "small", sqlite_template, files, clock, small_progress)

    assert small == whole
    result, events, failures = small
    assert result.events == len(events) > 50
    assert result.failures == len(failures) > 0
    assert len(small_progress) == -(-(len(events) + len(failures)) // 7)  # one call per batch
    assert sum(small_progress) == sum(whole_progress) > 0
