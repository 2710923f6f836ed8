"""One raw network frame (syslog over UDP/TCP/RELP, JSON over HTTP) to an event or a failure."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache

from ironwatch.core.errors import ValidationError
from ironwatch.ingest.event import Event, ParseFailure, cap_raw
from ironwatch.ingest.parsers.base import DEFAULT_LIMITS, ParseContext, ParseError, ParseLimits
from ironwatch.ingest.parsers.decoding import decode_line, looks_binary
from ironwatch.ingest.parsers.json_safe import load_json_object
from ironwatch.ingest.parsers.jsonlines import document_event
from ironwatch.ingest.parsers.syslog import parse_syslog
from ironwatch.ingest.parsers.text import TextParser

TRANSPORTS = frozenset({"udp", "tcp", "relp", "http", "tls"})
_TEXT = TextParser()


def _no_id() -> str:
    return ""


@lru_cache(maxsize=256)
def _context(source: str, tz: tzinfo, limits: ParseLimits, given_id: bool = False) -> ParseContext:
    if given_id:  # the caller names the event: do not spend a fresh UUIDv7 that would be overwritten
        return ParseContext(source=source, tz=tz, limits=limits, id_factory=_no_id)
    return ParseContext(source=source, tz=tz, limits=limits)


def frame_context(source: str, tz: tzinfo, limits: ParseLimits = DEFAULT_LIMITS) -> ParseContext:
    """The parse context for frames whose ids the caller gives (``event_id``), e.g. the spool's."""
    return _context(source, tz, limits, True)


def parse_frame(
    payload: bytes,
    *,
    source: str,
    transport: str,
    received_at: datetime,
    tz: tzinfo = UTC,
    limits: ParseLimits = DEFAULT_LIMITS,
    event_id: str | None = None,
    context: ParseContext | None = None,
) -> Event | ParseFailure:
    """Parse one frame as received by a listener (framing already removed); never raises on bad input.

    Syslog frames are RFC 5424 or RFC 3164 with the body recognised (auth, firewall, ClamAV, CEF, JSON);
    a JSON object (any transport, and what ``http`` expects) is classified like a JSON line; other
    printable text is kept as a ``text`` event with a note. Oversize, binary, empty or (over HTTP)
    non-JSON payloads become a ``ParseFailure`` holding the capped raw bytes. ``event_id`` names
    the event (the spool's deterministic id) instead of a fresh one. ``context`` (from
    :func:`frame_context`) saves building one per frame when a caller parses many from one source.
    """
    if transport not in TRANSPORTS:
        raise ValidationError(f"unknown transport {transport!r}", hint=f"use one of {sorted(TRANSPORTS)}")
    fmt = "json" if transport == "http" else "syslog"
    if len(payload) > limits.max_line_bytes:
        reason = (
            f"frame of {len(payload)} bytes is over the {limits.max_line_bytes}-byte limit (max_line_bytes)"
        )
        return _failure(source, reason, payload, received_at, fmt, limits)
    body = payload.rstrip(b"\r\n\x00")
    if not body or body.isspace():
        return _failure(source, "empty frame", payload, received_at, fmt, limits)
    if looks_binary(body):
        reason = "binary data, not a log message (NUL or many control bytes)"
        return _failure(source, reason, payload, received_at, fmt, limits)
    decoded = decode_line(body)
    text = decoded.text
    if context is None:
        context = _context(source, tz, limits, event_id is not None)
    try:
        event = _parse_text(text, transport=transport, received_at=received_at, context=context)
    except ParseError as exc:
        return _failure(source, exc.reason, payload, received_at, fmt, limits)
    if event_id is not None:
        event.id = event_id
    if decoded.raw is not None:
        event.raw = payload
        event.notes = (*event.notes, "invalid UTF-8 replaced by U+FFFD; exact bytes kept in raw")
    return event


def _parse_text(text: str, *, transport: str, received_at: datetime, context: ParseContext) -> Event:
    if text.startswith("{") or transport == "http":
        document = load_json_object(text, context.limits)
        return document_event(document, original=text, received_at=received_at, context=context)
    try:
        return parse_syslog(text, received_at=received_at, context=context)
    except ParseError as exc:
        event = _TEXT.parse(text, received_at=received_at, context=context)
        event.notes = (f"not syslog, kept as text: {exc.reason}",)
        return event


def _failure(
    source: str, reason: str, payload: bytes, received_at: datetime, fmt: str, limits: ParseLimits
) -> ParseFailure:
    raw, cut = cap_raw(payload, limits.max_failure_raw_bytes)
    return ParseFailure(source, reason, raw, received_at, fmt, None, cut)
