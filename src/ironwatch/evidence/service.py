"""Evidence services: take items into the locker, find them under need-to-know, record handling.

Content goes to the unit of work's evidence store (content-addressed, write-once); the row keeps
its SHA-256 and size as read at intake, and every handling adds an entry to the item's
hash-chained custody log (``evidence.custody``). Integrity checks are in ``evidence.verify``,
exports in ``evidence.export``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Select, func, select

from ironwatch.core.domain_events import DomainEvent
from ironwatch.core.errors import ConflictError, NotFoundError, TooLargeError, ValidationError
from ironwatch.core.ids import new_id
from ironwatch.core.permissions import Permission
from ironwatch.evidence.custody import CustodyAction, append_entry
from ironwatch.incidents.attachments import clean_content_type, clean_filename
from ironwatch.incidents.service import find_incident, visible_to
from ironwatch.store.blobs import BlobTooLargeError
from ironwatch.store.tables import EvidenceRow, IncidentRow
from ironwatch.store.uow import UnitOfWork

_LABEL = re.compile(r"^(IR-\d{4}-\d{4,})-E(\d+)$", re.IGNORECASE)
HELD, RELEASED, DESTROYED = "held", "released", "destroyed"
#: what a person records with ``handle``; the others are recorded by the system as they happen
HANDLING_ACTIONS = (
    CustodyAction.TRANSFERRED,
    CustodyAction.ANALYSED,
    CustodyAction.RELEASED,
    CustodyAction.DESTROYED,
)
MAX_TAGS = 20


def label(incident_ref: str, number: int) -> str:
    """The name people use for an item: ``IR-2026-0001-E3`` (the incident's third item)."""
    return f"{incident_ref}-E{number}"


def register_file(
    uow: UnitOfWork,
    incident_key: str,
    path: Path,
    *,
    filename: str,
    description: str,
    purpose: str,
    location: str,
    source: str,
) -> EvidenceRow:
    """Take the file at ``path`` into the locker as evidence of an incident (``evidence:write``).

    For response actions that collect files or take images: the file is hashed (SHA-256) and
    sized while it is copied into the evidence store, and the item's custody log starts with
    ``collected`` (who, when, purpose, location), on the incident's audit trail. The file at
    ``path`` is left as it is. Example::

        register_file(uow, "IR-2026-0001", Path("/var/tmp/web01.img"), filename="web01.img",
                      description="disk image of web01", purpose="forensic analysis",
                      location="evidence store", source="action:disk-image")
    """
    uow.principal.require(Permission.EVIDENCE_WRITE)
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise ValidationError(
            f"cannot read {path}: {exc.strerror or exc}",
            hint="give a readable regular file; the evidence was not registered",
        ) from None
    with stream:
        return add_evidence(
            uow,
            incident_key,
            stream,
            filename=filename,
            description=description,
            purpose=purpose,
            location=location,
            source=source,
        )


def add_evidence(
    uow: UnitOfWork,
    incident_key: str,
    stream: BinaryIO,
    *,
    filename: str | None,
    description: str,
    purpose: str,
    location: str,
    source: str,
    content_type: str | None = None,
    tags: Sequence[str] = (),
) -> EvidenceRow:
    """Take content read from ``stream`` into the locker (``evidence:write``); the caller commits.

    The content is stored before the rows are written; if the unit of work does not commit,
    content this call stored is removed again.
    """
    uow.principal.require(Permission.EVIDENCE_WRITE)
    incident = find_incident(uow, incident_key)
    if not purpose.strip():
        raise ValidationError(
            "the purpose of collecting the evidence is missing",
            hint="say why it is collected, e.g. --purpose 'forensic analysis of the phishing mail'",
        )
    clean_tags = _tags(tags)
    store = uow.evidence_store
    try:
        staged = store.stage(stream)
    except BlobTooLargeError:
        raise TooLargeError(
            f"{filename or 'the file'!r} is larger than the evidence limit of {store.max_bytes} bytes",
            hint="raise IRONWATCH_EVIDENCE_MAX_BYTES, or keep the item outside and record where it is",
            details={"max_bytes": store.max_bytes},
        ) from None
    try:
        stored = store.keep(staged)
    except BaseException:
        store.discard(staged)
        raise
    if stored.placed:
        uow.on_rollback(partial(store.remove, stored.key))
    uow.take_turn()
    now = uow.clock.now()
    number = (
        uow.session.scalar(select(func.max(EvidenceRow.number)).where(EvidenceRow.incident_id == incident.id))
        or 0
    ) + 1
    row = EvidenceRow(
        id=new_id(),
        incident_id=incident.id,
        number=number,
        filename=clean_filename(filename),
        description=description.strip(),
        content_type=clean_content_type(content_type),
        size=staged.size,
        sha256=staged.sha256,
        storage_backend=stored.backend,
        storage_key=stored.key,
        source=source,
        tags=clean_tags,
        collected_by=uow.principal.name,
        collected_at=now,
        holder=uow.principal.name,
        location=location.strip(),
        status=HELD,
        status_reason="",
    )
    uow.set_action("evidence.collect")
    uow.session.add(row)
    uow.flush()
    append_entry(
        uow,
        row,
        CustodyAction.COLLECTED,
        purpose=purpose.strip(),
        holder=row.holder,
        location=row.location,
        details={"sha256": row.sha256, "size": row.size, "filename": row.filename, "source": source},
    )
    uow.set_action(None)
    uow.publish(
        DomainEvent(
            "evidence.collected",
            incident.id,
            {
                "ref": incident.ref,
                "evidence_id": row.id,
                "label": label(incident.ref, number),
                "sha256": row.sha256,
                "size": row.size,
                "source": source,
            },
        )
    )
    return row


def _tags(tags: Iterable[str]) -> list[str]:
    clean = sorted({t.strip().lower() for t in tags if t.strip()})
    if len(clean) > MAX_TAGS or any(len(t) > 50 for t in clean):
        raise ValidationError(
            f"at most {MAX_TAGS} tags of up to 50 characters each", hint="use fewer, shorter tags"
        )
    return clean


def _visible_items(uow: UnitOfWork) -> Select[EvidenceRow, IncidentRow]:
    return (
        select(EvidenceRow, IncidentRow)
        .join(IncidentRow, IncidentRow.id == EvidenceRow.incident_id)
        .where(visible_to(uow.principal))
    )


def find_evidence(uow: UnitOfWork, key: str) -> tuple[EvidenceRow, IncidentRow]:
    """An item by id or label (``IR-2026-0001-E3``) of an incident the principal may see, else 404.

    Needs ``evidence:read``; need-to-know is the incident's.
    """
    uow.principal.require(Permission.EVIDENCE_READ)
    key = key.strip()
    query = _visible_items(uow)
    if match := _LABEL.match(key):
        query = query.where(
            IncidentRow.ref == match.group(1).upper(), EvidenceRow.number == int(match.group(2))
        )
    else:
        query = query.where(EvidenceRow.id == key)
    found = uow.session.execute(query).one_or_none()
    if found is None:
        raise NotFoundError(
            f"no evidence {key!r}",
            hint="give the label (e.g. IR-2026-0001-E1) or id; list with `ironwatch evidence list`",
        )
    return found[0], found[1]


def list_evidence(uow: UnitOfWork, incident_key: str | None = None) -> list[tuple[EvidenceRow, IncidentRow]]:
    """Items the principal may see (of one incident, or all), in order of intake."""
    uow.principal.require(Permission.EVIDENCE_READ)
    query = _visible_items(uow)
    if incident_key is not None:
        query = query.where(EvidenceRow.incident_id == find_incident(uow, incident_key).id)
    return [
        (e, i)
        for e, i in uow.session.execute(
            query.order_by(EvidenceRow.collected_at, IncidentRow.ref, EvidenceRow.number)
        ).all()
    ]


def handle_evidence(
    uow: UnitOfWork,
    key: str,
    action: str,
    *,
    purpose: str,
    holder: str | None = None,
    location: str | None = None,
    note: str = "",
) -> EvidenceRow:
    """Record a handling (``evidence:write``): transferred to a holder, analysed, released, destroyed.

    ``transferred`` needs the new ``holder``; ``released`` and ``destroyed`` need a ``note`` saying
    why, end the item's custody, and ``destroyed`` deletes the stored content once no other held
    item shares it.
    """
    uow.principal.require(Permission.EVIDENCE_WRITE)
    evidence, incident = find_evidence(uow, key)
    chosen = _handling_action(action)
    if evidence.status != HELD:
        raise ConflictError(
            f"{label(incident.ref, evidence.number)} was {evidence.status}; its custody has ended",
            hint="a released or destroyed item takes no further handling",
        )
    if not purpose.strip():
        raise ValidationError("the purpose of the handling is missing", hint="give --purpose")
    if chosen is CustodyAction.TRANSFERRED and not (holder and holder.strip()):
        raise ValidationError("a transfer needs the new holder", hint="give --to HOLDER")
    if chosen in (CustodyAction.RELEASED, CustodyAction.DESTROYED) and not note.strip():
        raise ValidationError(f"say why the item is {chosen.value}", hint="give --note REASON")
    uow.set_action(f"evidence.{chosen.value}")
    if chosen is CustodyAction.TRANSFERRED and holder:
        evidence.holder = holder.strip()
    if location is not None and location.strip():
        evidence.location = location.strip()
    if chosen in (CustodyAction.RELEASED, CustodyAction.DESTROYED):
        evidence.status = RELEASED if chosen is CustodyAction.RELEASED else DESTROYED
        evidence.status_reason = note.strip()
        evidence.status_changed_at = uow.clock.now()
    uow.flush()
    append_entry(
        uow,
        evidence,
        chosen,
        purpose=purpose.strip(),
        holder=evidence.holder,
        location=evidence.location,
        note=note.strip(),
    )
    uow.set_action(None)
    if chosen is CustodyAction.DESTROYED and not _still_needed(uow, evidence):
        uow.after_commit(partial(uow.evidence_store.remove, evidence.storage_key))
    return evidence


def _handling_action(action: str) -> CustodyAction:
    value = action.strip().lower()
    for candidate in HANDLING_ACTIONS:
        if candidate.value == value:
            return candidate
    raise ValidationError(
        f"{action!r} is not a handling you record",
        hint=f"use one of: {', '.join(a.value for a in HANDLING_ACTIONS)} "
        "(collected, accessed, exported and verified are recorded as they happen)",
    )


def _still_needed(uow: UnitOfWork, evidence: EvidenceRow) -> bool:
    others = uow.session.scalar(
        select(func.count())
        .select_from(EvidenceRow)
        .where(
            EvidenceRow.storage_key == evidence.storage_key,
            EvidenceRow.id != evidence.id,
            EvidenceRow.status != DESTROYED,
        )
    )
    return bool(others)


def record_access(uow: UnitOfWork, key: str, *, purpose: str) -> tuple[EvidenceRow, IncidentRow]:
    """Record that the principal takes the content (a download) before it is handed out."""
    evidence, incident = find_evidence(uow, key)
    if evidence.status == DESTROYED:
        raise ConflictError(
            f"{label(incident.ref, evidence.number)} was destroyed; its content is gone",
            hint="the custody log and the manifest remain: `ironwatch evidence show`",
        )
    uow.set_action("evidence.access")
    append_entry(
        uow,
        evidence,
        CustodyAction.ACCESSED,
        purpose=purpose.strip() or "download",
        holder=evidence.holder,
        location=evidence.location,
    )
    uow.set_action(None)
    return evidence, incident
