"""Compiled Hyperscan databases kept on disk, so a restart does not compile them again.

Building a route plan's literal database is the costly part of the first sight of a routing key
(the process-creation plan's 10,000 literals take ~0.3 s). ``serve`` gives the engine a
directory (``IRONWATCH_HOME/rule-cache/hyperscan``) and each database is stored there once,
under a digest of everything that shapes it: the literals in order, the compile flags and mode,
the Hyperscan version and the platform features it reports, and this file format's version.

An entry is ``MAGIC + sha256(payload) + payload`` (``payload`` from ``hyperscan.dumpb``). A file
that is truncated, altered, or was written by another Hyperscan build fails the checksum or
``loadb`` and the database is compiled as if there were no cache (logged once per directory;
never an error). Writes go to a temporary file renamed into place; the directory keeps the
``MAX_ENTRIES`` most recently used entries (a hit refreshes the entry's modification time).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import platform
import tempfile
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger("ironwatch.detect")

FORMAT_VERSION = b"1"
MAGIC = b"IWHSDB1\n"
SUFFIX = ".hsdb"
MAX_ENTRIES = 256  # a full Windows rule set needs ~60 databases; a few rule sets fit


def database_key(literals: Sequence[str], *, flags: int, mode: int, build: bytes) -> str:
    """The digest naming one database: literals in order, flags, mode, Hyperscan build, format."""
    digest = hashlib.sha256()
    for part in (FORMAT_VERSION, str(flags).encode(), str(mode).encode(), build, platform.machine().encode()):
        digest.update(part + b"\0")
    digest.update(str(len(literals)).encode() + b"\0")
    for literal in literals:
        encoded = literal.encode()
        digest.update(str(len(encoded)).encode() + b":" + encoded)  # length-prefixed: no ambiguity
    return digest.hexdigest()


class DatabaseCache:
    """Serialized databases in one directory, by :func:`database_key`."""

    def __init__(self, root: Path, *, max_entries: int = MAX_ENTRIES) -> None:
        self.root = root
        self._max_entries = max_entries
        self._warned = False
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.root / f"{key}{SUFFIX}"

    def read(self, key: str) -> bytes | None:
        """The stored payload for ``key``, or None (missing, or failing its checksum: then logged)."""
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            self.misses += 1
            return None
        except OSError as exc:
            self.reject(key, f"unreadable: {exc}")
            return None
        header = len(MAGIC) + 32
        if len(data) <= header or not data.startswith(MAGIC):
            self.reject(key, "not a database file or truncated")
            return None
        payload = data[header:]
        if hashlib.sha256(payload).digest() != data[len(MAGIC) : header]:
            self.reject(key, "checksum mismatch (truncated or altered)")
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used: kept longest when pruning
        self.hits += 1
        return payload

    def reject(self, key: str, reason: str) -> None:
        """Count a stored entry as unusable (it will be compiled and overwritten); log the first."""
        self.misses += 1
        if not self._warned:
            self._warned = True
            log.warning(
                "Hyperscan database cache entry %s in %s is unusable (%s); compiling instead",
                key[:16],
                self.root,
                reason,
            )

    def write(self, key: str, payload: bytes) -> None:
        """Store ``payload`` atomically, then keep only the most recently used entries."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=self.root, suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(MAGIC + hashlib.sha256(payload).digest() + payload)
                Path(temp).replace(self._path(key))
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
            self._prune()
        except OSError as exc:  # a read-only or full disk costs the next start a compile, nothing more
            log.warning("cannot store a Hyperscan database in %s: %s", self.root, exc)

    def _prune(self) -> None:
        entries: list[tuple[float, Path]] = []
        for path in self.root.glob(f"*{SUFFIX}"):
            try:
                entries.append((path.stat().st_mtime, path))
            except FileNotFoundError:  # removed by another process meanwhile
                continue
        if len(entries) <= self._max_entries:
            return
        entries.sort()
        for _, path in entries[: len(entries) - self._max_entries]:
            path.unlink(missing_ok=True)
