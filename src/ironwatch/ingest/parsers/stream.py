"""Parsing whole streams and files: format detection, per-line limits, failures instead of exceptions."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, tzinfo
from itertools import chain, islice, repeat
from pathlib import Path
from typing import BinaryIO

import orjson

from ironwatch.core.clock import Clock, SystemClock
from ironwatch.ingest.event import Event, ParseFailure, cap_raw, deterministic_id
from ironwatch.ingest.parsers.base import DEFAULT_LIMITS, ParseContext, ParseError, ParseLimits, Parser
from ironwatch.ingest.parsers.decoding import looks_binary
from ironwatch.ingest.parsers.jsonlines import document_event
from ironwatch.ingest.parsers.registry import EVTX, detect_format, parser_for
from ironwatch.ingest.parsers.windows_evtx import MAGIC, read_evtx

Item = str | bytes | Mapping[str, object]
SAMPLE_SIZE = 20
_ZEEK_LOGS = frozenset(
    {"conn", "dns", "http", "ssl", "notice", "files", "x509", "weird", "ssh", "smtp", "dhcp"}
)


def zeek_path_of(source: str) -> str:
    """The Zeek log name a file name implies (``/logs/conn.00:00:00.log`` -> ``conn``), or ``""``."""
    stem = os.path.basename(source).split(".", 1)[0]
    return stem if stem in _ZEEK_LOGS else ""


def parse_one(
    item: Item,
    *,
    parser: Parser,
    received_at: datetime,
    context: ParseContext,
    position: int | None = None,
) -> Event | ParseFailure | None:
    """Parse one line or decoded record with ``parser``; never raises. ``None`` for blank/header lines."""
    limits = context.limits
    raw: bytes | None = None
    if isinstance(item, bytes):  # the hot path (files, frames): checks inlined, no per-line allocations
        if len(item) > limits.max_line_bytes:
            return _oversize(context, item, received_at, parser.name, position)
        if looks_binary(item.rstrip(b"\r\n\x00")):
            reason = "binary data, not a log line (NUL or many control bytes)"
            return _failure(context, reason, item, received_at, parser.name, position)
        try:
            line = item.decode()
        except UnicodeDecodeError:
            line, raw = item.decode("utf-8", "replace"), item
    elif isinstance(item, Mapping):
        original = orjson.dumps(item, default=str).decode()
        try:
            return document_event(dict(item), original=original, received_at=received_at, context=context)
        except ParseError as exc:
            return _failure(context, exc.reason, original, received_at, parser.name, position)
    else:
        line = item
        if (
            len(line) * 4 > limits.max_line_bytes
            and len(line.encode("utf-8", "surrogateescape")) > limits.max_line_bytes
        ):
            return _oversize(
                context, line.encode("utf-8", "surrogateescape"), received_at, parser.name, position
            )
    line = line.rstrip("\r\n\x00")
    if not line or line.isspace():
        return None
    try:
        event = parser.parse(line, received_at=received_at, context=context)
    except ParseError as exc:
        return _failure(
            context, exc.reason, raw if raw is not None else line, received_at, parser.name, position
        )
    except Exception as exc:  # a parser bug must not stop a stream: the line is kept as a failure
        reason = f"internal parser error ({type(exc).__name__}: {exc}); please report it with this line"
        return _failure(context, reason, raw if raw is not None else line, received_at, parser.name, position)
    if event is not None and raw is not None:
        event.raw = raw
        event.notes = (*event.notes, "invalid UTF-8 replaced by U+FFFD; exact bytes kept in raw")
    return event


def _failure(
    context: ParseContext,
    reason: str,
    raw: bytes | str,
    received_at: datetime,
    fmt: str,
    position: int | None,
) -> ParseFailure:
    data, cut = cap_raw(raw, context.limits.max_failure_raw_bytes)
    return ParseFailure(context.source, reason, data, received_at, fmt, position, cut)


def _oversize(
    context: ParseContext, raw: bytes, received_at: datetime, fmt: str, position: int | None
) -> ParseFailure:
    limit = context.limits.max_line_bytes
    reason = f"line is over the {limit}-byte limit (max_line_bytes); kept capped, not parsed"
    return _failure(context, reason, raw, received_at, fmt, position)


def parse_stream(
    items: Iterable[Item],
    *,
    format: str = "auto",
    source: str = "",
    tz: tzinfo = UTC,
    limits: ParseLimits = DEFAULT_LIMITS,
    clock: Clock | None = None,
    deterministic_ids: bool = False,
) -> Iterator[Event | ParseFailure]:
    """Parse lines (``str``/``bytes``) or decoded JSON records into events and failures, in order.

    ``format="auto"`` detects the format from the first lines. ``tz`` is the zone of timestamps that
    carry none. With ``deterministic_ids`` an event's id depends only on ``source``, its position and
    its bytes, so importing the same file again yields the same ids.

    >>> [e.fields["message"] for e in parse_stream(["hello"], format="text")]
    ['hello']
    """
    now = (clock or SystemClock()).now
    iterator = iter(items)
    if format == "auto":
        sample = list(islice(iterator, SAMPLE_SIZE))
        iterator = chain(sample, iterator)
        format = (
            detect_format([item for item in sample if not isinstance(item, Mapping)]) if sample else "text"
        )
        if sample and all(isinstance(item, Mapping) for item in sample):
            format = "json"
    if format == EVTX:
        yield ParseFailure(source, "EVTX is a file format: read it with read_evtx(path)", b"", now(), EVTX)
        return
    parser = parser_for(format, zeek_path=zeek_path_of(source))
    context = ParseContext(source=source, tz=tz, limits=limits)
    for position, item in enumerate(iterator, start=1):
        item_context = context
        if deterministic_ids:
            raw = item if isinstance(item, str | bytes) else orjson.dumps(item, default=str)
            fixed = deterministic_id(source, position, raw)
            item_context = ParseContext(source, tz, limits, repeat(fixed).__next__)
        result = parse_one(item, parser=parser, received_at=now(), context=item_context, position=position)
        if result is not None:
            yield result


def _capped_lines(handle: BinaryIO, limit: int) -> Iterator[bytes]:
    """Lines of ``handle``; a line over ``limit`` bytes is cut to ``limit + 1`` (so it reads as oversize)
    and the rest of it is skipped without being held in memory."""
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            rest = line
            while rest and not rest.endswith(b"\n"):
                rest = handle.readline(limit)
        yield line


def read_log_file(
    path: str | os.PathLike[str],
    *,
    format: str = "auto",
    tz: tzinfo = UTC,
    limits: ParseLimits = DEFAULT_LIMITS,
    clock: Clock | None = None,
    deterministic_ids: bool = False,
) -> Iterator[Event | ParseFailure]:
    """Stream a log file (any supported format, EVTX included) as events and failures; never raises.

    An unreadable file yields a single ``ParseFailure`` saying why.
    """
    file = Path(path)
    now = (clock or SystemClock()).now
    try:
        with file.open("rb") as probe:
            head = probe.read(len(MAGIC))
    except OSError as exc:
        yield ParseFailure(str(file), f"cannot read log file: {exc.strerror or exc}", b"", now(), format)
        return
    if format == EVTX or (format == "auto" and head == MAGIC):
        context = ParseContext(source=str(file), tz=tz, limits=limits)
        yield from read_evtx(file, context=context, clock=clock, deterministic_ids=deterministic_ids)
        return
    with file.open("rb") as handle:
        yield from parse_stream(
            _capped_lines(handle, limits.max_line_bytes),
            format=format,
            source=str(file),
            tz=tz,
            limits=limits,
            clock=clock,
            deterministic_ids=deterministic_ids,
        )
