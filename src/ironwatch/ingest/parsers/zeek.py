"""Zeek logs: tab-separated with their ``#separator``/``#fields``/``#types`` header, or JSON.

Zeek's own field names stay (``id.orig_h``, ``uid``); ECS keys are added for conn, dns, http, ssl and
notice. A TSV stream is stateful: header lines configure the parser and yield no event.
"""

from __future__ import annotations

from datetime import datetime

from ironwatch.ingest.event import Event
from ironwatch.ingest.parsers.base import ParseContext, ParseError, new_event
from ironwatch.ingest.parsers.timestamps import from_epoch, parse_iso

_ECS: dict[str, dict[str, str]] = {
    "conn": {
        "proto": "network.transport",
        "service": "network.protocol",
        "duration": "event.duration_seconds",
        "orig_bytes": "source.bytes",
        "resp_bytes": "destination.bytes",
        "conn_state": "zeek.connection.state",
    },
    "dns": {
        "query": "dns.question.name",
        "qtype_name": "dns.question.type",
        "rcode_name": "dns.response_code",
        "answers": "dns.answers",
        "proto": "network.transport",
    },
    "http": {
        "host": "url.domain",
        "uri": "url.original",
        "method": "http.request.method",
        "status_code": "http.response.status_code",
        "user_agent": "user_agent.original",
        "referrer": "http.request.referrer",
    },
    "ssl": {"server_name": "tls.client.server_name", "version": "tls.version", "cipher": "tls.cipher"},
    "notice": {"note": "rule.name", "msg": "message", "sub": "zeek.notice.sub"},
}
_CATEGORY = {
    "conn": "network",
    "dns": "network",
    "http": "web",
    "ssl": "network",
    "notice": "intrusion_detection",
}
_ENDPOINTS = {
    "id.orig_h": "source.ip",
    "id.orig_p": "source.port",
    "id.resp_h": "destination.ip",
    "id.resp_p": "destination.port",
    "src": "source.ip",
    "dst": "destination.ip",
}


def guess_path(fields: dict[str, object]) -> str:
    """Which Zeek log a JSON record came from, when the file name or ``_path`` does not say."""
    path = fields.get("_path")
    if isinstance(path, str) and path:
        return path
    if "conn_state" in fields or "history" in fields:
        return "conn"
    if "query" in fields and "qtype_name" in fields:
        return "dns"
    if "method" in fields and "uri" in fields:
        return "http"
    if "server_name" in fields or "cipher" in fields:
        return "ssl"
    if "note" in fields:
        return "notice"
    return "log"


def map_zeek(path: str, fields: dict[str, object]) -> str:
    """Add ECS keys to a Zeek record of log ``path`` in place; returns the dataset ``zeek.<path>``."""
    for key, target in _ENDPOINTS.items():
        value = fields.get(key)
        if value is not None:
            fields[target] = value
    for key, target in _ECS.get(path, {}).items():
        value = fields.get(key)
        if value is not None:
            fields[target] = value
    orig, resp = fields.get("source.bytes"), fields.get("destination.bytes")
    if isinstance(orig, int) and isinstance(resp, int):
        fields["network.bytes"] = orig + resp
    if path == "http" and isinstance(fields.get("host"), str) and isinstance(fields.get("uri"), str):
        fields["url.full"] = f"http://{fields['host']}{fields['uri']}"
    fields["event.category"] = _CATEGORY.get(path, "network")
    fields["event.kind"] = "alert" if path == "notice" else "event"
    fields["observer.vendor"] = "Zeek"
    fields["zeek.session_id"] = fields.get("uid")
    return f"zeek.{path}"


class ZeekTsvParser:
    """Zeek's tab-separated logs. One instance per file: the header sets the columns and their types."""

    name = "zeek"

    def __init__(self, path: str = "") -> None:
        self._path = path
        self._separator = "\t"
        self._set_separator = ","
        self._empty = "(empty)"
        self._unset = "-"
        self._columns: list[str] = []
        self._types: list[str] = []
        self._row_types: list[str] = []

    def can_parse(self, sample: str) -> bool:
        """Whether ``sample`` is the first line of a Zeek TSV log."""
        return sample.startswith("#separator")

    def parse(self, line: str, *, received_at: datetime, context: ParseContext) -> Event | None:
        """A data row as an event; header lines configure the parser and return ``None``."""
        if line.startswith("#"):
            self._header(line)
            return None
        if not self._columns:
            raise ParseError(
                "Zeek data row before any '#fields' header line", hint="give the file with its header"
            )
        values = line.split(self._separator)
        if len(values) != len(self._columns):
            raise ParseError(
                f"Zeek row has {len(values)} columns but '#fields' declares {len(self._columns)}"
            )
        fields: dict[str, object] = {}
        for column, kind, text in zip(self._columns, self._row_types, values, strict=True):
            if text == self._unset:
                continue
            fields[column] = self._typed(kind, text, column)
        notes: tuple[str, ...] = ()
        timestamp: datetime | None = None
        if "ts" in fields:
            try:
                timestamp = zeek_json_timestamp(fields["ts"], context)
            except ValueError as exc:
                timestamp, notes = received_at, (f"timestamp replaced by receive time: {exc}",)
        path = self._path or guess_path(fields)
        dataset = map_zeek(path, fields)
        return new_event(
            context=context,
            dataset=dataset,
            fields=fields,
            original=line,
            received_at=received_at,
            timestamp=timestamp,
            notes=notes,
        )

    def _header(self, line: str) -> None:
        if line.startswith("#separator"):
            value = line[len("#separator") :].strip()
            self._separator = value.encode("ascii", "replace").decode("unicode_escape") if value else "\t"
            return
        key, _, rest = line[1:].partition(self._separator)
        if key == "fields":
            self._columns = rest.split(self._separator)
        elif key == "types":
            self._types = rest.split(self._separator)
        elif key == "set_separator":
            self._set_separator = rest
        elif key == "empty_field":
            self._empty = rest
        elif key == "unset_field":
            self._unset = rest
        elif key == "path" and not self._path:
            self._path = rest
        self._row_types = (
            self._types if len(self._types) == len(self._columns) else ["string"] * len(self._columns)
        )

    def _typed(self, kind: str, text: str, column: str) -> object:
        if kind.startswith(("set[", "vector[")):
            if text == self._empty:
                return []
            inner = kind[kind.index("[") + 1 : -1]
            return [self._typed(inner, item, column) for item in text.split(self._set_separator)]
        if text == self._empty:
            return ""
        try:
            if kind in ("count", "int", "port"):
                return int(text)
            if kind in ("double", "interval", "time"):
                return float(text)
        except ValueError:
            return text
        if kind == "bool":
            return text == "T"
        return text


def zeek_json_timestamp(value: object, context: ParseContext) -> datetime:
    """Zeek JSON ``ts``: epoch seconds (the default) or ISO 8601 (``LogAscii::json_timestamps``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return from_epoch(value)
    if isinstance(value, str):
        try:
            return from_epoch(float(value))
        except ValueError:
            return parse_iso(value, context.tz)
    raise ValueError(f"Zeek ts {value!r} is neither epoch seconds nor ISO 8601")
