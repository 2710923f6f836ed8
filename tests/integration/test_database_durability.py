"""The embedded database commits durably: the log server's exactly-once contract depends on it."""

from __future__ import annotations

from pathlib import Path

from ironwatch.store.db import Database


def test_sqlite_connections_are_wal_with_full_sync(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'ironwatch.db'}")
    with db.engine.connect() as conn:
        # the spool drops a batch's frames once its events commit here, so a commit must be on disk
        # when it returns (2 = FULL; NORMAL would only sync the WAL at checkpoints)
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.engine.dispose()
