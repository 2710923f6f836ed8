"""Raw frames: the unit a listener hands to the spool, before any parsing.

A frame is the bytes of one message exactly as received (one datagram, one framed TCP
message, one RELP ``syslog`` command, one line of a file). A frame that could not be
framed cleanly (oversized, cut by a closed connection) is still kept, with ``failure``
saying why, so nothing a sender gave us disappears silently.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from ironwatch.core.errors import ValidationError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
_FRAME_BITS = 50
_FRAME_MASK = (1 << _FRAME_BITS) - 1


@lru_cache(maxsize=64)
def _spool_bits(spool_uuid: str) -> tuple[int, int]:
    """24 bits naming the spool file, split as they sit in the id (12 in rand_a, 12 in rand_b)."""
    bits = int.from_bytes(hashlib.sha256(spool_uuid.encode("utf-8")).digest()[:3], "big")
    return bits >> 12, bits & 0xFFF


def spool_event_id(spool_uuid: str, frame_id: int, received_ms: int) -> str:
    """The event id of spool frame ``frame_id``: deterministic, and ordered like the frames.

    An RFC 9562 UUIDv8 laid out like a UUIDv7: 48 bits of the frame's receive time in ms, 24 bits
    naming the spool file, 50 bits of the frame id. The same frame always gets the same id (the
    receive time is stored with the frame), so a replay after a crash is ignored by the store; and
    ids grow with the frames, so the store's primary-key index is appended to at its right edge
    instead of being written at random places (a random UUID per event made that index the most
    expensive part of an insert once the table outgrew the page cache).
    """
    head = _id_head(spool_uuid, received_ms & 0xFFFF_FFFF_FFFF)
    tail = f"{_TAIL_FLAGS | _spool_bits(spool_uuid)[1] << _FRAME_BITS | (frame_id & _FRAME_MASK):016x}"
    return f"{head}-{tail[:4]}-{tail[4:]}"


_TAIL_FLAGS = 0b10 << 62  # RFC 4122/9562 variant


@lru_cache(maxsize=1024)
def _id_head(spool_uuid: str, received_ms: int) -> str:
    """The first three groups (time, version 8, spool bits): shared by every frame of the same ms."""
    h = f"{received_ms:012x}8{_spool_bits(spool_uuid)[0]:03x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:]}"


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
        received_ms = (self.frame.received_at - _EPOCH) // _MILLISECOND
        return spool_event_id(self.spool_uuid, self.id, received_ms)


@dataclass(frozen=True, slots=True)
class FileCheckpoint:
    """How far a followed file has been spooled: written in the same transaction as its frames."""

    path: str
    device: int
    inode: int
    offset: int
    fingerprint: str
    fingerprint_length: int
