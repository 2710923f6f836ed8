"""Raw frames: the unit a listener hands to the spool, before any parsing.

A frame is the bytes of one message exactly as received (one datagram, one framed TCP
message, one RELP ``syslog`` command, one line of a file). A frame that could not be
framed cleanly (oversized, cut by a closed connection) is still kept, with ``failure``
saying why, so nothing a sender gave us disappears silently.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ironwatch.core.errors import ValidationError

# Namespace for deterministic event ids derived from (spool uuid, spool id).
SPOOL_EVENT_NAMESPACE = uuid.UUID("6f1d3c1e-4b55-5a8e-9d1f-2f3b7a7c0e11")


def uuid5_text(namespace: bytes, name: str) -> str:
    """``str(uuid.uuid5(UUID(bytes=namespace), name))`` without building UUID objects (hot path)."""
    digest = bytearray(hashlib.sha1(namespace + name.encode("utf-8"), usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Transport(StrEnum):
    """How a frame reached us."""

    UDP = "udp"
    TCP = "tcp"
    TLS = "tls"
    RELP = "relp"
    HTTP = "http"
    FILE = "file"


@dataclass(frozen=True, slots=True)
class RawFrame:
    """One received message, unparsed.

    ``peer`` is ``host:port`` for network sources (``[v6]:port`` for IPv6) and the path for files.
    ``failure`` is set when the frame is kept only as evidence of a framing problem.
    """

    source: str
    transport: Transport
    peer: str
    received_at: datetime
    payload: bytes
    failure: str | None = None

    def __post_init__(self) -> None:
        if self.received_at.tzinfo is None:
            raise ValidationError(
                f"frame from {self.peer} has a naive received_at {self.received_at.isoformat()}",
                hint="pass an aware UTC datetime, e.g. from the injected Clock",
            )


@dataclass(frozen=True, slots=True)
class SpooledFrame:
    """A frame as read back from the spool, with its spool id.

    ``id`` increases monotonically and is never reused within one spool file;
    ``spool_uuid`` identifies the spool file, so ``event_id`` is unique across spool re-creations.
    """

    id: int
    spool_uuid: str
    frame: RawFrame

    @property
    def event_id(self) -> str:
        """Deterministic id for the event stored from this frame: same frame, same id, after any crash."""
        return uuid5_text(SPOOL_EVENT_NAMESPACE.bytes, f"{self.spool_uuid}:{self.id}")


@dataclass(frozen=True, slots=True)
class FileCheckpoint:
    """How far a followed file has been spooled: written in the same transaction as its frames."""

    path: str
    device: int
    inode: int
    offset: int
    fingerprint: str
    fingerprint_length: int
