"""A frozen copy of the EVTX reader as it was before the speed work (main at 1e86d40): the oracle.

``test_evtx_identical.py`` reads every corpus file with both this and ``ironwatch.ingest.parsers.read_evtx``
and compares every field of every event, so an optimisation cannot change the output unnoticed. Do not
"fix" or speed up this module; it is meant to stay as it was.
"""

# ruff: noqa

from __future__ import annotations

import hashlib
import os
import struct
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from itertools import repeat
from pathlib import Path
from typing import Any

import orjson
from evtx import PyEvtxParser

from ironwatch.core.clock import Clock, SystemClock
from ironwatch.ingest.event import Event, ParseFailure, cap_raw
from ironwatch.ingest.parsers.base import DEFAULT_CONTEXT, ParseContext
from ironwatch.ingest.parsers.timestamps import parse_iso


def new_event(
    *,
    context: ParseContext,
    dataset: str,
    fields: dict[str, object],
    original: str,
    received_at: datetime,
    timestamp: datetime | None,
    notes: tuple[str, ...] = (),
) -> Event:
    fields["event.dataset"] = dataset
    return Event(
        id=context.id_factory(),
        timestamp=timestamp,
        received_at=received_at,
        dataset=dataset,
        fields=fields,
        original=original,
        source=context.source,
        notes=notes,
    )


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


# ---- windows_fields.py

SYSMON = "Microsoft-Windows-Sysmon"
SECURITY = "Microsoft-Windows-Security-Auditing"
DEFENDER = "Microsoft-Windows-Windows Defender"
_AUDIT_SUCCESS = 0x0020000000000000
_AUDIT_FAILURE = 0x0010000000000000

# (category, type, action) per provider and event id.
_SYSMON: dict[int, tuple[str, str, str]] = {
    1: ("process", "start", "process_created"),
    2: ("file", "change", "file_creation_time_changed"),
    3: ("network", "connection", "network_connection"),
    5: ("process", "end", "process_terminated"),
    6: ("driver", "info", "driver_loaded"),
    7: ("library", "info", "image_loaded"),
    8: ("process", "change", "create_remote_thread"),
    10: ("process", "access", "process_accessed"),
    11: ("file", "creation", "file_created"),
    12: ("registry", "change", "registry_object_added_or_deleted"),
    13: ("registry", "change", "registry_value_set"),
    14: ("registry", "change", "registry_object_renamed"),
    15: ("file", "creation", "file_stream_created"),
    17: ("process", "info", "pipe_created"),
    18: ("process", "info", "pipe_connected"),
    22: ("network", "protocol", "dns_query"),
    23: ("file", "deletion", "file_deleted"),
    26: ("file", "deletion", "file_deleted"),
}
_SECURITY: dict[int, tuple[str, str, str]] = {
    1102: ("configuration", "deletion", "audit_log_cleared"),
    4624: ("authentication", "start", "logged_in"),
    4625: ("authentication", "start", "logon_failed"),
    4634: ("session", "end", "logged_out"),
    4647: ("session", "end", "logged_out"),
    4648: ("authentication", "start", "logged_in_explicit"),
    4672: ("iam", "admin", "special_privileges_assigned"),
    4688: ("process", "start", "process_created"),
    4689: ("process", "end", "process_terminated"),
    4697: ("configuration", "creation", "service_installed"),
    4698: ("configuration", "creation", "scheduled_task_created"),
    4720: ("iam", "creation", "user_created"),
    4722: ("iam", "change", "user_enabled"),
    4724: ("iam", "change", "password_reset"),
    4726: ("iam", "deletion", "user_deleted"),
    4728: ("iam", "change", "user_added_to_group"),
    4732: ("iam", "change", "user_added_to_group"),
    4738: ("iam", "change", "user_modified"),
    4756: ("iam", "change", "user_added_to_group"),
    4768: ("authentication", "start", "kerberos_tgt_requested"),
    4769: ("authentication", "start", "kerberos_service_ticket_requested"),
    4776: ("authentication", "start", "credential_validated"),
    5140: ("file", "access", "network_share_accessed"),
    5145: ("file", "access", "network_share_object_checked"),
}
_DEFENDER: dict[int, tuple[str, str, str]] = {
    1116: ("malware", "info", "malware_detected"),
    1117: ("malware", "info", "malware_action_taken"),
}
_COPY = (
    ("Computer", "host.name"),
    ("Provider_Name", "event.provider"),
    ("CommandLine", "process.command_line"),
    ("ParentImage", "process.parent.executable"),
    ("ParentProcessName", "process.parent.executable"),
    ("ParentCommandLine", "process.parent.command_line"),
    ("TargetFilename", "file.path"),
    ("ImageLoaded", "dll.path"),
    ("QueryName", "dns.question.name"),
    ("TargetObject", "registry.path"),
    ("Details", "registry.data.strings"),
    ("DestinationHostname", "destination.domain"),
    ("TargetDomainName", "user.domain"),
    ("ServiceName", "service.name"),
    ("url", "url.full"),
)
_NO_VALUE = frozenset({"", "-", "::1", "127.0.0.1"})


def event_id(value: object) -> int | None:
    """A Windows EventID as an int, from an int, a numeric string or ``{"#text": 4625, ...}``."""
    if isinstance(value, dict):
        value = value.get("#text")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text, 16) if text.lower().startswith("0x") else int(text)
        except ValueError:
            return None
    return None


def _basename(path: str) -> str:
    return path.replace("/", "\\").rsplit("\\", 1)[-1]


def map_windows(fields: dict[str, object]) -> None:
    """Add ECS keys to a flat Windows event in place (Windows names must already be top-level)."""
    fields["observer.vendor"] = "Microsoft"
    for key, target in _COPY:
        value = fields.get(key)
        if value is not None and value != "":
            fields[target] = value
    code = fields.get("EventID")
    if isinstance(code, int):
        fields["event.code"] = str(code)
    _process(fields)
    _user(fields)
    _network(fields)
    _hashes(fields)
    _classify(fields, code if isinstance(code, int) else None)


def _process(fields: dict[str, object]) -> None:
    image = fields.get("Image") or fields.get("NewProcessName")
    if isinstance(image, str) and image:
        fields["process.executable"] = image
        fields["process.name"] = _basename(image)
    pid = _int(fields.get("ProcessId") if "Image" in fields else fields.get("NewProcessId"))
    if pid is not None:
        fields["process.pid"] = pid


def _user(fields: dict[str, object]) -> None:
    for key in ("TargetUserName", "User", "Detection User", "SubjectUserName"):
        value = fields.get(key)
        if isinstance(value, str) and value not in _NO_VALUE:
            domain, sep, name = value.rpartition("\\")
            fields["user.name"] = name if sep else value
            if sep:
                fields["user.domain"] = domain
            return


def _network(fields: dict[str, object]) -> None:
    for key, target in (
        ("IpAddress", "source.ip"),
        ("SourceIp", "source.ip"),
        ("DestinationIp", "destination.ip"),
    ):
        value = fields.get(key)
        if isinstance(value, str) and value not in ("", "-"):
            fields[target] = value
    for key, target in (
        ("IpPort", "source.port"),
        ("SourcePort", "source.port"),
        ("DestinationPort", "destination.port"),
    ):
        port = _int(fields.get(key))
        if port:
            fields[target] = port
    protocol = fields.get("Protocol")
    if isinstance(protocol, str) and protocol.isalpha():
        fields["network.transport"] = protocol.lower()


def _hashes(fields: dict[str, object]) -> None:
    hashes = fields.get("Hashes") or fields.get("Hash")
    if not isinstance(hashes, str):
        return
    for part in hashes.split(","):
        algorithm, sep, digest = part.partition("=")
        name = algorithm.strip().lower()
        if sep and name in ("md5", "sha1", "sha256", "imphash"):
            fields[f"file.hash.{name}"] = digest.strip().lower()
            if fields.get("EventID") == 1:
                fields[f"process.hash.{name}"] = digest.strip().lower()


def _classify(fields: dict[str, object], code: int | None) -> None:
    provider = fields.get("Provider_Name")
    table = {SYSMON: _SYSMON, SECURITY: _SECURITY, DEFENDER: _DEFENDER}.get(
        provider if isinstance(provider, str) else ""
    )
    if code is not None and table is not None and code in table:
        category, kind, action = table[code]
        fields["event.category"] = category
        fields["event.type"] = kind
        fields["event.action"] = action
    if provider == DEFENDER:
        threat = fields.get("Threat Name")
        if isinstance(threat, str):
            fields["rule.name"] = threat
        path = fields.get("Path")
        if isinstance(path, str) and path:
            fields["file.path"] = path.split(";")[0].removeprefix("file:_")
    if code in (104, 1102):
        fields["event.category"] = "configuration"
        fields["event.action"] = "audit_log_cleared"
    keywords = _int(fields.get("Keywords"))
    if keywords is not None and keywords & _AUDIT_FAILURE:
        fields["event.outcome"] = "failure"
    elif keywords is not None and keywords & _AUDIT_SUCCESS:
        fields["event.outcome"] = "success"
    elif code == 4625:
        fields["event.outcome"] = "failure"


# ---- windows_evtx.py

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
    try:
        records = PyEvtxParser(str(file)).records_json()
    except (OSError, RuntimeError) as exc:
        yield ParseFailure(source, f"cannot open EVTX file: {exc}", b"", now(), FORMAT)
        return
    if context.source != source:
        context = ParseContext(source, context.tz, context.limits, context.id_factory)
    yield from _events(records, source=source, context=context, now=now, deterministic_ids=deterministic_ids)
    if damage is not None:
        damage.source = source
        damage.received_at = now()
        yield damage


def _events(
    records: Iterator[Any],
    *,
    source: str,
    context: ParseContext,
    now: Callable[[], datetime],
    deterministic_ids: bool,
) -> Iterator[Event | ParseFailure]:
    errors = 0
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except (RuntimeError, OSError, ValueError) as exc:
            errors += 1
            yield ParseFailure(source, f"damaged EVTX chunk skipped: {exc}", b"", now(), FORMAT)
            if errors >= _MAX_CONSECUTIVE_ERRORS:
                yield ParseFailure(
                    source, "too many damaged EVTX chunks in a row; stopped reading", b"", now(), FORMAT
                )
                return
            continue
        errors = 0
        data = record.get("data") if isinstance(record, dict) else None
        if not isinstance(data, str):
            continue
        received_at = now()
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raw, cut = cap_raw(data, context.limits.max_failure_raw_bytes)
            yield ParseFailure(
                source, f"EVTX record is not valid JSON: {exc}", raw, received_at, FORMAT, None, cut
            )
            continue
        record_context = context
        if deterministic_ids:
            fixed = deterministic_id(source, int(str(record.get("event_record_id", 0))), b"")
            record_context = ParseContext(source, context.tz, context.limits, repeat(fixed).__next__)
        yield windows_event(
            document, original=data, received_at=received_at, context=record_context, dataset=DATASET
        )
