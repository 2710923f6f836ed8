"""Where evidence content is kept: content-addressed, write-once, on local disk or in S3.

Every backend stages incoming content to a private local file while hashing and counting it
(:meth:`BlobStore.stage`), so the digest recorded is the digest of what was read, whatever the
source, and nothing over the size limit is ever kept. ``keep`` then moves it to its place,
named by its SHA-256: the same content twice is stored once. The local backend is the default;
``store.evidence_s3`` holds the S3 one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from ironwatch.store.blobs import BlobStore, StagedBlob

#: stored evidence files are read-only for their owner and closed to everyone else
READ_ONLY = 0o400


class ContentMissingError(Exception):
    """The stored content for a key is not there (deleted, or the store is not the one it was put in)."""

    def __init__(self, where: str) -> None:
        super().__init__(f"no stored content at {where}")
        self.where = where


@dataclass(frozen=True)
class StoredContent:
    """Where ``keep`` put content, and whether this call put it there (``False``: it was there)."""

    backend: str
    key: str
    placed: bool


class EvidenceStore(Protocol):
    """A write-once store of evidence content named by SHA-256."""

    #: ``local`` or ``s3``: recorded on each row so a later reader knows where to look
    backend: str
    #: largest item accepted, in bytes
    max_bytes: int

    def stage(self, stream: BinaryIO) -> StagedBlob:
        """Copy ``stream`` to a private temporary file, hashing and counting it.

        Raises :class:`~ironwatch.store.blobs.BlobTooLargeError` beyond ``max_bytes``.
        """
        ...

    def keep(self, staged: StagedBlob) -> StoredContent:
        """Move staged content to its place (or drop it if that content is already kept)."""
        ...

    def discard(self, staged: StagedBlob) -> None:
        """Forget staged content that will not be kept."""
        ...

    def remove(self, key: str) -> None:
        """Delete kept content (content placed in a transaction that did not commit, destroyed items)."""
        ...

    def open(self, key: str) -> AbstractContextManager[BinaryIO]:
        """A context manager reading kept content; :class:`ContentMissingError` if it is gone."""
        ...

    def describe(self, key: str) -> str:
        """Where the content is, for people: a path or an ``s3://`` address."""
        ...


class LocalEvidenceStore:
    """Evidence under ``root`` (``IRONWATCH_HOME/evidence``) as ``<sha256[:2]>/<sha256>``, read-only."""

    backend = "local"

    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self.blobs = BlobStore(root)
        self.max_bytes = max_bytes

    def stage(self, stream: BinaryIO) -> StagedBlob:
        return self.blobs.stage(stream, max_bytes=self.max_bytes)

    def keep(self, staged: StagedBlob) -> StoredContent:
        placed = self.blobs.place(staged)
        path = self.blobs.path_for(staged.sha256)
        os.chmod(path, READ_ONLY)
        return StoredContent(self.backend, _local_key(staged.sha256), placed)

    def discard(self, staged: StagedBlob) -> None:
        self.blobs.discard(staged)

    def remove(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        path = self._path(key)
        try:
            stream = path.open("rb")
        except FileNotFoundError:
            raise ContentMissingError(str(path)) from None
        with stream:
            yield stream

    def describe(self, key: str) -> str:
        return str(self._path(key))

    def _path(self, key: str) -> Path:
        # the key is "<aa>/<sha256>"; path_for checks the digest, so no key can leave the root
        return self.blobs.path_for(key.rpartition("/")[2])


def _local_key(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256}"
