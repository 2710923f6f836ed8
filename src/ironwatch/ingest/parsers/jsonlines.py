"""JSON lines: one object per line. Known shapes (Suricata EVE, Zeek JSON, Windows JSON) are recognised
and normalised; any other object is kept as flat dotted keys, ECS keys as they are.
"""

from __future__ import annotations

from datetime import datetime

from ironwatch.ingest.event import Event
from ironwatch.ingest.parsers import suricata, zeek
from ironwatch.ingest.parsers.base import DEFAULT_LIMITS, ParseContext, ParseError, new_event
from ironwatch.ingest.parsers.json_safe import flatten, json_timestamp, load_json_object
from ironwatch.ingest.parsers.windows_json import looks_like_windows, windows_json_event

GENERIC = "json"
KINDS = ("suricata.eve", "zeek", "windows.json", GENERIC)


def classify_document(document: dict[str, object]) -> str:
    """Which JSON format a decoded object is: ``suricata.eve``, ``zeek``, ``windows.json`` or ``json``."""
    if looks_like_windows(document):
        return "windows.json"
    if suricata.looks_like_eve(document):
        return "suricata.eve"
    if "uid" in document and ("id.orig_h" in document or "id" in document or "_path" in document):
        return "zeek"
    return GENERIC


def document_event(
    document: dict[str, object],
    *,
    original: str,
    received_at: datetime,
    context: ParseContext,
    kind: str | None = None,
    zeek_path: str = "",
) -> Event:
    """The event for a decoded JSON object; ``kind`` forces a format, else it is classified."""
    kind = kind or classify_document(document)
    if kind == "windows.json":
        return windows_json_event(document, original=original, received_at=received_at, context=context)
    fields = flatten(document, context.limits)
    notes: tuple[str, ...] = ()
    timestamp: datetime | None
    try:
        if kind == "suricata.eve":
            dataset = suricata.map_eve(fields)
            timestamp = json_timestamp(fields, context.tz, ("timestamp",))
        elif kind == "zeek":
            dataset = zeek.map_zeek(zeek_path or zeek.guess_path(fields), fields)
            ts = fields.get("ts")
            timestamp = None if ts is None else zeek.zeek_json_timestamp(ts, context)
        else:
            declared = fields.get("event.dataset")
            dataset = declared if isinstance(declared, str) and declared else GENERIC
            timestamp = json_timestamp(fields, context.tz)
    except ValueError as exc:
        timestamp, notes = received_at, (f"timestamp replaced by receive time: {exc}",)
        dataset = str(fields.get("event.dataset") or GENERIC)
    return new_event(
        context=context,
        dataset=dataset,
        fields=fields,
        original=original,
        received_at=received_at,
        timestamp=timestamp,
        notes=notes,
    )


class JsonLinesParser:
    """One JSON object per line; ``kind`` pins a format (``suricata.eve``...), ``None`` classifies each."""

    def __init__(self, name: str = GENERIC, kind: str | None = None, zeek_path: str = "") -> None:
        self.name = name
        self._kind = kind
        self._zeek_path = zeek_path

    def can_parse(self, sample: str) -> bool:
        """Whether ``sample`` is a JSON object of this parser's kind."""
        try:
            document = load_json_object(sample, DEFAULT_LIMITS)
        except ParseError:
            return False
        return self._kind is None or classify_document(document) == self._kind

    def parse(self, line: str, *, received_at: datetime, context: ParseContext) -> Event:
        """A JSON line as an event; ``ParseError`` for invalid JSON, a non-object or a JSON bomb."""
        document = load_json_object(line, context.limits)
        if self._kind is not None and self._kind != GENERIC:
            found = classify_document(document)
            if found != self._kind:
                raise ParseError(f"JSON object is not a {self._kind} record (it looks like {found})")
        return document_event(
            document,
            original=line,
            received_at=received_at,
            context=context,
            kind=self._kind,
            zeek_path=self._zeek_path,
        )


def interpret_json_body(message: str, fields: dict[str, object]) -> str | None:
    """A JSON syslog body (Suricata EVE over syslog): add its fields; the dataset, or ``None`` if not JSON."""
    try:
        document = load_json_object(message, DEFAULT_LIMITS)
        flat = flatten(document, DEFAULT_LIMITS)
    except ParseError:
        return None
    kind = classify_document(document)
    for key, value in flat.items():
        fields.setdefault(key, value)
    if kind == "suricata.eve":
        return suricata.map_eve(fields)
    if kind == "zeek":
        return zeek.map_zeek(zeek.guess_path(fields), fields)
    return GENERIC
