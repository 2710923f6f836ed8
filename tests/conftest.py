"""Shared fixtures: a runtime on SQLite and on the real PostgreSQL, an API client, a moving clock."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from ironwatch.bootstrap import Runtime, build_runtime
from ironwatch.core.clock import FrozenClock
from ironwatch.settings import Settings
from ironwatch.store.tables import Base

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"


def _pg_url() -> str:
    return os.environ.get("IRONWATCH_TEST_POSTGRES", DEFAULT_PG)


def _pg_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("IRONWATCH_TEST_POSTGRES"))


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A database of its own for this test run on the PostgreSQL server, dropped afterwards."""
    base = _pg_url()
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    name = f"ironwatch_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(plain, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if _pg_required():
            pytest.fail(f"PostgreSQL at {base} is required (CI) but not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {base} ({exc}); set IRONWATCH_TEST_POSTGRES or start it")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + "/" + name
    runtime = build_runtime(Settings(home=Path("/tmp"), database_url=url))
    runtime.close()
    yield url
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (migrating per test is slower)."""
    home = tmp_path_factory.mktemp("template")
    build_runtime(Settings(home=home)).close()
    return home / "ironwatch.db"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


def _truncate_all(runtime: Runtime) -> None:
    names = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    with runtime.db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def runtime(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FrozenClock, sqlite_template: Path
) -> Iterator[Runtime]:
    """A ready runtime on each supported database, empty, with a frozen clock."""
    if request.param == "sqlite":
        home = tmp_path / "home"
        home.mkdir()
        shutil.copy(sqlite_template, home / "ironwatch.db")
        settings = Settings(home=home, secure_cookies=False)
    else:
        url = request.getfixturevalue("pg_database")
        settings = Settings(home=tmp_path / "home", database_url=url, secure_cookies=False)
    rt = build_runtime(settings, clock=clock)
    if request.param == "postgres":
        _truncate_all(rt)
    yield rt
    rt.close()


@pytest.fixture
def sqlite_runtime(tmp_path: Path, clock: FrozenClock, sqlite_template: Path) -> Iterator[Runtime]:
    """For behaviour that does not depend on the database."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(sqlite_template, home / "ironwatch.db")
    rt = build_runtime(Settings(home=home, secure_cookies=False), clock=clock)
    yield rt
    rt.close()
