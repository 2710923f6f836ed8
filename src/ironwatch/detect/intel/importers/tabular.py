"""CSV files with a header, and plain lists (one indicator per line, ``#`` comments).

CSV columns (case-insensitive; only the value column is required): ``value`` (or ``indicator``,
``ioc``, ``observable``), ``type``, ``confidence``, ``tlp``, ``valid_from``, ``valid_until`` (or
``expires``), ``description`` (or ``comment``), ``id`` (or ``external_id``). A missing or empty
type is inferred from the value, as it always is in plain lists.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from ironwatch.core.errors import ValidationError
from ironwatch.detect.intel.importers.feed import ParsedFeed, tlp_name
from ironwatch.detect.intel.indicator import TYPES

_COLUMNS = {
    "value": ("value", "indicator", "ioc", "observable"),
    "type": ("type", "indicator_type", "kind"),
    "confidence": ("confidence", "score"),
    "tlp": ("tlp",),
    "valid_from": ("valid_from", "first_seen"),
    "valid_until": ("valid_until", "expires", "expiry", "expires_at"),
    "description": ("description", "comment", "info"),
    "external_id": ("id", "external_id", "uuid"),
}
#: type names other tools use
TYPE_ALIASES = {
    "ip": "auto",
    "ip-src": "auto",
    "ip-dst": "auto",
    "ipv4-addr": "cidr",
    "ipv6-addr": "cidr",
    "ipv4": "cidr",
    "ipv6": "cidr",
    "hostname": "domain",
    "domain-name": "domain",
    "fqdn": "domain",
    "uri": "url",
    "email-addr": "email",
    "email-src": "email",
    "sha-256": "sha256",
    "sha-1": "sha1",
    "hash": "auto",
    "": "auto",
}


def parse_list(text: str) -> ParsedFeed:
    """One indicator per line; ``#`` starts a comment; the type of each is inferred."""
    feed = ParsedFeed("list")
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if value:
            feed.add("auto", value, what=f"line {number}: {value}")
    return feed


def looks_like_csv(text: str) -> bool:
    """Whether the first non-comment line is a header naming a value column."""
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            names = {cell.strip().strip('"').lower() for cell in line.split(",")}
            return "," in line and bool(names & set(_COLUMNS["value"]))
    return False


def parse_csv(text: str) -> ParsedFeed:
    feed = ParsedFeed("csv")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    header = {name.strip().lower(): name for name in reader.fieldnames or []}
    columns = {
        key: next((header[a] for a in aliases if a in header), None) for key, aliases in _COLUMNS.items()
    }
    if columns["value"] is None:
        raise ValidationError(
            "the CSV file has no value column",
            hint="name the column with the indicators 'value' (or indicator, ioc, observable)",
        )
    for number, row in enumerate(reader, start=2):
        cells = {key: (row.get(col) or "").strip() if col else "" for key, col in columns.items()}
        what = f"row {number}: {cells['value']}"
        if not cells["value"]:
            feed.skip("empty value", what)
            continue
        kind = cells["type"].lower()
        kind = TYPE_ALIASES.get(kind, kind)
        if kind not in (*TYPES, "auto"):
            feed.skip(f"unknown type {cells['type']!r}", what)
            continue
        try:
            extra = _extra(cells)
        except ValueError as exc:
            feed.skip(str(exc), what)
            continue
        feed.add(kind, cells["value"], what=what, **extra)
    return feed


def _extra(cells: dict[str, str]) -> dict[str, object]:
    extra: dict[str, object] = {
        "description": cells["description"],
        "external_id": cells["external_id"] or None,
    }
    if cells["confidence"]:
        if not cells["confidence"].isdigit() or int(cells["confidence"]) > 100:
            raise ValueError(f"confidence {cells['confidence']!r} is not 0-100")
        extra["confidence"] = int(cells["confidence"])
    if cells["tlp"]:
        tlp = tlp_name(cells["tlp"])
        if tlp is None:
            raise ValueError(f"TLP {cells['tlp']!r} is not clear, green, amber, amber+strict or red")
        extra["tlp"] = tlp
    for key in ("valid_from", "valid_until"):
        if cells[key]:
            extra[key] = _time(cells[key])
    return extra


def _time(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 time") from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
