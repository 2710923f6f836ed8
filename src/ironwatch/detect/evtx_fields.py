"""Flatten Windows EVTX records into the flat field mapping detection works on.

A stop-gap until the ingest parser lands: the same shape (``EventID`` as int, ``Channel``,
``Provider_Name``, ``Computer``, every EventData field by its own name, plus a few ECS keys)
so the two can be reconciled field by field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ironwatch.core.errors import ValidationError
from ironwatch.detect.speedups import native
from ironwatch.ingest.parsers.evtx_records import EvtxRecord, iter_records

_DATASET = "windows.evtx"


def _text(value: Any) -> Any:
    """EVTX JSON puts an element's text under ``#text`` when it also carries attributes."""
    if type(value) is dict:
        return value.get("#text")
    return value


def _attribute(value: Any, name: str) -> Any:
    if type(value) is dict:
        attributes = value.get("#attributes")
        if type(attributes) is dict:
            return attributes.get(name)
    return None


def _event_id(value: object) -> object:
    """An EventID that is not an int: its number when it is all digits, else as it is."""
    if isinstance(value, int | str) and str(value).isdigit():
        return int(value)
    return value


def _merge_data(target: dict[str, object], data: Any, prefix: str = "") -> None:
    """Copy EventData/UserData children to top-level keys; deeper elements get dotted names."""
    if type(data) is not dict:
        if data is not None and data != "":
            target.setdefault(prefix or "Data", data)
        return
    for key, value in data.items():
        if key == "#attributes":
            continue
        name = f"{prefix}.{key}" if prefix else ("Data" if key == "#text" else key)
        if type(value) is not dict:  # the common case: a plain value
            target[name] = value
        elif any(inner != "#attributes" and inner != "#text" for inner in value):
            _merge_data(target, value, name)
        else:
            target[name] = value.get("#text")


def _merge_user_data(target: dict[str, object], data: Any) -> None:
    """UserData wraps its fields in one element named after the event: skip that wrapper."""
    if isinstance(data, dict):
        children = [value for key, value in data.items() if key != "#attributes"]
        if len(children) == 1 and isinstance(children[0], dict):
            _merge_data(target, children[0])
            return
    _merge_data(target, data)


_SYSTEM_KEYS = ("Channel", "Computer", "Level", "Task", "Opcode", "Keywords", "EventRecordID")


def flatten_evtx_record(record: Mapping[str, Any]) -> dict[str, object]:
    """Turn one ``evtx`` JSON record (``{"Event": {...}}``) into a flat event.

    Example: ``{"Event": {"System": {"EventID": 1, ...}, "EventData": {"Image": "..."}}}``
    becomes ``{"EventID": 1, "Channel": ..., "Image": "...", "event.dataset": "windows.evtx", ...}``.
    (Runs once per event ahead of detection, so it avoids helper calls on the common paths.)
    """
    event = record.get("Event")
    if not isinstance(event, dict) or type(system := event.get("System")) is not dict:
        raise ValidationError(
            "EVTX record has no Event.System element",
            hint="pass documents from ironwatch.ingest.parsers.evtx_records",
        )
    if native is not None and type(event) is dict:
        return native.flatten_evtx(event, _event_id, _merge_data, _merge_user_data)
    return flatten_evtx_python(event, system)


def flatten_evtx_python(event: dict[str, Any], system: dict[str, Any]) -> dict[str, object]:
    """:func:`flatten_evtx_record` of the record's ``Event`` and ``System`` elements, in Python.

    The reference for the C twin (``ironwatch.detect._speedups.flatten_evtx``), used when that is
    not built. Only exact dicts count as elements below ``Event`` (JSON gives no other kind).
    """
    flat: dict[str, object] = {}
    event_id = _text(system.get("EventID"))
    if event_id is not None:
        flat["EventID"] = event_id if type(event_id) is int else _event_id(event_id)
    provider = _attribute(system.get("Provider"), "Name")
    if provider is not None:
        flat["Provider_Name"] = provider
    for key in _SYSTEM_KEYS:
        value = system.get(key)
        if type(value) is dict:
            value = value.get("#text")
        if value is not None:
            flat[key] = value
    created = _attribute(system.get("TimeCreated"), "SystemTime")
    data = event.get("EventData")
    if type(data) is dict and dict not in map(type, data.values()) and "#text" not in data:
        flat.update(data)  # the common case: named plain values, copied in one C call
    elif data is not None:
        _merge_data(flat, data)
    data = event.get("UserData")
    if data is not None:
        _merge_user_data(flat, data)
    flat["event.dataset"] = _DATASET
    if created is not None:
        flat["@timestamp"] = created
    if "Computer" in flat:
        flat["host.name"] = flat["Computer"]
    if "EventID" in flat:
        flat["event.code"] = str(flat["EventID"])
    return flat


def iter_evtx_events(path: str | Path) -> Iterator[dict[str, object]]:
    """Yield flat events from one ``.evtx`` file, in file order (read by
    :func:`ironwatch.ingest.parsers.evtx_records.iter_records`: the C reader when built)."""
    for item in iter_records(path, threads=1):  # one thread: detection runs one file per core
        if not isinstance(item, EvtxRecord):
            raise ValidationError(f"{path}: {item.message}", hint="check the file is a Windows event log")
        yield flatten_evtx_record(item.document)
