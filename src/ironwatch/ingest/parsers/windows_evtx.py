"""Windows EVTX files, read by ironwatch's C reader or the ``evtx`` package (Rust) and flattened for Sigma.

System and EventData (or UserData) become top-level keys under their Windows names (``EventID`` as an
int, ``Channel``, ``Provider_Name``, ``Image``, ``CommandLine``...). A damaged file yields every record
that can be read plus a :class:`ParseFailure` per damaged part; reading never raises.
"""

from __future__ import annotations

import itertools
import os
import struct
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from ironwatch.core.clock import Clock, SystemClock
from ironwatch.ingest.event import Event, ParseFailure, cap_raw, deterministic_id
from ironwatch.ingest.parsers.base import DEFAULT_CONTEXT, ParseContext, new_event
from ironwatch.ingest.parsers.evtx_records import EvtxItem, EvtxRecord, iter_records
from ironwatch.ingest.parsers.timestamps import parse_iso
from ironwatch.ingest.parsers.windows_fields import event_id, map_windows

DATASET = "windows.evtx"
FORMAT = "windows.evtx"
MAGIC = b"ElfFile\x00"
_HEADER_SIZE = 4096
_CHUNK_SIZE = 65536
_MAX_CONSECUTIVE_ERRORS = 1000


def _text(value: dict[str, object]) -> object:
    if "#text" in value:
        return value["#text"]
    return {key: item for key, item in value.items() if key != "#attributes"}


def flatten_windows_event(document: dict[str, object]) -> dict[str, object]:
    """An EVTX JSON record (``{"Event": {"System": ..., "EventData": ...}}``) as flat Windows fields.

    System values keep their names (``EventID`` as an int, ``Channel``, ``Computer``); System attributes
    become ``<Element>_<Attribute>`` (``Provider_Name``, ``TimeCreated_SystemTime``,
    ``Execution_ProcessID``). EventData/UserData names are used as they are; one that repeats a System
    name (UserData ``Channel``) is kept as ``EventData_<name>`` / ``UserData_<name>``.
    """
    event = document.get("Event", document)
    if type(event) is not dict:
        return {}
    fields: dict[str, object] = {}
    system = event.get("System")
    if type(system) is dict:
        for key, value in system.items():
            if type(value) is dict:
                attributes = value.get("#attributes")
                if type(attributes) is dict:
                    for name, attribute in attributes.items():
                        if attribute is not None:
                            fields[f"{key}_{name}"] = attribute
                if "#text" in value:
                    fields[key] = value["#text"]
            elif value is not None:
                fields[key] = value
        if "EventID" in fields and type(fields["EventID"]) is not int:
            code = event_id(fields.pop("EventID"))
            if code is not None:
                fields["EventID"] = code
    for section in ("EventData", "UserData"):
        data = event.get(section)
        if type(data) is not dict:
            continue
        if section == "UserData" and len(data) == 1:
            ((element, inner),) = data.items()
            fields["UserData_Element"] = element
            data = inner if type(inner) is dict else {}
        for key, value in data.items():
            if key == "#attributes":
                continue
            fields[f"{section}_{key}" if key in fields else key] = (
                _text(value) if type(value) is dict else value
            )
    return fields


def windows_event(
    document: dict[str, object], *, original: str, received_at: datetime, context: ParseContext, dataset: str
) -> Event:
    """Build the event for a parsed EVTX-shaped record (shared by files and JSON exports)."""
    fields = flatten_windows_event(document)
    map_windows(fields)
    notes: tuple[str, ...] = ()
    timestamp: datetime | None = None
    created = fields.get("TimeCreated_SystemTime")
    if isinstance(created, str):
        try:
            timestamp = parse_iso(created, context.tz)
        except ValueError as exc:
            timestamp, notes = received_at, (f"timestamp replaced by receive time: {exc}",)
    return new_event(
        context=context,
        dataset=dataset,
        fields=fields,
        original=original,
        received_at=received_at,
        timestamp=timestamp,
        notes=notes,
    )


def _header_damage(path: Path, size: int, limit: int, now: Callable[[], datetime]) -> ParseFailure | None:
    """Check the file header against the file's length; a copy cut short is reported, not ignored."""
    with path.open("rb") as handle:
        header = handle.read(_HEADER_SIZE)
        if len(header) < 128 or not header.startswith(MAGIC):
            raw, cut = cap_raw(header, limit)
            reason = (
                "not an EVTX file: missing the 'ElfFile' header" if len(header) >= 8 else "file too short"
            )
            return ParseFailure(str(path), reason, raw, now(), FORMAT, 0, cut)
        (chunks,) = struct.unpack_from("<H", header, 42)
        body = size - _HEADER_SIZE
        if body % _CHUNK_SIZE or body < chunks * _CHUNK_SIZE:
            complete = body // _CHUNK_SIZE
            handle.seek(_HEADER_SIZE + complete * _CHUNK_SIZE)
            raw, cut = cap_raw(handle.read(limit + 1), limit)
            reason = (
                f"EVTX file is truncated: {size} bytes, header declares {chunks} chunks "
                f"({_HEADER_SIZE + chunks * _CHUNK_SIZE} bytes); records after chunk {complete} are lost"
            )
            return ParseFailure(str(path), reason, raw, now(), FORMAT, complete, cut)
    return None


def read_evtx(
    path: str | os.PathLike[str],
    *,
    context: ParseContext = DEFAULT_CONTEXT,
    clock: Clock | None = None,
    deterministic_ids: bool = False,
) -> Iterator[Event | ParseFailure]:
    """Stream the records of an EVTX file as events; damage becomes ``ParseFailure`` items, never raises.

    ``deterministic_ids`` derives each event id from the file path and record id, so importing the same
    file twice gives the same ids.
    """
    file = Path(path)
    now = (clock or SystemClock()).now
    source = context.source or str(file)
    limit = context.limits.max_failure_raw_bytes
    try:
        size = file.stat().st_size
        damage = _header_damage(file, size, limit, now)
    except OSError as exc:
        yield ParseFailure(source, f"cannot read EVTX file: {exc.strerror or exc}", b"", now(), FORMAT)
        return
    if damage is not None and damage.position == 0:
        damage.source = source
        yield damage
        return
    records = iter_records(file)
    try:
        first = next(records, None)  # opens the file
    except (OSError, RuntimeError, ValueError) as exc:
        yield ParseFailure(source, f"cannot open EVTX file: {exc}", b"", now(), FORMAT)
        return
    if context.source != source:
        context = ParseContext(source, context.tz, context.limits, context.id_factory)
    if first is not None:
        records = itertools.chain((first,), records)
        yield from _events(
            records, source=source, context=context, now=now, deterministic_ids=deterministic_ids
        )
    if damage is not None:
        damage.source = source
        damage.received_at = now()
        yield damage


class _FixedId:
    """An id factory returning the id set for the current record (deterministic ids)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = ""

    def __call__(self) -> str:
        return self.value


def _events(
    records: Iterator[EvtxItem],
    *,
    source: str,
    context: ParseContext,
    now: Callable[[], datetime],
    deterministic_ids: bool,
) -> Iterator[Event | ParseFailure]:
    errors = 0
    record_context = context
    fixed_id = _FixedId()
    if deterministic_ids:
        # one context per file whose id factory returns the current record's id (not one per record)
        record_context = ParseContext(source, context.tz, context.limits, fixed_id)
    for item in records:
        if not isinstance(item, EvtxRecord):
            if item.record:  # one record's JSON: reported, not counted as chunk damage
                raw, cut = cap_raw(item.raw, context.limits.max_failure_raw_bytes)
                yield ParseFailure(source, item.message, raw, now(), FORMAT, None, cut)
                continue
            errors += 1
            yield ParseFailure(source, item.message, b"", now(), FORMAT)
            if errors >= _MAX_CONSECUTIVE_ERRORS:
                yield ParseFailure(
                    source, "too many damaged EVTX chunks in a row; stopped reading", b"", now(), FORMAT
                )
                return
            continue
        errors = 0
        received_at = now()
        if deterministic_ids:
            fixed_id.value = deterministic_id(source, item.record_id, b"")
        yield windows_event(
            item.document,
            original=item.json(),
            received_at=received_at,
            context=record_context,
            dataset=DATASET,
        )
