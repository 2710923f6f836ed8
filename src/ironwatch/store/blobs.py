"""Content-addressed files (attachments, later evidence) under ``IRONWATCH_HOME``.

A file is stored once as ``<root>/<sha256[:2]>/<sha256>``: the name comes from the content,
never from a client, so no upload can choose where it lands. Content arrives in two steps:
``stage`` copies it into a private temporary file while hashing and counting (refusing it
beyond a size limit), ``place`` renames it into place. Nothing half-written is ever visible
under its final name.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ironwatch.core.errors import IntegrityError

CHUNK = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_INCOMING = ".incoming"


class BlobTooLargeError(Exception):
    """The content is longer than the limit it was staged with."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"content longer than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class StagedBlob:
    """Content copied to a temporary file, with its digest and size, not yet in place."""

    sha256: str
    size: int
    temp_path: Path


class BlobStore:
    """Files named by their SHA-256 under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def stage(self, stream: BinaryIO, *, max_bytes: int) -> StagedBlob:
        """Copy ``stream`` to a temporary file, hashing as it goes; refuse more than ``max_bytes``.

        Raises :class:`BlobTooLargeError` (and leaves nothing behind) when the content is longer.
        """
        incoming = self.root / _INCOMING
        incoming.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp_path = incoming / secrets.token_hex(16)
        digest = hashlib.sha256()
        size = 0
        fd = os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise BlobTooLargeError(max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise
        return StagedBlob(sha256=digest.hexdigest(), size=size, temp_path=temp_path)

    def place(self, staged: StagedBlob) -> bool:
        """Move staged content to its final name; ``True`` if it was not stored before."""
        target = self.path_for(staged.sha256)
        if target.exists():
            staged.temp_path.unlink(missing_ok=True)
            return False
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.replace(staged.temp_path, target)
        return True

    def discard(self, staged: StagedBlob) -> None:
        """Forget staged content that will not be kept."""
        staged.temp_path.unlink(missing_ok=True)

    def remove(self, sha256: str) -> None:
        """Delete stored content (only for content this process placed and must take back)."""
        self.path_for(sha256).unlink(missing_ok=True)

    def existing_path(self, sha256: str) -> Path:
        """The file holding this content; an :class:`IntegrityError` if it is gone."""
        path = self.path_for(sha256)
        if not path.is_file():
            raise IntegrityError(
                f"the stored content {sha256} is missing from the attachment store",
                hint="restore IRONWATCH_HOME/attachments from a backup; the database still records it",
            )
        return path
