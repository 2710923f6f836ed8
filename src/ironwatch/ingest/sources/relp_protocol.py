"""The RELP wire format (librelp, as spoken by rsyslog's omrelp), without I/O.

A frame is ``TXNR SP COMMAND SP DATALEN [SP DATA] LF``: TXNR is 1 to 9 digits, COMMAND 1 to
32 letters, DATALEN 1 to 9 digits counting the bytes of DATA, and the SP before DATA is
present only when DATALEN > 0. A response is the command ``rsp`` whose data is
``CODE [SP TEXT]`` and, for ``open``, LF and the server's offers (``name=value`` lines).
Clients number their frames 1, 2, 3, ... (wrapping after 999999999 to 1); 0 is reserved
for frames the server sends unprompted, such as ``serverclose``.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_TXNR = 999_999_999
_MAX_DIGITS = 9
_MAX_COMMAND = 32


@dataclass(frozen=True, slots=True)
class RelpFrame:
    """One decoded RELP frame."""

    txnr: int
    command: str
    data: bytes


@dataclass(frozen=True, slots=True)
class RelpViolation:
    """Why the stream cannot be read further; ``txnr`` when the header got that far."""

    reason: str
    txnr: int | None = None


def next_txnr(txnr: int) -> int:
    """The transaction number that follows ``txnr``."""
    return 1 if txnr >= MAX_TXNR else txnr + 1


def encode_frame(txnr: int, command: str, data: bytes = b"") -> bytes:
    """Bytes of one frame, e.g. ``encode_frame(0, "serverclose") == b"0 serverclose 0\\n"``."""
    if data:
        return b"%d %s %d %s\n" % (txnr, command.encode("ascii"), len(data), data)
    return b"%d %s 0\n" % (txnr, command.encode("ascii"))


def encode_response(txnr: int, code: int, text: str, body: bytes = b"") -> bytes:
    """An ``rsp`` frame: ``CODE TEXT`` and, when given, LF and ``body``."""
    data = f"{code} {text}".encode()
    if body:
        data += b"\n" + body
    return encode_frame(txnr, "rsp", data)


def parse_offers(data: bytes) -> dict[str, list[str]]:
    """``open`` data (``name=value[,value]`` per line) as a mapping; values are split on commas."""
    offers: dict[str, list[str]] = {}
    for line in data.decode("utf-8", "replace").split("\n"):
        if not line:
            continue
        name, _, value = line.partition("=")
        offers[name.strip()] = [v for v in value.split(",") if v] if value else []
    return offers


def _is_alpha(chunk: bytes) -> bool:
    return chunk.isalpha() and chunk.isascii()


class RelpParser:
    """Incremental parser for the frames a client sends."""

    def __init__(self, *, max_data: int = 1 << 20) -> None:
        self.max_data = max_data
        self.violation: RelpViolation | None = None
        self._buf = b""

    def feed(self, data: bytes) -> list[RelpFrame]:
        """Frames completed by ``data``. Once ``violation`` is set, nothing more is parsed."""
        if self.violation is not None:
            return []
        buf = self._buf + data if self._buf else data
        frames: list[RelpFrame] = []
        pos, end = 0, len(buf)
        while pos < end:
            header = self._header(buf, pos)
            if header is None:
                break
            if isinstance(header, RelpViolation):
                self.violation = header
                return frames
            txnr, command, length, data_start = header
            if length > self.max_data:
                self.violation = RelpViolation(
                    f"DATALEN {length} exceeds the {self.max_data}-byte limit", txnr
                )
                return frames
            trailer = data_start + length
            if trailer >= end:
                break
            if buf[trailer] != 0x0A:
                self.violation = RelpViolation("frame does not end with LF after DATALEN bytes", txnr)
                return frames
            frames.append(RelpFrame(txnr, command, buf[data_start:trailer]))
            pos = trailer + 1
        self._buf = buf[pos:]
        return frames

    def _header(self, buf: bytes, pos: int) -> tuple[int, str, int, int] | RelpViolation | None:
        """Parse ``TXNR SP CMD SP DATALEN (SP|LF)``; None if more bytes are needed."""
        end = len(buf)
        sp1 = buf.find(b" ", pos, pos + _MAX_DIGITS + 1)
        if sp1 < 0:
            chunk = buf[pos : pos + _MAX_DIGITS + 1]
            if not chunk.isdigit() or len(chunk) > _MAX_DIGITS:
                return RelpViolation(f"invalid TXNR {chunk[:16]!r}")
            return None
        txnr_bytes = buf[pos:sp1]
        if not txnr_bytes.isdigit():
            return RelpViolation(f"invalid TXNR {txnr_bytes[:16]!r}")
        txnr = int(txnr_bytes)
        sp2 = buf.find(b" ", sp1 + 1, sp1 + 2 + _MAX_COMMAND)
        if sp2 < 0:
            chunk = buf[sp1 + 1 : sp1 + 2 + _MAX_COMMAND]
            if chunk and (not _is_alpha(chunk) or len(chunk) > _MAX_COMMAND):
                return RelpViolation(f"invalid COMMAND {chunk[:40]!r}", txnr)
            return None
        command = buf[sp1 + 1 : sp2]
        if not _is_alpha(command):
            return RelpViolation(f"invalid COMMAND {command[:40]!r}", txnr)
        cursor = sp2 + 1
        digits_end = cursor
        while digits_end < end and digits_end - cursor <= _MAX_DIGITS and 0x30 <= buf[digits_end] <= 0x39:
            digits_end += 1
        if digits_end - cursor > _MAX_DIGITS:
            return RelpViolation("DATALEN has more than 9 digits", txnr)
        if digits_end >= end:
            return None
        if digits_end == cursor:
            return RelpViolation("missing DATALEN", txnr)
        length = int(buf[cursor:digits_end])
        separator = buf[digits_end]
        if separator == 0x0A and length == 0:
            # No data: the LF we are looking at is the trailer; DATA starts (and ends) there.
            return txnr, command.decode("ascii"), 0, digits_end
        if separator == 0x20:
            return txnr, command.decode("ascii"), length, digits_end + 1
        return RelpViolation(f"unexpected byte {bytes([separator])!r} after DATALEN", txnr)
