"""Bounded JSON decoding and flattening: no document can make a parser recurse or allocate without limit.

Objects flatten to dotted keys (``{"source": {"ip": "x"}}`` -> ``source.ip``) so ECS documents keep their
field names; arrays stay arrays.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

import orjson

from ironwatch.ingest.parsers.base import ParseError, ParseLimits
from ironwatch.ingest.parsers.timestamps import from_epoch, from_epoch_millis, parse_iso

TIME_KEYS = ("@timestamp", "timestamp", "time", "ts", "date", "EventTime", "event.created")


def load_json_object(text: str | bytes, limits: ParseLimits) -> dict[str, object]:
    """Decode one JSON object within ``limits``; ``ParseError`` says why a document was refused."""
    if len(text) > limits.max_line_bytes:
        raise ParseError(
            f"JSON document is {len(text)} bytes, over the {limits.max_line_bytes}-byte limit",
            hint="raise max_line_bytes for this source if such documents are legitimate",
        )
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ParseError(f"expected a JSON object, got a JSON {type(value).__name__}")
    return value


def flatten(document: dict[str, object], limits: ParseLimits) -> dict[str, object]:
    """``document`` as a flat dict of dotted keys, refusing nesting or size beyond ``limits``."""
    out: dict[str, object] = {}
    budget = [limits.max_json_fields]
    _flatten_into(out, "", document, 1, limits, budget)
    return out


def _refuse_depth(limits: ParseLimits) -> ParseError:
    return ParseError(
        f"JSON nesting is deeper than {limits.max_json_depth} levels; refusing a possible JSON bomb"
    )


def _spend(budget: list[int], count: int, limits: ParseLimits) -> None:
    budget[0] -= count
    if budget[0] < 0:
        raise ParseError(
            f"JSON document has more than {limits.max_json_fields} values; refusing a possible JSON bomb"
        )


def _flatten_into(
    out: dict[str, object],
    prefix: str,
    node: dict[str, object],
    depth: int,
    limits: ParseLimits,
    budget: list[int],
) -> None:
    if depth > limits.max_json_depth:
        raise _refuse_depth(limits)
    _spend(budget, len(node), limits)
    for key, value in node.items():
        name = prefix + key
        if isinstance(value, dict):
            if value:
                _flatten_into(out, name + ".", value, depth + 1, limits, budget)
            else:
                out[name] = {}
            continue
        if isinstance(value, list):
            _check_array(value, depth + 1, limits, budget)
        out[name] = value


def _check_array(
    node: list[object] | dict[str, object], depth: int, limits: ParseLimits, budget: list[int]
) -> None:
    if depth > limits.max_json_depth:
        raise _refuse_depth(limits)
    _spend(budget, len(node), limits)
    for item in node.values() if isinstance(node, dict) else node:
        if isinstance(item, list | dict):
            _check_array(item, depth + 1, limits, budget)


def json_timestamp(
    fields: dict[str, object], tz: tzinfo, keys: tuple[str, ...] = TIME_KEYS
) -> datetime | None:
    """The first time-like field among ``keys`` as aware UTC; ``ValueError`` if present but impossible.

    Numbers are seconds since 1970, or milliseconds when too large to be seconds.
    """
    for key in keys:
        value = fields.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            raise ValueError(f"{key} is a boolean, not a time")
        if isinstance(value, int | float):
            return from_epoch_millis(value) if value > 1e11 else from_epoch(value)
        if isinstance(value, str):
            return parse_iso(value, tz)
        raise ValueError(f"{key} is a JSON {type(value).__name__}, not a time")
    return None
