"""Bytes to text for parsers: oversize and binary input refused, invalid UTF-8 repaired but kept."""

from __future__ import annotations

from dataclasses import dataclass

_CONTROL = bytes(range(32)).translate(None, b"\t\n\r\x1b")
_SAMPLE = 4096


@dataclass(frozen=True, slots=True)
class DecodedLine:
    """A line as text; ``raw`` is set only when the decoding was lossy (invalid UTF-8 replaced)."""

    text: str
    raw: bytes | None


def looks_binary(data: bytes) -> bool:
    """Whether ``data`` is binary rather than a log line: a NUL byte or over 10% control bytes."""
    sample = data[:_SAMPLE]
    size = len(sample)
    return b"\x00" in sample or (size - len(sample.translate(None, _CONTROL))) * 10 > size


def decode_line(data: bytes) -> DecodedLine:
    """UTF-8 text of ``data``; invalid sequences become U+FFFD and the exact bytes are kept in ``raw``."""
    try:
        return DecodedLine(data.decode("utf-8"), None)
    except UnicodeDecodeError:
        return DecodedLine(data.decode("utf-8", "replace"), data)
