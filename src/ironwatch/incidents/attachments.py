"""Files attached to incidents: recorded with digest and size, listed and handed out to readers.

The content lives in a :class:`~ironwatch.store.blobs.BlobStore` under its SHA-256; the row
keeps the name the uploader gave (cleaned, for display only) and the type they claimed.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from sqlalchemy import select

from ironwatch.core.errors import NotFoundError
from ironwatch.core.ids import new_id
from ironwatch.core.permissions import Permission
from ironwatch.incidents.service import find_incident
from ironwatch.store.blobs import BlobStore
from ironwatch.store.tables import IncidentAttachmentRow, IncidentRow
from ironwatch.store.uow import UnitOfWork

MAX_FILENAME = 255
FALLBACK_FILENAME = "attachment"
OCTET_STREAM = "application/octet-stream"
#: types a browser may be told as they are: they cannot carry script (no HTML, SVG, XML, PDF)
SAFE_CONTENT_TYPES = frozenset(
    {"text/plain", "text/csv", "image/png", "image/jpeg", "image/gif", "image/webp"}
)
_MEDIA_PART = r"[a-z0-9][a-z0-9!#$&^_.+-]*"
_CONTENT_TYPE = re.compile(rf"^{_MEDIA_PART}/{_MEDIA_PART}$")


def clean_filename(name: str | None) -> str:
    """The uploader's file name made safe to show: no directories, control or bidi characters.

    Example: ``clean_filename("../../etc/passwd")`` is ``"passwd"``; a right-to-left override
    that would show ``invoice<U+202E>fdp.exe`` as ``invoiceexe.pdf`` is dropped.
    """
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[/\\]", text)[-1]
    # categories C*: control, format (bidi overrides that disguise extensions), unassigned, private;
    # control whitespace (tabs, line breaks) becomes a space, the rest goes
    text = "".join(
        (" " if ch.isspace() else "") if unicodedata.category(ch).startswith("C") else ch for ch in text
    )
    text = " ".join(text.split()).strip(" .")
    if len(text) > MAX_FILENAME:
        stem, dot, extension = text.rpartition(".")
        if dot and stem and len(extension) <= 16:
            text = stem[: MAX_FILENAME - len(extension) - 1].rstrip() + "." + extension
        else:
            text = text[:MAX_FILENAME]
    return text or FALLBACK_FILENAME


def clean_content_type(value: str | None) -> str:
    """The claimed media type without parameters, or ``application/octet-stream`` if malformed."""
    media = (value or "").split(";", 1)[0].strip().lower()
    return media if len(media) <= 127 and _CONTENT_TYPE.match(media) else OCTET_STREAM


def download_content_type(stored: str) -> str:
    """What a download is labelled: the stored type only when it is on the safe list."""
    return stored if stored in SAFE_CONTENT_TYPES else OCTET_STREAM


def record_attachment(
    uow: UnitOfWork,
    incident: IncidentRow,
    *,
    sha256: str,
    size: int,
    filename: str | None,
    content_type: str | None,
) -> IncidentAttachmentRow:
    """Record content already placed in the blob store as an attachment of ``incident``.

    Whoever opened the incident (a reporter attaching to their report) or may work on
    incidents (``incident:task``) may attach.
    """
    if incident.created_by != uow.principal.name:
        uow.principal.require(Permission.INCIDENT_TASK)
    row = IncidentAttachmentRow(
        id=new_id(),
        incident_id=incident.id,
        filename=clean_filename(filename),
        content_type=clean_content_type(content_type),
        size=size,
        sha256=sha256,
        uploaded_by=uow.principal.name,
        uploaded_at=uow.clock.now(),
    )
    uow.session.add(row)
    return row


def attachments_of(uow: UnitOfWork, incident_id: str) -> list[IncidentAttachmentRow]:
    """The attachments of an incident the caller already holds, oldest first, then by name."""
    return list(
        uow.session.scalars(
            select(IncidentAttachmentRow)
            .where(IncidentAttachmentRow.incident_id == incident_id)
            .order_by(
                IncidentAttachmentRow.uploaded_at, IncidentAttachmentRow.filename, IncidentAttachmentRow.id
            )
        ).all()
    )


def list_attachments(uow: UnitOfWork, key: str) -> list[IncidentAttachmentRow]:
    """The attachments of an incident the principal may read (``incident:read``, need-to-know)."""
    return attachments_of(uow, find_incident(uow, key).id)


def attachment_file(
    uow: UnitOfWork, key: str, attachment_id: str, blobs: BlobStore
) -> tuple[IncidentAttachmentRow, Path]:
    """One attachment of a readable incident and the file that holds its content."""
    incident = find_incident(uow, key)
    row = uow.session.get(IncidentAttachmentRow, attachment_id)
    if row is None or row.incident_id != incident.id:
        raise NotFoundError(
            f"incident {incident.ref} has no attachment {attachment_id!r}",
            hint=f"list them with GET /api/v1/incidents/{incident.ref}/attachments",
        )
    return row, blobs.existing_path(row.sha256)
