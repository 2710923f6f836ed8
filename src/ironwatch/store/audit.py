"""The audit trail: every write is recorded, hash-chained, and can be verified.

A SQLAlchemy ``before_flush`` hook records every insert, update and delete of an audited
table (``__audit_type__`` set) in the same transaction, so no service can forget to audit.
Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical JSON;
each entry also keeps the SHA-256 of the object's state after the change, so a row edited
behind ironwatch's back no longer matches its last audited state.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.orm import Session, UOWTransaction

from ironwatch.core.canonical import canonical_json, sha256_hex
from ironwatch.core.errors import ConfigurationError
from ironwatch.store.tables.audit import AuditEntryRow
from ironwatch.store.tables.base import Base

GENESIS = "0" * 64
_PG_AUDIT_LOCK = 27035_0001


@dataclass(frozen=True)
class AuditContext:
    """Who is writing, from where, and (optionally) the name of what they are doing."""

    actor: str
    source_ip: str | None = None
    action: str | None = None


def snapshot(obj: Base) -> dict[str, Any]:
    """The object's column values as plain JSON-ready data."""
    mapper = inspect(obj).mapper
    return {attr.key: _plain(getattr(obj, attr.key)) for attr in mapper.column_attrs}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def _before(obj: Base) -> dict[str, Any]:
    state = inspect(obj)
    values: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if history.deleted:
            values[attr.key] = _plain(history.deleted[0])
        elif history.unchanged:
            values[attr.key] = _plain(history.unchanged[0])
        else:
            values[attr.key] = _plain(getattr(obj, attr.key))
    return values


def state_hash(values: dict[str, Any]) -> str:
    return sha256_hex(canonical_json(values))


def entry_hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return sha256_hex(body["prev_hash"].encode() + canonical_json(body))


def entry_body(row: AuditEntryRow) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "at": _plain(row.at),
        "actor": row.actor,
        "source_ip": row.source_ip,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "incident_id": row.incident_id,
        "changes": row.changes,
        "state_hash": row.state_hash,
        "prev_hash": row.prev_hash,
    }


def _diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    keys = set(before or {}) | set(after or {})
    changes: dict[str, Any] = {}
    for key in sorted(keys):
        old = (before or {}).get(key)
        new = (after or {}).get(key)
        if old != new or before is None or after is None:
            changes[key] = [old, new]
    return changes


def lock_chain(session: Session) -> None:
    """Hold the audit chain's lock until the transaction ends, so audited writers take turns.

    SQLite writers hold the database's write lock from ``BEGIN IMMEDIATE`` on; PostgreSQL
    writers take a transaction-level advisory lock here (again is a no-op).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})


def _head(session: Session) -> tuple[int, str]:
    """The last entry: one added in this session but not yet flushed, else the database's."""
    queued = [obj for obj in session.new if isinstance(obj, AuditEntryRow)]
    if queued:
        last = max(queued, key=lambda entry: entry.seq)
        return last.seq, last.hash
    lock_chain(session)
    row = session.execute(
        select(AuditEntryRow.seq, AuditEntryRow.hash).order_by(AuditEntryRow.seq.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else (0, GENESIS)


def _object_type(obj: object) -> str | None:
    return getattr(type(obj), "__audit_type__", None) if isinstance(obj, Base) else None


def _incident_id(obj: Base, values: dict[str, Any]) -> str | None:
    if _object_type(obj) == "incident":
        return str(values.get("id"))
    ref = values.get("incident_id")
    return str(ref) if ref else None


def _on_before_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    pending: list[tuple[Base, str, dict[str, Any] | None, dict[str, Any] | None]] = []
    for obj in list(session.new):
        if (kind := _object_type(obj)) is not None:
            pending.append((obj, f"{kind}.create", None, snapshot(obj)))
    for obj in list(session.dirty):
        if (kind := _object_type(obj)) is not None and session.is_modified(obj, include_collections=False):
            before = _before(obj)
            after = snapshot(obj)
            if before != after:
                pending.append((obj, f"{kind}.update", before, after))
    for obj in list(session.deleted):
        if (kind := _object_type(obj)) is not None:
            pending.append((obj, f"{kind}.delete", _before(obj), None))
    if not pending:
        return
    context = session.info.get("audit")
    if not isinstance(context, AuditContext):
        raise ConfigurationError(
            "a write reached the database without an actor",
            hint="open the unit of work with an actor; every write is audited",
        )
    _append(
        session,
        context,
        [
            (
                context.action or default_action,
                _object_type(obj) or "",
                after if after is not None else (before or {}),
                _diff(before, after),
                state_hash(after) if after is not None else None,
                _incident_id(obj, after if after is not None else (before or {})),
            )
            for obj, default_action, before, after in pending
        ],
    )


_Pending = tuple[str, str, dict[str, Any], dict[str, Any], str | None, str | None]


def _append(session: Session, context: AuditContext, items: list[_Pending]) -> None:
    with session.no_autoflush:
        seq, prev = _head(session)
        now = datetime.now(UTC)
        for action, object_type, values, changes, digest_of_state, incident_id in items:
            seq += 1
            entry = {
                "seq": seq,
                "at": now.isoformat(),
                "actor": context.actor,
                "source_ip": context.source_ip,
                "action": action,
                "object_type": object_type,
                "object_id": str(values.get("id")),
                "incident_id": incident_id,
                "changes": changes,
                "state_hash": digest_of_state,
                "prev_hash": prev,
            }
            digest = entry_hash(entry)
            session.add(
                AuditEntryRow(
                    seq=seq,
                    at=now,
                    actor=context.actor,
                    source_ip=context.source_ip,
                    action=action,
                    object_type=object_type,
                    object_id=entry["object_id"],
                    incident_id=incident_id,
                    changes=changes,
                    state_hash=digest_of_state,
                    prev_hash=prev,
                    hash=digest,
                )
            )
            prev = digest


def append_event(
    session: Session,
    context: AuditContext,
    *,
    action: str,
    object_type: str,
    object_id: str,
    details: dict[str, Any],
    incident_id: str | None = None,
) -> None:
    """Record something that is not a row change (a failed login, an export, a denied request)."""
    _append(session, context, [(action, object_type, {"id": object_id}, details, None, incident_id)])


def install_audit_hook() -> None:
    """Register the hook once for every session in the process."""
    if not event.contains(Session, "before_flush", _on_before_flush):
        event.listen(Session, "before_flush", _on_before_flush)


@dataclass(frozen=True)
class VerifyProblem:
    kind: str
    message: str
    seq: int | None = None
    object_type: str | None = None
    object_id: str | None = None


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    objects: int
    problems: list[VerifyProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


def _iter_entries(session: Session, batch: int = 5000) -> Iterator[AuditEntryRow]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEntryRow).where(AuditEntryRow.seq > last).order_by(AuditEntryRow.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify_audit(session: Session) -> VerifyReport:
    """Check the chain link by link, then every audited row against its last audited state."""
    problems: list[VerifyProblem] = []
    last_state: dict[tuple[str, str], str | None] = {}
    prev, expected_seq, count = GENESIS, 1, 0
    for row in _iter_entries(session):
        count += 1
        body = entry_body(row)
        if not problems:
            if row.seq != expected_seq:
                problems.append(
                    VerifyProblem(
                        "chain", f"entry {expected_seq} is missing (next is {row.seq})", expected_seq
                    )
                )
            elif row.prev_hash != prev:
                problems.append(
                    VerifyProblem("chain", f"entry {row.seq} does not link to entry {row.seq - 1}", row.seq)
                )
            elif entry_hash(body) != row.hash:
                problems.append(
                    VerifyProblem("chain", f"entry {row.seq} was altered after it was written", row.seq)
                )
        prev, expected_seq = row.hash, row.seq + 1
        last_state[(row.object_type, row.object_id)] = row.state_hash
    seen: set[tuple[str, str]] = set()
    objects = 0
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        kind = getattr(cls, "__audit_type__", None)
        if kind is None:
            continue
        for obj in session.scalars(select(cls)).yield_per(1000):
            objects += 1
            values = snapshot(obj)
            key = (kind, str(values.get("id")))
            label = f"{kind} {values['ref']} ({key[1]})" if "ref" in values else f"{kind} {key[1]}"
            seen.add(key)
            if key not in last_state:
                problems.append(
                    VerifyProblem("record", f"{label} has no audit entry (inserted directly?)", None, *key)
                )
            elif last_state[key] is None:
                problems.append(VerifyProblem("record", f"{label} was deleted but exists again", None, *key))
            elif last_state[key] != state_hash(values):
                problems.append(
                    VerifyProblem("record", f"{label} differs from its last audited state", None, *key)
                )
    for key, digest in last_state.items():
        if digest is not None and key not in seen:
            problems.append(
                VerifyProblem(
                    "record", f"{key[0]} {key[1]} is audited but missing (deleted directly?)", None, *key
                )
            )
    return VerifyReport(entries=count, objects=objects, problems=problems)


def count_entries(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditEntryRow)) or 0)
