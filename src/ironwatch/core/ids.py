"""Identifiers: time-ordered UUIDv7 (RFC 9562) and human incident references."""

from __future__ import annotations

import os
import re
import time
import uuid

_REFERENCE = re.compile(r"^IR-(\d{4})-(\d{4,})$")


def new_id() -> str:
    """A UUIDv7 as a string: sortable by creation time, unguessable in its low bits."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a (12 bits)
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # rand_b
    return str(uuid.UUID(int=value))


def format_reference(year: int, number: int) -> str:
    """``IR-2026-0042``: the reference people say on the phone and write in tickets."""
    return f"IR-{year:04d}-{number:04d}"


def parse_reference(text: str) -> tuple[int, int] | None:
    match = _REFERENCE.match(text.strip().upper())
    if not match:
        return None
    return int(match.group(1)), int(match.group(2))
