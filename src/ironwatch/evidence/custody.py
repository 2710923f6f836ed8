"""The chain of custody: every handling of an item of evidence, hash-chained per item.

Entry *n* of an item stores ``prev_hash`` = hash of entry *n-1* (64 zeros for the first) and
``hash = SHA-256(prev_hash || canonical_json(entry))``. Changing, removing or reordering any
stored entry breaks the chain at that entry, and :func:`check_chain` says where.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from ironwatch.core.canonical import canonical_json, sha256_hex
from ironwatch.core.ids import new_id
from ironwatch.store.tables import CustodyEntryRow, EvidenceRow
from ironwatch.store.uow import UnitOfWork

GENESIS = "0" * 64


class CustodyAction(StrEnum):
    COLLECTED = "collected"
    TRANSFERRED = "transferred"
    ACCESSED = "accessed"
    ANALYSED = "analysed"
    EXPORTED = "exported"
    VERIFIED = "verified"
    RELEASED = "released"
    DESTROYED = "destroyed"


def entry_body(row: CustodyEntryRow) -> dict[str, Any]:
    """What an entry's hash covers: everything but the hash itself."""
    return {
        "id": row.id,
        "evidence_id": row.evidence_id,
        "incident_id": row.incident_id,
        "seq": row.seq,
        "action": row.action,
        "actor": row.actor,
        "at": row.at.astimezone(UTC).isoformat(),
        "purpose": row.purpose,
        "holder": row.holder,
        "location": row.location,
        "note": row.note,
        "details": row.details,
        "prev_hash": row.prev_hash,
    }


def entry_hash(body: dict[str, Any]) -> str:
    return sha256_hex(str(body["prev_hash"]).encode() + canonical_json(body))


def custody_log(uow: UnitOfWork, evidence_id: str) -> list[CustodyEntryRow]:
    """An item's entries in order (no permission check: callers hold the item already)."""
    return list(
        uow.session.scalars(
            select(CustodyEntryRow)
            .where(CustodyEntryRow.evidence_id == evidence_id)
            .order_by(CustodyEntryRow.seq)
        ).all()
    )


def append_entry(
    uow: UnitOfWork,
    evidence: EvidenceRow,
    action: CustodyAction,
    *,
    purpose: str = "",
    holder: str = "",
    location: str = "",
    note: str = "",
    details: dict[str, Any] | None = None,
) -> CustodyEntryRow:
    """Add the next entry to ``evidence``'s chain as the unit of work's principal, now.

    Takes the writers' turn first, so two handlings at once are chained one after the other.
    """
    uow.take_turn()
    last = uow.session.execute(
        select(CustodyEntryRow.seq, CustodyEntryRow.hash)
        .where(CustodyEntryRow.evidence_id == evidence.id)
        .order_by(CustodyEntryRow.seq.desc())
        .limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    row = CustodyEntryRow(
        id=new_id(),
        evidence_id=evidence.id,
        incident_id=evidence.incident_id,
        seq=seq,
        action=action.value,
        actor=uow.principal.name,
        at=uow.clock.now(),
        purpose=purpose,
        holder=holder,
        location=location,
        note=note,
        details=details or {},
        prev_hash=prev,
        hash="",
    )
    row.hash = entry_hash(entry_body(row))
    uow.session.add(row)
    uow.flush()
    return row


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    message: str


def check_chain(entries: list[CustodyEntryRow]) -> list[ChainProblem]:
    """Every break in an item's chain: a gap, a wrong link, an entry altered after it was written."""
    problems: list[ChainProblem] = []
    prev, expected = GENESIS, 1
    if not entries:
        return [ChainProblem(None, "the custody log is empty (the 'collected' entry is missing)")]
    for row in entries:
        if row.seq != expected:
            problems.append(ChainProblem(row.seq, f"entry {expected} is missing (next is {row.seq})"))
        elif row.prev_hash != prev:
            problems.append(ChainProblem(row.seq, f"entry {row.seq} does not link to entry {row.seq - 1}"))
        elif entry_hash(entry_body(row)) != row.hash:
            problems.append(ChainProblem(row.seq, f"entry {row.seq} was altered after it was written"))
        prev, expected = row.hash, row.seq + 1
    if entries[0].action != CustodyAction.COLLECTED.value:
        problems.append(ChainProblem(entries[0].seq, "the first entry is not 'collected'"))
    return problems
