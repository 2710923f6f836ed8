"""Canonical JSON: one byte string per value, so hashes of records are reproducible."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import orjson


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot canonicalise {type(value).__name__}")


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTC datetimes in ISO 8601."""
    return orjson.dumps(value, default=_default, option=orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
