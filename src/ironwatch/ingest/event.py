"""The normalised event record every parser produces, and the record of a line that could not be parsed.

``Event.fields`` is one flat dict: ECS-style normalised keys (``source.ip``, ``user.name``...) sit next to
the source's own field names left untouched (Windows ``EventID``, ``Image``, Zeek ``id.orig_h``...), so
detection rules written for either vocabulary evaluate directly against it.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class Event:
    """One normalised log event.

    ``timestamp`` is when the source says it happened (aware UTC), or ``None`` when the source carries no
    time; ``received_at`` is when ironwatch got it and is always set. ``notes`` records anything the
    parser had to repair or guess (an impossible timestamp replaced by the receive time, invalid UTF-8).
    ``raw`` keeps the exact bytes only when ``original`` is not a lossless decoding of them.
    """

    id: str
    timestamp: datetime | None
    received_at: datetime
    dataset: str
    fields: dict[str, object]
    original: str
    source: str = ""
    notes: tuple[str, ...] = ()
    raw: bytes | None = None

    @property
    def effective_time(self) -> datetime:
        """The source's timestamp when known, else the receive time: what timelines sort by."""
        return self.timestamp if self.timestamp is not None else self.received_at


@dataclass(slots=True)
class ParseFailure:
    """Input that could not become an event: kept (capped) so nobody loses evidence silently."""

    source: str
    reason: str
    raw: bytes
    received_at: datetime
    format: str = ""
    position: int | None = None
    truncated: bool = field(default=False)


def deterministic_id(source: str, position: int, raw: bytes | str) -> str:
    """A stable id for a record from a replayable source: same file, same place, same bytes -> same id.

    Re-importing a file therefore yields the same event ids, so a store can ignore duplicates.
    """
    data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
    digest = hashlib.sha256(f"{source}\x00{position}\x00".encode("utf-8", "surrogateescape") + data).digest()
    value = int.from_bytes(digest[:16], "big")
    # RFC 9562 UUIDv8 (custom): version 8, variant 10; Python 3.11's uuid cannot set version 8 itself.
    value = (value & ~(0xF << 76)) | (0x8 << 76)
    value = (value & ~(0b11 << 62)) | (0b10 << 62)
    return str(uuid.UUID(int=value))


def cap_raw(raw: bytes | str, limit: int) -> tuple[bytes, bool]:
    """``raw`` as bytes cut to ``limit`` bytes, and whether anything was cut."""
    data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
    if len(data) <= limit:
        return data, False
    return data[:limit], True
