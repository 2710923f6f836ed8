"""MISP: an event's JSON (``{"Event": {..., "Attribute": [...], "Object": [...]}}``) or a MISP feed
directory (``manifest.json`` beside one ``<uuid>.json`` per event).

Only attributes flagged ``to_ids`` (meant for detection) are imported, as MISP itself exports
them for IDSs; the others are counted. The TLP comes from ``tlp:`` tags on the attribute, else
the event. MISP's ``first_seen``/``last_seen`` say when an attribute was sighted, not how long
it is valid, so the validity comes from the import (``--expires``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from ironwatch.core.errors import ValidationError
from ironwatch.detect.intel.importers.feed import ParsedFeed, tlp_name

#: MISP attribute type -> (ironwatch type, which part of a composite ``a|b`` value)
ATTRIBUTE_TYPES: dict[str, tuple[str, int]] = {
    "ip-src": ("cidr", 0),
    "ip-dst": ("cidr", 0),
    "ip-src|port": ("cidr", 0),
    "ip-dst|port": ("cidr", 0),
    "domain": ("domain", 0),
    "hostname": ("domain", 0),
    "domain|ip": ("domain", 0),
    "hostname|port": ("domain", 0),
    "url": ("url", 0),
    "md5": ("md5", 0),
    "sha1": ("sha1", 0),
    "sha256": ("sha256", 0),
    "filename|md5": ("md5", 1),
    "filename|sha1": ("sha1", 1),
    "filename|sha256": ("sha256", 1),
    "email": ("email", 0),
    "email-src": ("email", 0),
    "email-dst": ("email", 0),
}
#: MISP's threat level (1 high ... 4 undefined) as a confidence when the import gives none
THREAT_LEVEL_CONFIDENCE = {"1": 85, "2": 65, "3": 40}


def parse_misp_file(path: Path) -> ParsedFeed:
    """A MISP event file, or a feed directory with ``manifest.json``."""
    feed = ParsedFeed("misp")
    if path.is_dir():
        manifest_path = path / "manifest.json"
        if not manifest_path.is_file():
            raise ValidationError(
                f"{path} is a directory without manifest.json",
                hint="point at a MISP feed directory or at one event's JSON file",
            )
        manifest = _load(manifest_path)
        if not isinstance(manifest, dict):
            raise ValidationError(f"{manifest_path} is not a MISP manifest (an object of events)")
        for uuid in manifest:
            event_file = path / f"{uuid}.json"
            if not event_file.is_file():
                feed.skip("event listed in manifest.json but its file is missing", uuid)
                continue
            read_misp(_load(event_file), feed)
        return feed
    read_misp(_load(path), feed)
    return feed


def parse_misp(text: str) -> ParsedFeed:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(f"not JSON: {exc}", hint="a MISP event is a JSON document") from None
    feed = ParsedFeed("misp")
    read_misp(data, feed)
    return feed


def _load(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ValidationError(f"{path} is not JSON: {exc}", hint="a MISP feed holds JSON files") from None


def read_misp(data: Any, feed: ParsedFeed) -> None:
    """Add the indicators of one MISP document (an event, ``{"response": [events]}`` or a list)."""
    if isinstance(data, dict) and isinstance(data.get("response"), list):
        data = data["response"]
    events = data if isinstance(data, list) else [data]
    for item in events:
        event = item.get("Event") if isinstance(item, dict) else None
        if not isinstance(event, dict):
            raise ValidationError(
                "not a MISP event: no 'Event' object", hint='a MISP event file looks like {"Event": {...}}'
            )
        _event(event, feed)


def _tlp(tags: Any) -> str | None:
    for tag in tags or []:
        name = tag.get("name") if isinstance(tag, dict) else None
        if isinstance(name, str) and name.lower().startswith("tlp:"):
            found = tlp_name(name)
            if found:
                return found
    return None


def _event(event: dict[str, Any], feed: ParsedFeed) -> None:
    event_tlp = _tlp(event.get("Tag"))
    confidence = THREAT_LEVEL_CONFIDENCE.get(str(event.get("threat_level_id", "")))
    info = str(event.get("info") or "")
    attributes = list(event.get("Attribute") or [])
    for obj in event.get("Object") or []:
        attributes.extend(obj.get("Attribute") or [])
    for attribute in attributes:
        _attribute(attribute, feed, info=info, tlp=event_tlp, confidence=confidence)


def _attribute(
    attribute: dict[str, Any], feed: ParsedFeed, *, info: str, tlp: str | None, confidence: int | None
) -> None:
    kind = str(attribute.get("type", ""))
    value = str(attribute.get("value", ""))
    what = f"{kind} {value}"
    if attribute.get("deleted") in (True, "1", 1):
        feed.skip("deleted in MISP", what)
        return
    if attribute.get("to_ids") in (False, "0", 0):
        feed.skip("to_ids is off (not meant for detection)", what)
        return
    mapped = ATTRIBUTE_TYPES.get(kind)
    if mapped is None:
        feed.skip(f"MISP type {kind!r} is not matched in the stream", what)
        return
    target, part = mapped
    pieces = value.split("|")
    if len(pieces) <= part:
        feed.skip(f"a {kind} value needs {part + 1} parts separated by |", what)
        return
    comment = str(attribute.get("comment") or "")
    feed.add(
        target,
        pieces[part],
        what=what,
        confidence=confidence,
        tlp=_tlp(attribute.get("Tag")) or tlp,
        description=" - ".join(x for x in (info, comment) if x),
        external_id=str(attribute["uuid"]) if attribute.get("uuid") else None,
    )
    if kind == "domain|ip" and len(pieces) > 1:
        feed.add("cidr", pieces[1], what=what, confidence=confidence, tlp=tlp, description=info)
