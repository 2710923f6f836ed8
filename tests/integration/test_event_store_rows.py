"""The stored shape of events: both write paths (SQLite tuples, SQLAlchemy on PostgreSQL) agree,
replays are ignored, and the searches by host, user and address use their indexes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from ironwatch.bootstrap import Runtime
from ironwatch.core.principal import system_principal
from ironwatch.ingest.event import Event
from ironwatch.ingest.search import EventQuery, _conditions, search_events
from ironwatch.ingest.store import MESSAGE_LIMIT, event_row, store_results
from ironwatch.store.db import Database
from ironwatch.store.tables import EventRow

WHEN = datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
RECEIVED = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
READER = system_principal("test-reader")


def _events() -> list[Event]:
    def event(n: int, fields: dict[str, object], **kwargs: Any) -> Event:
        values: dict[str, Any] = {
            "id": "",
            "timestamp": WHEN + timedelta(seconds=n),
            "received_at": RECEIVED,
            "dataset": "linux.auth",
            "fields": fields,
            "original": f"line {n}",
            "source": "syslog-tcp",
        }
        values.update(kwargs)
        return Event(**values)

    return [
        event(
            0, {"host.name": "Bastion", "user.name": "Root", "source.ip": "203.0.113.9", "event.action": "x"}
        ),
        event(
            1, {"Computer": "DC01.corp", "TargetUserName": "alice", "IpAddress": "10.0.0.7"}, timestamp=None
        ),
        event(2, {"host.name": "", "host.hostname": 42, "destination.ip": "10.0.0.5"}, notes=("repaired",)),
        event(3, {"event.outcome": "success"}, original="x" * (MESSAGE_LIMIT + 10)),
        event(4, {"host.name": "h" * 300, "user.name": None, "SubjectUserName": "svc"}),
    ]


def _ids(n: int) -> list[str]:
    return [f"0190aaaa-0000-8000-8000-{i:012d}" for i in range(n)]


def test_stored_rows_read_back_as_the_events_say_on_both_databases(runtime: Runtime) -> None:
    events = _events()
    with runtime.db.engine.begin() as conn:
        assert store_results(conn, list(zip(events, _ids(len(events)), strict=True))) == (5, 0)
    with runtime.db.engine.begin() as conn:  # a replay after a crash: same ids, nothing added
        store_results(conn, list(zip(_events(), _ids(len(events)), strict=True)))
    with runtime.uow(READER) as uow:
        rows = {r.id: r for r in uow.session.scalars(select(EventRow))}
        assert len(rows) == len(events)
        for event in events:
            expected = event_row(event)
            row = rows[event.id]
            got = {name: getattr(row, name) for name in expected}
            assert got == expected
    assert rows[events[1].id].event_time == RECEIVED  # no source time: the receive time
    assert rows[events[2].id].host == "42"  # the first present value, as text
    assert len(rows[events[3].id].message) == MESSAGE_LIMIT and rows[events[3].id].size == MESSAGE_LIMIT + 10
    assert rows[events[4].id].host == "h" * 255 and rows[events[4].id].user_name == "svc"


def test_host_and_user_searches_ignore_case_on_both_databases(runtime: Runtime) -> None:
    events = _events()
    with runtime.db.engine.begin() as conn:
        store_results(conn, list(zip(events, _ids(len(events)), strict=True)))
    with runtime.uow(READER) as uow:
        total, found = search_events(uow, EventQuery(host="bastion"))
        assert total == 1 and found[0].host == "Bastion"
        assert search_events(uow, EventQuery(user="ROOT"))[0] == 1
        assert search_events(uow, EventQuery(host="dc01.CORP", user="Alice"))[0] == 1
        assert search_events(uow, EventQuery(address="10.0.0.5"))[0] == 1
        assert search_events(uow, EventQuery(address="10.0.0.7"))[0] == 1


def test_host_user_and_address_searches_use_their_indexes(sqlite_runtime: Runtime) -> None:
    """Without a usable index these searches read the whole table (every event ever kept)."""
    queries = {
        "ix_events_host_time": EventQuery(host="bastion"),
        "ix_events_user_time": EventQuery(user="root", since=WHEN),
        "ix_events_source_ip_time": EventQuery(address="10.0.0.5"),
        "ix_events_destination_ip_time": EventQuery(address="10.0.0.5"),
    }
    with sqlite_runtime.db.engine.connect() as conn:
        for index, query in queries.items():
            statement = select(EventRow.id).where(*_conditions(query)).order_by(EventRow.event_time.desc())
            sql = str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
            plan = " ".join(str(r[3]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
            assert f"USING INDEX {index}" in plan, plan


def test_storing_on_sqlite_leaves_the_connection_with_the_default_page_cache(tmp_path: Any) -> None:
    """The batch's 32 MiB page cache is given back: pooled connections must not each keep one."""
    db = Database(f"sqlite:///{tmp_path / 'events.db'}")
    EventRow.metadata.create_all(db.engine, tables=[EventRow.__table__])  # type: ignore[list-item]
    with db.engine.connect() as conn:
        with conn.begin():
            store_results(conn, list(zip(_events(), _ids(5), strict=True)))
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -2000
        assert conn.exec_driver_sql("SELECT count(*) FROM events").scalar() == 5
    db.engine.dispose()
