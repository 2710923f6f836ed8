"""STIX 2.1 bundles: ``indicator`` objects with STIX patterns, read with the ``stix2`` library.

Supported patterns are comparisons of one observable's value with ``=`` (or ``IN (...)``):
``ipv4-addr:value``, ``ipv6-addr:value`` (addresses or CIDR networks), ``domain-name:value``,
``url:value``, ``email-addr:value``, ``email-message:from_ref.value``, ``network-traffic:dst_ref.value``
/``src_ref.value``, ``file:hashes.'SHA-256'|'SHA-1'|MD5``. Comparisons joined by ``OR`` (inside or
between observations) become one indicator each; a file's hash joined by ``AND`` with its name or
size is taken as the hash. Everything else (``LIKE``, ``MATCHES``, other ``AND``s, ``FOLLOWEDBY``,
qualifiers, non-STIX pattern languages, revoked indicators) is counted and reported.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import stix2
from stix2 import patterns as p
from stix2.exceptions import STIXError
from stix2.pattern_visitor import create_pattern_object

from ironwatch.core.errors import ValidationError
from ironwatch.detect.intel.importers.feed import ParsedFeed

_HASHES = {"sha-256": "sha256", "sha256": "sha256", "sha-1": "sha1", "sha1": "sha1", "md5": "md5"}
_VALUE_TYPES = {
    "ipv4-addr": "cidr",
    "ipv6-addr": "cidr",
    "domain-name": "domain",
    "url": "url",
    "email-addr": "email",
}
_REF_TYPES = {
    ("email-message", "from_ref"): "email",
    ("email-message", "sender_ref"): "email",
    ("network-traffic", "dst_ref"): None,  # an address or a domain: inferred from the value
    ("network-traffic", "src_ref"): None,
}
# the TLP 1.0 marking definitions every STIX 2 producer shares (and TLP 2.0's names)
_TLP_MARKINGS = {
    stix2.TLP_WHITE.id: "clear",
    stix2.TLP_GREEN.id: "green",
    stix2.TLP_AMBER.id: "amber",
    stix2.TLP_RED.id: "red",
}


class _Unsupported(Exception):
    pass


def parse_stix(text: str) -> ParsedFeed:
    """Read a STIX 2.1 bundle (or a single indicator object)."""
    try:
        parsed = stix2.parse(text, allow_custom=True, version="2.1")
    except (STIXError, ValueError) as exc:
        raise ValidationError(
            f"not a valid STIX 2.1 bundle: {exc}", hint="check the file, or choose --format"
        ) from None
    objects: list[Any] = list(getattr(parsed, "objects", None) or [parsed])
    feed = ParsedFeed("stix")
    markings = {o.id: _marking_tlp(o) for o in objects if getattr(o, "type", "") == "marking-definition"}
    for obj in objects:
        if getattr(obj, "type", "") != "indicator":
            continue
        _indicator(feed, obj, markings)
    return feed


def _marking_tlp(obj: Any) -> str | None:
    if obj.id in _TLP_MARKINGS:
        return _TLP_MARKINGS[obj.id]
    name = str(getattr(obj, "name", "") or "").lower()
    return name.removeprefix("tlp:") if name.startswith("tlp:") else None


def _indicator(feed: ParsedFeed, obj: Any, markings: dict[str, str | None]) -> None:
    if getattr(obj, "revoked", False):
        feed.skip("revoked", obj.id)
        return
    if obj.pattern_type != "stix":
        feed.skip(f"pattern language {obj.pattern_type!r} is not matched in the stream", obj.id)
        return
    try:
        comparisons = _comparisons(create_pattern_object(obj.pattern, version="2.1"))
    except _Unsupported as exc:
        feed.skip(str(exc), f"{obj.id} {obj.pattern}")
        return
    except Exception as exc:  # the pattern grammar's own errors are of many kinds
        feed.skip(f"pattern does not parse: {exc}", f"{obj.id} {obj.pattern}")
        return
    tlp = next(
        (markings.get(ref) or _TLP_MARKINGS.get(ref) for ref in obj.get("object_marking_refs", [])), None
    )
    description = " - ".join(str(x) for x in (obj.get("name"), obj.get("description")) if x)
    for kind, value in comparisons:
        feed.add(
            kind,
            value,
            what=obj.id,
            confidence=obj.get("confidence"),
            tlp=tlp,
            valid_from=_utc(obj.get("valid_from")),
            valid_until=_utc(obj.get("valid_until")),
            description=description,
            external_id=obj.id,
        )


def _utc(value: Any) -> datetime | None:
    return value.astimezone(UTC) if isinstance(value, datetime) else None


def _comparisons(node: Any) -> list[tuple[str, str]]:
    """``(type, value)`` for each comparison an indicator's pattern is the OR of."""
    if isinstance(node, p.OrObservationExpression | p.OrBooleanExpression):
        return [found for operand in node.operands for found in _comparisons(operand)]
    if isinstance(node, p.ObservationExpression):
        return _comparisons(node.operand)
    if isinstance(node, p.AndBooleanExpression):
        hashes = [c for c in node.operands if _is_file_hash(c)]
        if hashes and all(_object(c) == "file" for c in node.operands):
            return [found for c in hashes for found in _comparisons(c)]
        raise _Unsupported("AND of comparisons (only a file's hash AND its name or size is used)")
    if isinstance(node, p.EqualityComparisonExpression) and not node.negated:
        kind = _kind(node.lhs)
        return [(kind, str(node.rhs.value))]
    if isinstance(node, p.InComparisonExpression) and not node.negated:
        kind = _kind(node.lhs)
        return [(kind, str(item.value)) for item in node.rhs.value]
    raise _Unsupported(f"{type(node).__name__.removesuffix('Expression')} is not a simple comparison")


def _object(node: Any) -> str | None:
    lhs = getattr(node, "lhs", None)
    return getattr(lhs, "object_type_name", None)


def _is_file_hash(node: Any) -> bool:
    if not isinstance(node, p.EqualityComparisonExpression) or _object(node) != "file":
        return False
    path = [c.property_name for c in node.lhs.property_path]
    return len(path) == 2 and path[0] == "hashes"


def _kind(path: Any) -> str:
    obj = path.object_type_name
    props = [str(c.property_name) for c in path.property_path]
    if props == ["value"] and obj in _VALUE_TYPES:
        return _VALUE_TYPES[obj]
    if obj == "file" and len(props) == 2 and props[0] == "hashes":
        kind = _HASHES.get(props[1].lower())
        if kind is not None:
            return kind
    if len(props) == 2 and props[1] == "value" and (obj, props[0]) in _REF_TYPES:
        return _REF_TYPES[(obj, props[0])] or "auto"
    raise _Unsupported(f"{obj}:{'.'.join(props)} is not an observable ironwatch matches")
