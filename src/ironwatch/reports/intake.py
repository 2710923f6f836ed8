"""Attachments arriving with a report: counted, size-limited, hashed and staged, all or nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO, Self

from ironwatch.core.errors import TooLargeError, ValidationError
from ironwatch.settings import Settings
from ironwatch.store.blobs import BlobStore, BlobTooLargeError, StagedBlob

MIB = 1024 * 1024


@dataclass(frozen=True)
class IncomingFile:
    """A file as it arrives: the name and type its sender claims, and the content to read."""

    filename: str | None
    content_type: str | None
    stream: BinaryIO


@dataclass(frozen=True)
class AttachmentLimits:
    """How many attachments a report may carry and how large they may be, each and together."""

    max_file_bytes: int = 10 * MIB
    max_files: int = 5
    max_total_bytes: int = 25 * MIB

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(
            max_file_bytes=settings.report_max_attachment_bytes,
            max_files=settings.report_max_attachments,
            max_total_bytes=settings.report_max_total_attachment_bytes,
        )


@dataclass(frozen=True)
class StagedAttachment:
    file: IncomingFile
    blob: StagedBlob


def _size(limit: int) -> str:
    return f"{limit / MIB:g} MiB" if limit >= MIB else f"{limit} bytes"


def check_count(count: int, limits: AttachmentLimits) -> None:
    """Refuse more attachments than allowed before reading any of them."""
    if count > limits.max_files:
        raise ValidationError(
            f"{count} attachments given; a report may carry at most {limits.max_files}",
            hint="send the most telling files; an analyst can ask for more later",
            details={"max_attachments": limits.max_files},
        )


def stage_attachments(
    blobs: BlobStore, files: Sequence[IncomingFile], limits: AttachmentLimits
) -> list[StagedAttachment]:
    """Copy every file into the blob store's staging area, hashing and counting as it goes.

    All or nothing: if any file is over the per-file limit, or all of them together over the
    total, every staged copy is removed and a :class:`TooLargeError` (413) names the problem.
    """
    check_count(len(files), limits)
    staged: list[StagedAttachment] = []
    total = 0
    try:
        for file in files:
            try:
                blob = blobs.stage(file.stream, max_bytes=limits.max_file_bytes)
            except BlobTooLargeError:
                raise TooLargeError(
                    f"the attachment {file.filename or '(unnamed)'!r} is larger than "
                    f"{_size(limits.max_file_bytes)}",
                    hint="attach a smaller file (compress it, or cut a screenshot); nothing was stored",
                    details={"max_attachment_bytes": limits.max_file_bytes},
                ) from None
            staged.append(StagedAttachment(file=file, blob=blob))
            total += blob.size
            if total > limits.max_total_bytes:
                raise TooLargeError(
                    f"the attachments together are larger than {_size(limits.max_total_bytes)}",
                    hint="attach fewer or smaller files; nothing was stored",
                    details={"max_total_attachment_bytes": limits.max_total_bytes},
                )
    except BaseException:
        discard(blobs, staged)
        raise
    return staged


def discard(blobs: BlobStore, staged: Sequence[StagedAttachment]) -> None:
    """Remove staged copies that will not be kept (a no-op for those already placed)."""
    for item in staged:
        blobs.discard(item.blob)
