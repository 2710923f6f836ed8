"""Re-verification on demand: the stored content against its digest, the custody chain link by link.

Every check is itself recorded as a ``verified`` custody entry, ``verified: OK`` or
``verified: FAILED`` with what was expected and what was found, so the log shows when the item
was last known intact and when it was found not to be.
"""

from __future__ import annotations

import hashlib

from ironwatch.core.permissions import Permission
from ironwatch.evidence.custody import CustodyAction, append_entry, check_chain, custody_log
from ironwatch.evidence.schemas import VerifyView
from ironwatch.evidence.service import DESTROYED, find_evidence, label
from ironwatch.store.blobs import CHUNK
from ironwatch.store.evidence_store import ContentMissingError, EvidenceStore
from ironwatch.store.tables import EvidenceRow
from ironwatch.store.uow import UnitOfWork


def hash_stored(store: EvidenceStore, key: str) -> tuple[str, int]:
    """SHA-256 and size of stored content, read in chunks (items may be disk images)."""
    digest = hashlib.sha256()
    size = 0
    with store.open(key) as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def verify_evidence(uow: UnitOfWork, key: str) -> VerifyView:
    """Check one item and record the check (``evidence:read``); the caller commits either way.

    A failure is reported in the result (``ok`` false, with each problem), not raised, so that
    the ``verified: FAILED`` entry is kept.
    """
    uow.principal.require(Permission.EVIDENCE_READ)
    evidence, incident = find_evidence(uow, key)
    name = label(incident.ref, evidence.number)
    problems: list[str] = []
    found_sha: str | None = None
    found_size: int | None = None
    if evidence.status == DESTROYED:
        content = "not checked (destroyed)"
    else:
        try:
            found_sha, found_size = hash_stored(uow.evidence_store, evidence.storage_key)
        except ContentMissingError as exc:
            content = "missing"
            problems.append(f"{name}: the stored content is missing ({exc.where})")
        else:
            content = "ok" if (found_sha, found_size) == (evidence.sha256, evidence.size) else "mismatch"
            if content == "mismatch":
                problems.append(
                    f"{name}: content does not match: expected SHA-256 {evidence.sha256} "
                    f"({evidence.size} bytes), found {found_sha} ({found_size} bytes)"
                )
    entries = custody_log(uow, evidence.id)
    problems.extend(f"{name}: custody {problem.message}" for problem in check_chain(entries))
    problems.extend(_intake_problems(name, evidence, entries[0].details if entries else {}))
    ok = not problems
    uow.set_action("evidence.verify")
    append_entry(
        uow,
        evidence,
        CustodyAction.VERIFIED,
        purpose="integrity check",
        holder=evidence.holder,
        location=evidence.location,
        note="verified: OK" if ok else "verified: FAILED; " + "; ".join(problems),
        details={
            "result": "ok" if ok else "failed",
            "content": content,
            "expected_sha256": evidence.sha256,
            "found_sha256": found_sha,
            "expected_size": evidence.size,
            "found_size": found_size,
            "problems": problems,
        },
    )
    uow.set_action(None)
    return VerifyView(
        evidence_id=evidence.id,
        label=name,
        ok=ok,
        content=content,
        expected_sha256=evidence.sha256,
        found_sha256=found_sha,
        expected_size=evidence.size,
        found_size=found_size,
        problems=problems,
    )


def _intake_problems(name: str, evidence: EvidenceRow, collected: dict[str, object]) -> list[str]:
    """The row's digest and size must still be those the chained ``collected`` entry recorded."""
    recorded = (collected.get("sha256"), collected.get("size"))
    if recorded == (evidence.sha256, evidence.size):
        return []
    return [
        f"{name}: the recorded digest or size ({evidence.sha256}, {evidence.size} bytes) differs from "
        f"the one taken at intake ({recorded[0]}, {recorded[1]} bytes)"
    ]
