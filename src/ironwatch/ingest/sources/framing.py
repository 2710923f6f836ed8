"""RFC 6587 framing of syslog over a byte stream, without I/O.

Two framings exist and senders do not announce which they use, so the first byte of a
connection decides: a digit means octet counting (``LEN SP MSG``), anything else means
non-transparent framing, where LF ends a message (NUL too; a CR before LF is dropped).

A message longer than ``max_frame`` is not lost silently: its first ``failure_capture``
bytes are kept as a failure frame with the reason, and reading resumes at the next
message (after the counted bytes, or after the next LF). Only an octet count that cannot
be a length (not digits, or beyond ``max_octet_count``) ends the connection, since no
resynchronisation point exists then.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

LF = b"\n"
_MAX_LEN_DIGITS = 10


class Framing(Enum):
    UNKNOWN = "unknown"
    OCTET_COUNTING = "octet-counting"
    NON_TRANSPARENT = "non-transparent"


@dataclass(frozen=True, slots=True)
class Framed:
    """One message cut from the stream; ``failure`` says why it is only kept as evidence."""

    payload: bytes
    failure: str | None = None


class SyslogStreamFramer:
    """Cut one connection's byte stream into syslog messages.

    >>> framer = SyslogStreamFramer()
    >>> [f.payload for f in framer.feed(b"5 hello3 abc")]
    [b'hello', b'abc']
    """

    def __init__(
        self,
        *,
        max_frame: int = 1 << 20,
        failure_capture: int = 4096,
        max_octet_count: int = 1 << 30,
        framing: Framing = Framing.UNKNOWN,
    ) -> None:
        if max_frame < 1 or failure_capture < 0 or max_octet_count < max_frame:
            raise ValueError("need max_frame >= 1, failure_capture >= 0 and max_octet_count >= max_frame")
        self.max_frame = max_frame
        self.failure_capture = failure_capture
        self.max_octet_count = max_octet_count
        self.framing = framing
        self.fatal: str | None = None
        self._rest = b""
        self._pending: list[bytes] = []
        self._pending_len = 0
        self._discarding = False
        self._need = -1  # octet counting: bytes of the current message still expected (-1: reading a length)
        self._skip_total = 0
        self._capture = b""

    @property
    def buffered(self) -> int:
        """Bytes of an unfinished line held back (non-transparent framing)."""
        return self._pending_len

    def feed(self, data: bytes) -> list[Framed]:
        """Messages completed by ``data``. After ``fatal`` is set, the connection must be closed."""
        if self.fatal is not None or not data:
            return []
        if self.framing is Framing.UNKNOWN:
            self.framing = Framing.OCTET_COUNTING if data[:1].isdigit() else Framing.NON_TRANSPARENT
        if self.framing is Framing.OCTET_COUNTING:
            return self._feed_counted(data)
        return self._feed_lines(data)

    def close(self) -> list[Framed]:
        """Whatever the stream left unfinished when the peer closed it."""
        out: list[Framed] = []
        if self.framing is Framing.NON_TRANSPARENT and self._pending and not self._discarding:
            # A last message without a trailer is still a message (rsyslog and logger do this).
            line = b"".join(self._pending)
            line = line[:-1] if line.endswith(b"\r") else line
            if line:
                out.append(Framed(line))
        elif self.framing is Framing.OCTET_COUNTING and self.fatal is None:
            if self._skip_total:
                out.append(self._oversized(self._capture, self._skip_total))
            elif self._need > 0:
                short = f"connection closed {self._need - len(self._rest)} bytes short of a counted message"
                out.append(self._failure(self._rest, short))
            elif self._rest.strip(b"\r\n\0 "):
                out.append(self._failure(self._rest, "connection closed inside an octet count"))
        self._pending, self._pending_len, self._rest = [], 0, b""
        return out

    def _failure(self, raw: bytes, reason: str) -> Framed:
        return Framed(raw[: self.failure_capture], reason)

    def _oversized(self, raw: bytes, length: int) -> Framed:
        return self._failure(
            raw,
            f"oversized: message of {length} bytes exceeds the {self.max_frame}-byte limit;"
            f" first {min(length, self.failure_capture)} bytes kept",
        )

    def _feed_lines(self, data: bytes) -> list[Framed]:
        if b"\0" in data:
            data = data.replace(b"\0", LF)
        out: list[Framed] = []
        if self._discarding:
            cut = data.find(LF)
            if cut < 0:
                return out
            data = data[cut + 1 :]
            self._discarding = False
        parts = data.split(LF)
        tail = parts.pop()
        if self._pending and parts:
            parts[0] = b"".join(self._pending) + parts[0]
            self._pending, self._pending_len = [], 0
        limit = self.max_frame
        for line in parts:
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line:
                continue
            if len(line) > limit:
                out.append(self._oversized(line, len(line)))
            else:
                out.append(Framed(line))
        if tail:
            self._pending.append(tail)
            self._pending_len += len(tail)
            if self._pending_len > limit:
                # Keep what we have as evidence and skip the rest of this line.
                head = b"".join(self._pending)
                out.append(
                    self._failure(
                        head,
                        f"oversized: line exceeds the {limit}-byte limit without a line feed;"
                        f" first {min(len(head), self.failure_capture)} bytes kept, rest skipped",
                    )
                )
                self._pending, self._pending_len = [], 0
                self._discarding = True
        return out

    def _feed_counted(self, data: bytes) -> list[Framed]:
        buf = self._rest + data if self._rest else data
        pos = 0
        end = len(buf)
        out: list[Framed] = []
        while pos < end:
            if self._skip_total:
                remaining = self._need
                take = min(remaining, end - pos)
                if len(self._capture) < self.failure_capture:
                    self._capture += buf[pos : pos + min(take, self.failure_capture - len(self._capture))]
                pos += take
                self._need -= take
                if self._need == 0:
                    out.append(self._oversized(self._capture, self._skip_total))
                    self._skip_total, self._capture, self._need = 0, b"", -1
                continue
            if self._need > 0:
                if end - pos < self._need:
                    break
                out.append(Framed(buf[pos : pos + self._need]))
                pos += self._need
                self._need = -1
                continue
            # Reading a length; tolerate stray line ends and NULs some senders put between messages.
            while pos < end and buf[pos] in b"\r\n\0":
                pos += 1
            if pos >= end:
                break
            space = buf.find(b" ", pos, pos + _MAX_LEN_DIGITS + 1)
            digits = buf[pos:space] if space >= 0 else buf[pos : pos + _MAX_LEN_DIGITS + 1]
            if not digits.isdigit() or digits.startswith(b"0") or len(digits) > _MAX_LEN_DIGITS:
                self.fatal = f"invalid octet count {digits[:16]!r}: expected a length, then a space"
                return out
            if space < 0:
                break
            length = int(digits)
            if length > self.max_octet_count:
                self.fatal = (
                    f"absurd octet count {length} (limit {self.max_octet_count}); closing the connection"
                )
                return out
            pos = space + 1
            if length > self.max_frame:
                self._skip_total = length
            self._need = length
        self._rest = buf[pos:] if pos < end else b""
        return out
