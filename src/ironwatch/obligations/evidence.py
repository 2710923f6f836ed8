"""The copy of what was sent to a regulator, kept as an attachment of the incident (content-addressed)."""

from __future__ import annotations

from functools import partial
from typing import BinaryIO

from ironwatch.core.errors import TooLargeError
from ironwatch.core.permissions import Permission
from ironwatch.incidents.attachments import record_attachment
from ironwatch.obligations.service import find_obligation
from ironwatch.store.blobs import BlobStore, BlobTooLargeError
from ironwatch.store.uow import UnitOfWork


def attach_submission_copy(
    uow: UnitOfWork,
    obligation_id: str,
    stream: BinaryIO,
    *,
    filename: str,
    content_type: str | None,
    blobs: BlobStore,
    max_bytes: int,
) -> str:
    """Store the file on the obligation's incident; returns the attachment id to cite as evidence."""
    uow.principal.require(Permission.OBLIGATIONS_MANAGE)
    _, incident = find_obligation(uow, obligation_id)
    try:
        staged = blobs.stage(stream, max_bytes=max_bytes)
    except BlobTooLargeError as exc:
        raise TooLargeError(
            f"the file is larger than {exc.limit} bytes",
            hint="attach a smaller copy (see IRONWATCH_REPORT_MAX_ATTACHMENT_BYTES)",
        ) from exc
    if blobs.place(staged):
        uow.on_rollback(partial(blobs.remove, staged.sha256))
    row = record_attachment(
        uow, incident, sha256=staged.sha256, size=staged.size, filename=filename, content_type=content_type
    )
    uow.flush()
    return row.id
