"""ArcSight Common Event Format: ``CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|ext``.

Header fields escape ``|`` and ``\\`` with a backslash; extension values escape ``=``, ``\\``, ``\\n`` and
``\\r``, and may contain spaces (a value runs until the next `` key=``). Extension keys stay as written
(``src``, ``act``...), header fields become ``cef.*``; ECS keys are added.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ironwatch.ingest.event import Event
from ironwatch.ingest.parsers.base import ParseContext, ParseError, new_event
from ironwatch.ingest.parsers.timestamps import from_epoch_millis, parse_iso

DATASET = "cef"
_HEADER_NAMES = ("cef.version", "cef.device_vendor", "cef.device_product", "cef.device_version",
                 "cef.signature_id", "cef.name", "cef.severity")  # fmt: skip
_HEADER_SPLIT = re.compile(r"(?<!\\)((?:\\\\)*)\|")
_HEADER_UNESCAPE = re.compile(r"\\([\\|])")
_KEY = re.compile(r"(?:^|(?<=\s))([A-Za-z0-9_.\[\]-]+)=")
_VALUE_UNESCAPE = re.compile(r"\\([\\=nr])")
_UNESCAPED = {"\\": "\\", "=": "=", "n": "\n", "r": "\r"}
_SEVERITY_WORDS = {"low": 3, "medium": 6, "high": 8, "very-high": 10, "very high": 10}
_ECS = {
    "src": "source.ip",
    "spt": "source.port",
    "dst": "destination.ip",
    "dpt": "destination.port",
    "shost": "source.domain",
    "dhost": "destination.domain",
    "suser": "source.user.name",
    "duser": "destination.user.name",
    "act": "event.action",
    "outcome": "event.outcome",
    "request": "url.full",
    "requestMethod": "http.request.method",
    "filePath": "file.path",
    "fname": "file.name",
    "fileHash": "file.hash.sha256",
    "sproc": "process.name",
    "spid": "process.pid",
    "dvchost": "observer.hostname",
    "msg": "message",
    "in": "destination.bytes",
    "out": "source.bytes",
}
_INTEGER_KEYS = frozenset({"spt", "dpt", "spid", "dpid", "in", "out", "cnt", "cn1", "cn2", "cn3"})
_TRANSPORTS = {"6": "tcp", "17": "udp", "1": "icmp"}


def _split_header(text: str) -> list[str]:
    parts: list[str] = []
    position = 0
    for match in _HEADER_SPLIT.finditer(text):
        parts.append(text[position : match.start()] + match.group(1))
        position = match.end()
        if len(parts) == 7:
            break
    parts.append(text[position:])
    return parts


def _unescape_value(value: str) -> str:
    return _VALUE_UNESCAPE.sub(lambda m: _UNESCAPED[m.group(1)], value) if "\\" in value else value


def parse_extension(text: str) -> dict[str, str]:
    """CEF extension ``key=value`` pairs; values may hold spaces and escaped ``\\=``.

    >>> parse_extension(r"src=10.0.0.1 msg=user logged in a\\=b cs1=x")
    {'src': '10.0.0.1', 'msg': 'user logged in a=b', 'cs1': 'x'}
    """
    keys = list(_KEY.finditer(text))
    pairs: dict[str, str] = {}
    for index, match in enumerate(keys):
        end = keys[index + 1].start() if index + 1 < len(keys) else len(text)
        pairs[match.group(1)] = _unescape_value(text[match.end() : end].rstrip())
    return pairs


def parse_cef_message(message: str, fields: dict[str, object]) -> str:
    """Add the fields of a ``CEF:...`` message; raises ``ParseError`` if the header is incomplete."""
    start = message.find("CEF:")
    if start < 0:
        raise ParseError(
            "not a CEF message: expected 'CEF:0|vendor|product|version|id|name|severity|extension'"
        )
    parts = _split_header(message[start + 4 :])
    if len(parts) < 8:
        raise ParseError(
            f"CEF header has {len(parts)} of the 8 '|'-separated parts (version..severity|extension)"
        )
    for name, value in zip(_HEADER_NAMES, parts[:7], strict=True):
        fields[name] = _HEADER_UNESCAPE.sub(r"\1", value)
    extension = parse_extension(parts[7])
    labels: dict[str, str] = {}
    for key, value in extension.items():
        fields[key] = int(value) if key in _INTEGER_KEYS and value.isdigit() else value
        if key.endswith("Label"):
            labels[key[: -len("Label")]] = value
    for key, label in labels.items():
        if key in extension:
            fields[f"cef.label.{label}"] = extension[key]
    for key, target in _ECS.items():
        if key in fields:
            fields[target] = fields[key]
    proto = extension.get("proto")
    if proto:
        fields["network.transport"] = _TRANSPORTS.get(proto, proto.lower())
    fields["observer.vendor"] = fields["cef.device_vendor"]
    fields["observer.product"] = fields["cef.device_product"]
    fields["rule.id"] = fields["cef.signature_id"]
    fields["rule.name"] = fields["cef.name"]
    severity = str(fields["cef.severity"]).strip()
    level = int(severity) if severity.isdigit() else _SEVERITY_WORDS.get(severity.lower())
    if level is not None:
        fields["event.severity"] = level
    user = fields.get("duser") or fields.get("suser")
    if user:
        fields["user.name"] = user
    return DATASET


def cef_time(fields: dict[str, object], context: ParseContext) -> datetime | None:
    """The event time from ``rt`` (epoch ms or ``MMM dd yyyy HH:mm:ss``) or ``end``; ``ValueError`` if bad."""
    value = fields.get("rt") or fields.get("end")
    if not isinstance(value, str) or not value:
        return None
    if value.isdigit():
        return from_epoch_millis(value)
    for pattern in ("%b %d %Y %H:%M:%S.%f", "%b %d %Y %H:%M:%S", "%b %d %H:%M:%S %Y"):
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=context.tz).astimezone(UTC)
        except ValueError:
            continue
    return parse_iso(value, context.tz)


class CefParser:
    """CEF lines, bare or after a syslog header (the syslog parser routes those here too)."""

    name = DATASET

    def can_parse(self, sample: str) -> bool:
        """Whether ``sample`` contains a ``CEF:`` header."""
        return "CEF:" in sample and sample.count("|") >= 7

    def parse(self, line: str, *, received_at: datetime, context: ParseContext) -> Event:
        """A CEF line as an event; ``ParseError`` if the CEF header is incomplete."""
        fields: dict[str, object] = {}
        parse_cef_message(line, fields)
        notes: tuple[str, ...] = ()
        try:
            timestamp = cef_time(fields, context)
        except ValueError as exc:
            timestamp, notes = received_at, (f"timestamp replaced by receive time: {exc}",)
        return new_event(
            context=context,
            dataset=DATASET,
            fields=fields,
            original=line,
            received_at=received_at,
            timestamp=timestamp,
            notes=notes,
        )
